import { pino, type Logger } from 'pino';

export type { Logger };
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Structured JSON lines on stdout (journald and `docker logs` keep them; pipe through `npx pino-pretty`
 * to read them). Synchronous, so the last lines before an exit are never lost; the volume is low.
 */
export function createLogger(name: string, level: LogLevel | string = 'info'): Logger {
  return pino({ name, level }, pino.destination({ dest: 1, sync: true }));
}
