/** Whether an address (a socket's remote or a listener's host) is this machine's loopback. */
export function isLoopback(address: string | undefined): boolean {
  return !!address && (
    address === '::1' || address === 'localhost' || address.startsWith('127.') || address.startsWith('::ffff:127.')
  );
}
