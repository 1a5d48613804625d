/**
 * A read-only HTTP listener for metrics and health: exact paths only (no directory listing, no
 * files), GET and HEAD only (405 with `Allow` otherwise, so nothing is writable over HTTP), 404
 * for anything else. Node's `http`; a handler returns status, type and body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../domain/errors.js';

export interface Reply {
  status: number;
  contentType: string;
  body: string;
}
export type Route = () => Reply | Promise<Reply>;

export interface Listening {
  /** host:port actually bound (the port is the kernel's when 0 was asked). */
  address: string;
  port: number;
  close(): Promise<void>;
}

export function json(status: number, doc: unknown): Reply {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(doc) + '\n' };
}

/** `host:port` → parts; a usage error when it is not one (the flag's value is named). */
export function parseListen(flag: string, value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new InputError(`--${flag} must be HOST:PORT (for example 127.0.0.1:9464), got '${value}'`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function listen(routes: Record<string, Route>, host: string, port: number): Promise<Listening> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    const send = (r: Reply, extra: Record<string, string> = {}) => {
      res.writeHead(r.status, { 'content-type': r.contentType, 'cache-control': 'no-store', ...extra });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    };
    if (!route) return send({ status: 404, contentType: 'text/plain; charset=utf-8', body: `not found: ${url.pathname}\n` });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send({ status: 405, contentType: 'text/plain; charset=utf-8', body: `method ${req.method} not allowed\n` }, { allow: 'GET, HEAD' });
    }
    Promise.resolve()
      .then(route)
      .then(
        (r) => send(r),
        (err: unknown) => send({ status: 500, contentType: 'text/plain; charset=utf-8', body: `error: ${err instanceof Error ? err.message : String(err)}\n` }),
      );
  });
  // A scraper that keeps its connection open must not hold a stopping server up.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new InputError(`cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.message}`));
    });
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve({
        address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
        port: a.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
