// The two Redis packages ship no types; this is the part pimonitor uses.
declare module 'aedes-persistence-redis' {
  const create: (options: Record<string, unknown>) => unknown;
  export default create;
}
declare module 'mqemitter-redis' {
  export class MQEmitterRedisPrefix {
    constructor(prefix: string, options: Record<string, unknown>);
  }
}
