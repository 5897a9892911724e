import { createServer, connect, type Socket } from 'node:net';

export interface CuttableProxy {
  url(databaseUrl: string): string;
  /** Drops every connection and refuses new ones, like a database host that went away. */
  cut(): void;
  /**
   * Stops forwarding without closing anything, and accepts new connections that never get an answer:
   * a half-open peer (a crashed host, a dropped route, a NAT that forgot the flow).
   */
  blackhole(): void;
  /**
   * Cuts (as cut()) the moment a client sends a chunk that `matches` says yes to, before forwarding it:
   * a database that fails at a chosen query, say the second page of an export. Once.
   */
  cutOn(matches: (chunk: Buffer) => boolean): void;
  restore(): void;
  stop(): Promise<void>;
}

/** A TCP proxy in front of the database that a test can cut, black-hole and restore. */
export async function startProxy(targetHost: string, targetPort: number): Promise<CuttableProxy> {
  let mode: 'forward' | 'cut' | 'blackhole' = 'forward';
  let trigger: ((chunk: Buffer) => boolean) | undefined;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server = createServer((client) => {
    if (mode === 'cut') return client.destroy();
    track(client);
    // Black-holed: the connection is accepted and then nothing is ever answered.
    if (mode === 'blackhole') return client.resume();
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    // Forward chunk by chunk, so black-holing can silently drop what follows.
    client.on('data', (chunk: Buffer) => {
      if (mode === 'forward' && trigger?.(chunk)) {
        trigger = undefined;
        return cut();
      }
      if (mode === 'forward') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => mode === 'forward' && client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const cut = () => {
    mode = 'cut';
    for (const s of sockets) s.destroy();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url(databaseUrl) {
      const u = new URL(databaseUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    blackhole() {
      mode = 'blackhole';
    },
    cutOn(matches) {
      trigger = matches;
    },
    restore() {
      mode = 'forward';
    },
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
