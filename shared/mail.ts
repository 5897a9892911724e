/** SMTP settings of the configuration (alerts.smtp), shared by alert e-mails and reports. */
export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  from: string;
}

export interface MailTransport {
  from: string;
  /** Hands a nodemailer message to the SMTP server; rejects when it refuses or stays silent past the timeout. */
  send(message: object): Promise<unknown>;
  close(): void;
}

/** A nodemailer SMTP transport with every wait bounded by `timeoutMs`; loaded only when used. */
export async function createMailTransport(smtp: SmtpSettings, timeoutMs: number): Promise<MailTransport> {
  const nodemailer = (await import('nodemailer')).default;
  const transport = nodemailer.createTransport({
    host: smtp.host, port: smtp.port, secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
    connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
  });
  return { from: smtp.from, send: (m) => transport.sendMail(m), close: () => transport.close() };
}
