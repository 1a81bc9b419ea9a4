import { createConnection, createServer } from 'node:net';

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });

/** True once a TCP client on `host:port` (default 127.0.0.1) receives a NATS `INFO` line (auth comes later). */
export const natsAcceptsConnections = (
  port: number,
  timeoutMs = 1_000,
  host = '127.0.0.1',
): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('utf8').startsWith('INFO')));
  });

/** Where a managed server listens beyond loopback (`lily up --listen HOST[:PORT]`). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The NATS client port when `--listen` names none. */
export const DEFAULT_NATS_PORT = 4222;

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '*']);

/**
 * Parses `HOST`, `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces). Throws through `bad`
 * for anything else (a port outside 1-65535, an empty host with no port, spaces).
 */
export const parseListenAddress = (value: string, bad: (why: string) => Error): ListenAddress => {
  const v = value.trim();
  if (v === '' || /\s/.test(v)) throw bad(`${JSON.stringify(value)} is not HOST[:PORT]`);
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(v);
  if (bracketed) [, host = '', portText] = bracketed;
  else if ((v.match(/:/g) ?? []).length > 1)
    host = v; // a bare IPv6 address
  else [host = '', portText] = v.split(':');
  if (!/^[A-Za-z0-9.:_-]*$/.test(host)) throw bad(`${JSON.stringify(host)} is not a host name or address`);
  if (portText !== undefined && !/^\d{1,5}$/.test(portText))
    throw bad(`port ${JSON.stringify(portText)} is not a number`);
  const port = portText === undefined ? DEFAULT_NATS_PORT : Number(portText);
  if (port < 1 || port > 65_535) throw bad(`port ${port} is not 1-65535`);
  if (host === '' && portText === undefined) throw bad('give a host, a port, or both');
  return { host: host === '' ? '0.0.0.0' : host, port };
};

/** True for an address that means "every interface". */
export const isWildcardHost = (host: string): boolean => WILDCARDS.has(host);

/** The host local clients use to reach a server listening on `host`. */
export const localHostFor = (host: string): string => (isWildcardHost(host) ? '127.0.0.1' : host);

/** `host:port` for a config file or a url (IPv6 in brackets). */
export const hostPort = (host: string, port: number): string =>
  host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
