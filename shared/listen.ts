import type { Server } from 'node:net';

/** Thrown when a server cannot bind; the message names the address and the setting to change. */
export class ListenError extends Error {}

/** Turns a bind error into one that says which setting to change; other errors pass through. */
export function explainListenError(err: unknown, port: number, host: string, setting: string): unknown {
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'EADDRINUSE':
      return new ListenError(`port ${port} on ${host} is already in use; set ${setting} to a free port`);
    case 'EACCES':
      return new ListenError(`no permission to listen on port ${port} on ${host}; set ${setting} to a port above 1023`);
    case 'EADDRNOTAVAIL':
      return new ListenError(`address ${host} is not on this machine; change the host that goes with ${setting}`);
    default:
      return err;
  }
}

/** Binds `server` and resolves with the bound port (useful with port 0). */
export function listen(server: Server, port: number, host: string, setting: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(explainListenError(err, port, host, setting));
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
