import type { Logger } from '../shared/log.js';
import type { Authenticator } from './authenticator.js';
import type { BrokerStats } from './stats.js';
import { DROPPED_TOPIC } from './oversize-filter.js';
import type { Ownership, PublishLike, Refusal } from './ownership.js';
import { canPublish } from './policy.js';

type StoredWill = PublishLike & { clientId?: string; brokerId?: string };
type StoredWillContext = { auth: Authenticator; ownership: Ownership; stats: BrokerStats; log: Logger };

/**
 * A will Aedes publishes for a client that is gone (a broker of the cluster died; with Redis, this
 * broker's own restart) reaches authorizePublish with no client. It is checked again as its client's
 * account (the holder of its client id) would be: a will refused here is not published, and since a
 * rejection would end the process (Aedes emits it as the broker's 'error' from a timer, aedes.js
 * _clearWills), it is turned into the oversize stand-in, which Aedes publishes to nobody and then
 * deletes. The broker's own messages ($SYS heartbeats) carry no client id and pass.
 */
export function checkStoredWill({ auth, ownership, stats, log }: StoredWillContext) {
  return (packet: StoredWill, done: (err?: Error | null) => void): void => {
    if (!packet.clientId || !packet.brokerId) return done(null);
    const holder = ownership.holderOfClientId(packet.clientId);
    const who = holder === undefined ? undefined : auth.principalNamed(holder);
    const drop = (reason: string) => {
      stats.droppedWills++;
      log.warn(
        { clientId: packet.clientId, topic: packet.topic.slice(0, 100), reason },
        'a stored will was not published',
      );
      Object.assign(packet, { topic: DROPPED_TOPIC, retain: false });
      done(null);
    };
    if (!who) return auth.requiresLogin ? drop('its client id belongs to no account') : done(null);
    const decision = canPublish(who, packet.topic);
    if (!decision.ok) return drop(decision.reason);
    const answer = ownership.publishProblem(who, packet);
    const settle = (refusal: Refusal | null) => (refusal ? drop(refusal.reason) : done(null));
    if (!(answer instanceof Promise)) return settle(answer);
    answer.then(settle, (err: unknown) => drop(`it could not be checked: ${(err as Error)?.message ?? err}`));
  };
}
