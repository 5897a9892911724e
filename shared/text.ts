/**
 * Text that came from outside (topics, payload excerpts, reasons that quote them) made safe to store
 * and to log: PostgreSQL's `text` refuses NUL (SQLSTATE 22P05/22021), so NULs and other C0 controls
 * but tab and newline become U+FFFD, lone UTF-16 surrogates become U+FFFD (String.prototype.toWellFormed
 * semantics, written out because Node 20.0 lacks it), and the text is cut to `maxChars`. Pure; never throws.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function safeText(value: unknown, maxChars = 1000): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(value);
  } catch {
    text = '(unprintable value)';
  }
  if (text.length > maxChars) text = `${text.slice(0, maxChars)}…`;
  return text.replace(UNSAFE, '\ufffd');
}
