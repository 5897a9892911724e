import { safeText } from './text.js';

/**
 * Why a message was refused, as the contract (shared/contract.ts) and the sources (shared/sources) say
 * it: a code from a small fixed set, and a reason a person can act on. Pure.
 */

/**
 * What kind of problem a message has: a small fixed set, so metrics can count by it; `reason` is the
 * human text with the offending value.
 */
export const REJECTION_CODES = [
  'topic',
  'status',
  'json',
  'shape',
  'size',
  'metric',
  'range',
  'timestamp',
  'clock',
  'database',
  'unexpected',
  'quota',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];
export type Invalid = { ok: false; code: RejectionCode; reason: string };
export type Result<T> = ({ ok: true } & T) | Invalid;

/** Reasons quote what the sender sent, so they are made safe to store and log here, once (see shared/text.ts). */
export const invalid = (code: RejectionCode, reason: string): Invalid => ({
  ok: false,
  code,
  reason: safeText(reason, MAX_REASON_CHARS),
});
/** A reason is a sentence, not an archive: the payload itself is kept beside it. */
export const MAX_REASON_CHARS = 500;

/** What a value is, in words, for a reason: "a string", "an array", "null". */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}
