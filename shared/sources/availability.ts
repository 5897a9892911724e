import { reject, type Decoded } from './source.js';

/**
 * A device's availability message as online/offline, given the two payloads its project uses (matched
 * without regard to case or surrounding space), or a rejection naming what came instead.
 */
export function statusOf(
  source: string,
  device: string,
  payload: Buffer,
  words: { online: string; offline: string },
): Decoded {
  const text = payload.toString('utf8').trim();
  const lower = text.toLowerCase();
  if (lower === words.online.toLowerCase()) return { kind: 'status', source, device, status: 'online' };
  if (lower === words.offline.toLowerCase()) return { kind: 'status', source, device, status: 'offline' };
  return reject(
    source,
    'status',
    `availability of ${device} is ${JSON.stringify(text.slice(0, 40))}, not ${words.online} or ${words.offline}`,
  );
}
