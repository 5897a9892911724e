import mqemitter from 'mqemitter';

type MQEmitter = ReturnType<typeof mqemitter>;

/**
 * Aedes routes every message through an mqemitter. Two upstream problems are contained here.
 *
 * 1. Stack overflow under load (mcollina/mqemitter pull request 204, open since 2022). With a
 *    `concurrency` limit, messages that arrive while the limit is reached wait in a queue; when a
 *    delivery completes, `released` starts the next queued message by calling `_do`, and when that
 *    message's listeners complete synchronously (no subscriber, or a subscriber whose socket takes
 *    the write at once), `released` runs again inside it: `_do → fastparallel → released → _do …`, one
 *    frame set per queued message, until `RangeError: Maximum call stack size exceeded` kills the
 *    broker: reachable whenever many messages queue at the limit (publishers at full speed while a
 *    persistent subscriber is gone).
 *    The guard below turns the recursion into a loop (a trampoline): a `_do` started while another
 *    is on the stack is queued and run by the outermost one when it returns. Order and concurrency
 *    accounting are unchanged; nothing is deferred to a later tick, so throughput is unchanged too
 *    (the upstream pull request's setImmediate was refused for its cost).
 *
 * 2. `+` and empty topic levels. Aedes builds its default emitter with matchEmptyLevels (MQTT-4.7.1-3:
 *    `home/+/+` matches `home//x`), but aedes-persistence's in-memory store matches without it. A
 *    QoS 1 message on such a topic is then delivered live to a persistent session but never stored
 *    for it, the subscriber's PUBACK names a packet the store does not have ("no such packet"), and
 *    Aedes disconnects the subscriber: one publish to `home//x` would disconnect ingest and lose the
 *    message. With the in-memory store, the emitter here matches as the store does (empty levels
 *    match no wildcard; moscajs/aedes issue 373 discusses the rule); Redis persistence matches empty
 *    levels, and so does its emitter.
 */
export function createEmitter(options: { concurrency: number; matchEmptyLevels: boolean }): MQEmitter {
  const { concurrency, matchEmptyLevels } = options;
  return guardRecursion(mqemitter({ concurrency, matchEmptyLevels }));
}

interface Internals {
  _do(message: unknown, callback: unknown): unknown;
}

/** Makes a nested `_do` run after the one on the stack returns, instead of inside it. See above. */
export function guardRecursion<T extends object>(emitter: T): T {
  const target = emitter as unknown as Internals;
  const original = target._do;
  if (typeof original !== 'function') {
    throw new Error('mqemitter has no _do: the recursion guard does not fit this version');
  }
  const pending: Array<[unknown, unknown]> = [];
  let running = false;
  target._do = function guardedDo(this: Internals, message: unknown, callback: unknown) {
    pending.push([message, callback]);
    if (running) return this;
    running = true;
    try {
      while (pending.length > 0) {
        const [m, cb] = pending.shift()!;
        original.call(this, m, cb);
      }
    } finally {
      running = false;
    }
    return this;
  };
  return emitter;
}
