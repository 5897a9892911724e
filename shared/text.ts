/**
 * Text that came from outside (topics, payload excerpts, reasons that quote them) made safe to store
 * and to log: PostgreSQL's `text` refuses NUL (SQLSTATE 22P05/22021), so NULs and other C0 controls
 * but tab and newline become U+FFFD, lone UTF-16 surrogates become U+FFFD (String.prototype.toWellFormed
 * semantics, written out because Node 20.0 lacks it), and the text is cut to `maxChars`. Pure; never
 * throws.
 */
const UNSAFE = new RegExp(
  [
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b-\u001f\u007f]/.source, // C0 controls but tab and newline, and DEL
    /[\ud800-\udbff](?![\udc00-\udfff])/.source, // a high surrogate without its low one
    /(?<![\ud800-\udbff])[\udc00-\udfff]/.source, // a low surrogate without its high one
  ].join('|'),
  'g',
);

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
