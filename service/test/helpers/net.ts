/** Loopback plumbing shared by the test helpers: free ports and JSON calls. */
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

const handedOut = new Set<number>();

/** A free port on 127.0.0.1, never one this process handed out before (helpers start several). */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    server.close();
    await once(server, 'close');
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** fetch with a JSON body (a string is sent as is), answering the parsed JSON (or the text). */
export async function jsonCall<T = any>(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown
): Promise<ApiResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] =
      'application/json';
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON (metrics, yaml)
  }
  return {
    status: response.status,
    body: parsed as T,
    headers: response.headers
  };
}
