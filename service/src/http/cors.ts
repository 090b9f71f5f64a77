/**
 * CORS origins: exact origins or one leading wildcard label (`https://*.hub.example.org`), which
 * matches the hub's per-user hosts under `subdomain_host` and nothing else.
 */
export function originAllowed(origin: string, allowed: string[]): boolean {
  for (const pattern of allowed) {
    if (pattern === origin) {
      return true;
    }
    const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(pattern);
    if (wildcard && origin.startsWith(wildcard[1])) {
      const host = origin.slice(wildcard[1].length);
      const suffix = `.${wildcard[2]}`;
      // one label, of host characters only, before the fixed suffix
      if (
        host.endsWith(suffix) &&
        /^[A-Za-z0-9-]+$/.test(host.slice(0, -suffix.length))
      ) {
        return true;
      }
    }
  }
  return false;
}

/** For @fastify/cors: reflect an allowed origin, answer others without CORS headers. */
export function corsOriginCheck(allowed: string[]) {
  return (
    origin: string | undefined,
    callback: (error: Error | null, allow: boolean) => void
  ): void => {
    callback(null, origin !== undefined && originAllowed(origin, allowed));
  };
}
