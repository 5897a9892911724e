/** A value known now, or a promise of it: the broker's ownership checks answer synchronously when they can. */
export type Maybe<T> = T | Promise<T>;

/** `next` applied to `value`: at once when it is known, else when it resolves. */
export const then = <T, U>(value: Maybe<T>, next: (known: T) => Maybe<U>): Maybe<U> =>
  value instanceof Promise ? value.then(next) : next(value);
