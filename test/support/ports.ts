import { createServer } from 'node:net';

/** Ports handed out in this test file (jest loads this module once per file, the bench once per run). */
const handedOut = new Set<number>();

/**
 * A loopback port that was free a moment ago, for a child process that must be told its port. Two calls in one
 * test file never return the same port: the kernel may offer a just-closed port again at once (a CI run saw two in
 * a row come back equal, and the broker refused the clash). Files running side by side can still meet on one.
 */
export async function freePortOnLoopback(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
