/** The URL with its password replaced, for logs and `pimonitor config`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url ? '[redacted]' : '';
  }
}
