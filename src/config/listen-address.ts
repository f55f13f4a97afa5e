/** `[host]:port` of PROMSHIP_LISTEN_ADDRESS, split for `server.listen` (the agent's and the fleet view's). */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const i = address.lastIndexOf(':');
  const host = i <= 0 ? undefined : address.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(i + 1));
  return { host: host === '' ? undefined : host, port };
}
