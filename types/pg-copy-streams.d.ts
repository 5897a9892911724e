// The part of pg-copy-streams (brianc/node-pg-copy-streams) ingest uses: COPY … FROM STDIN as a
// Writable that pg's client.query() runs; 'finish' once the server has taken all of it.
declare module 'pg-copy-streams' {
  import type { Writable } from 'node:stream';
  export function from(text: string): Writable;
}
