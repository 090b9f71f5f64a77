/**
 * The service's configuration: defaults, overlaid by environment variables, then by a JSON
 * config file, then by command-line flags (each later source wins).
 *
 * `CONFIG_REFERENCE` documents every key; the README's configuration reference is generated from
 * it (`repo2docker-service --help-config`), so a key added here is documented in one place.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export type ListenAddress = { host: string; port: number } | { socket: string };

export interface ServiceConfig {
  /** Service name in the hub (`JUPYTERHUB_SERVICE_NAME`); scopes are checked against it. */
  serviceName: string;
  listen: ListenAddress;
  /** URL path prefix the service answers under, starting and ending with `/`. */
  prefix: string;
  auth: {
    mode: 'local' | 'jupyterhub';
    /** Local mode: the one user, who holds every scope. */
    localUser: string;
    /** Local mode: the shared secret; `null` only on a unix socket (its file mode guards it). */
    secret: string | null;
    /** JupyterHub mode: the hub API (`JUPYTERHUB_API_URL`). The service's token comes from the environment only. */
    hubApiUrl: string | null;
    /** JupyterHub mode: how long a token's identity and scopes are trusted before asking again. */
    cacheSeconds: number;
    cacheMaxEntries: number;
    /** Signs the service page's cookies; env REPO2DOCKER_SERVICE_COOKIE_SECRET; random per start if unset. */
    cookieSecret: string | null;
    /** Failed authentications allowed per client address in a window; past it, 429 without asking the hub. */
    failureLimit: { maxFailures: number; windowSeconds: number };
    /** Peers whose `X-Forwarded-For` (its last entry) names the client: the hub's proxy. */
    trustedProxies: string[];
  };
  /**
   * Origins allowed to call the API from a browser (CORS), for hubs with `subdomain_host` where
   * the service has a host of its own: e.g. `https://*.hub.example.org` for the user hosts.
   */
  corsOrigins: string[];
  repo2docker: {
    /** argv prefix that runs repo2docker, e.g. `["repo2docker"]` or `["/venv/bin/repo2docker"]`. */
    command: string[];
    /** repo2docker config file passed with `--config` (e.g. offline build args). */
    configFile: string | null;
    userId: number;
    userName: string;
  };
  git: { command: string; lsRemoteTimeoutSeconds: number };
  images: {
    /** Image repository template; `{owner}` and `{name}` are required. The tag is the commit. */
    template: string;
  };
  /**
   * The OCI registry images are pushed to and listed from; `url: null` for none. Credentials are
   * never part of the configuration itself: they come from the environment
   * (`REPO2DOCKER_REGISTRY_USERNAME` / `REPO2DOCKER_REGISTRY_PASSWORD`) or from `credentialsFile`.
   */
  registry: {
    /** `https://registry.example.org` (`http://` only on loopback, or with `insecure`). */
    url: string | null;
    /** Put before every image repository after the registry host, e.g. `jupyter/`. */
    prefix: string;
    /** Builds push unless they ask `push: false`. */
    pushByDefault: boolean;
    /** JSON file `{"username", "password"}` or a Docker `config.json` with `auths`. */
    credentialsFile: string | null;
    /** Allow plain `http://` to a registry that is not on loopback. */
    insecure: boolean;
  };
  builds: {
    maxConcurrent: number;
    maxConcurrentPerUser: number;
    maxQueuedPerUser: number;
    timeoutSeconds: number;
    /** Accept local paths and file:// URLs as repositories (tests, single-user laptops). */
    allowLocalRepos: boolean;
    /**
     * Refuse repositories whose host resolves to a loopback, link-local, private or unique-local
     * address (builds/host-policy.ts); `null`: on under JupyterHub, off in local mode.
     */
    refusePrivateAddresses: boolean | null;
    /** Host patterns exempt from `refusePrivateAddresses`: `gitlab.internal`, `*.corp.example`. */
    allowedHosts: string[];
  };
  logs: {
    /** Finished builds whose logs stay in memory; the oldest go first. */
    maxBuilds: number;
    /** Bytes of log text kept over all finished builds; the oldest go first. */
    maxBytes: number;
    /** Bytes of log one build may write; past it the build is stopped and fails. */
    maxBuildBytes: number;
    /** Log streams open at once per user, and over all users; more gives 429. */
    maxStreamsPerUser: number;
    maxStreams: number;
  };
  /** SSE comment heartbeat interval, keeping quiet streams alive through proxies. */
  heartbeatSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const DEFAULT_CONFIG: ServiceConfig = {
  serviceName: 'repo2docker',
  listen: { host: '127.0.0.1', port: 10101 },
  prefix: '/',
  auth: {
    mode: 'local',
    localUser: 'user',
    secret: null,
    hubApiUrl: null,
    cacheSeconds: 10,
    cacheMaxEntries: 10000,
    cookieSecret: null,
    failureLimit: { maxFailures: 20, windowSeconds: 60 },
    trustedProxies: ['127.0.0.1', '::1']
  },
  corsOrigins: [],
  repo2docker: { command: ['repo2docker'], configFile: null, userId: 1000, userName: 'jovyan' },
  git: { command: 'git', lsRemoteTimeoutSeconds: 30 },
  images: { template: 'r2d-{owner}/{name}' },
  registry: { url: null, prefix: '', pushByDefault: false, credentialsFile: null, insecure: false },
  builds: {
    maxConcurrent: 2,
    maxConcurrentPerUser: 1,
    maxQueuedPerUser: 10,
    timeoutSeconds: 3600,
    allowLocalRepos: false,
    refusePrivateAddresses: null,
    allowedHosts: []
  },
  logs: { maxBuilds: 200, maxBytes: 512 * 1024 * 1024, maxBuildBytes: 64 * 1024 * 1024, maxStreamsPerUser: 20, maxStreams: 1000 },
  heartbeatSeconds: 15,
  logLevel: 'info'
};

/** One line per key, for `--help-config` and the README. */
export const CONFIG_REFERENCE: Record<string, string> = {
  serviceName: 'Service name in JupyterHub; env JUPYTERHUB_SERVICE_NAME. Default "repo2docker".',
  listen: '{"host","port"} or {"socket": path}; env JUPYTERHUB_SERVICE_URL; flags --host/--port/--socket.',
  prefix: 'URL prefix; env JUPYTERHUB_SERVICE_PREFIX; flag --prefix. Default "/".',
  'auth.mode': '"jupyterhub" (default when JUPYTERHUB_API_URL is set) or "local".',
  'auth.hubApiUrl': 'JupyterHub mode: the hub API; env JUPYTERHUB_API_URL (which also selects this mode).',
  'auth.cacheSeconds / cacheMaxEntries': 'JupyterHub mode: token lookups cached this long (default 10 s), at most this many (10000).',
  'auth.cookieSecret': 'Signs the service page cookies; env REPO2DOCKER_SERVICE_COOKIE_SECRET (random per start if unset).',
  'auth.failureLimit': '{"maxFailures","windowSeconds"}: failed token checks allowed per client address in that window; more gives 429 with Retry-After, without asking the hub. Default 20 per 60 s.',
  'auth.trustedProxies': 'Peer addresses (the hub\'s proxy) whose X-Forwarded-For, its last entry, names the client for auth.failureLimit; other peers are the client themselves. Default ["127.0.0.1", "::1"].',
  corsOrigins: 'Browser origins allowed to call the API (CORS), e.g. ["https://*.hub.example.org"] with subdomain_host. Default none.',
  'auth.localUser': 'Local mode: the single user (default $USER).',
  'auth.secret': 'Local mode: shared secret; env REPO2DOCKER_SERVICE_SECRET (random if unset on TCP).',
  'repo2docker.command': 'argv that runs repo2docker; env REPO2DOCKER_COMMAND. Default ["repo2docker"].',
  'repo2docker.configFile': 'repo2docker config passed with --config; flag --repo2docker-config.',
  'repo2docker.userId / userName': 'User the image runs as (repo2docker --user-id/--user-name).',
  'git.command': 'git executable that resolves refs (git ls-remote) and fetches repositories for builds, always with no system or global config, no credential helper and only the https, http and git transports. Default "git".',
  'git.lsRemoteTimeoutSeconds': 'How long resolving a ref may take. Default 30.',
  'images.template': 'Image repository template with {owner} and {name}. Default "r2d-{owner}/{name}".',
  'registry.url': 'OCI registry to push to and list from, e.g. "https://registry.example.org"; http:// only on loopback or with registry.insecure. Image names then begin with its host[:port]. Default none.',
  'registry.prefix': 'Path put before every image repository in the registry, e.g. "jupyter/". Default "".',
  'registry.pushByDefault': 'Builds push unless the request says "push": false. Default false.',
  'registry.credentialsFile': 'JSON file with {"username","password"} (or a Docker config.json with "auths") for the registry; env REPO2DOCKER_REGISTRY_USERNAME and REPO2DOCKER_REGISTRY_PASSWORD win over it. Never logged nor returned.',
  'registry.insecure': 'Allow plain http:// to a registry that is not on loopback (the Docker engine must list it in insecure-registries too). Default false.',
  'builds.maxConcurrent': 'Builds running at once over all users. Default 2.',
  'builds.maxConcurrentPerUser': 'Builds running at once per user. Default 1.',
  'builds.maxQueuedPerUser': 'Builds a user may have waiting or running; more gives 429. Default 10.',
  'builds.timeoutSeconds': 'A build running longer fails and is cleaned up. Default 3600.',
  'builds.allowLocalRepos': 'Accept local paths/file:// URLs; flag --allow-local-repos. Default false.',
  'builds.refusePrivateAddresses': 'Refuse (400) repositories whose host resolves to a loopback, link-local, private (10/8, 172.16/12, 192.168/16, 100.64/10) or unique-local address, so users cannot clone the hub\'s internal services or cloud metadata; git then follows no HTTP redirects. The name is resolved when the request arrives and again before the clone: a DNS answer that changes in between is not caught (use an egress firewall for that). Default true under JupyterHub, false in local mode.',
  'builds.allowedHosts': 'Host patterns exempt from builds.refusePrivateAddresses, e.g. ["gitlab.internal", "*.corp.example"] ("*." matches any subdomain). Default none.',
  'logs.maxBuilds': 'Finished builds whose logs stay in memory. Default 200.',
  'logs.maxBytes': 'Bytes of finished logs kept in memory. Default 512 MiB.',
  'logs.maxBuildBytes': 'Bytes of log one build may write; past it the build is stopped and fails, saying so. Default 64 MiB.',
  'logs.maxStreamsPerUser / maxStreams': 'Log streams open at once per user and over all users; more gives 429 with Retry-After. Default 20 and 1000.',
  heartbeatSeconds: 'SSE keep-alive comment interval. Default 15.',
  logLevel: 'Service log level; flag --log-level. Default "info".'
};

/** The reference as a markdown table: `--help-config` prints it, README.md carries it (a test compares). */
export function renderConfigReference(): string {
  const rows = Object.entries(CONFIG_REFERENCE).map(([key, text]) => `| \`${key}\` | ${text} |`);
  return ['| key | meaning |', '| --- | --- |', ...rows].join('\n') + '\n';
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Overlay `patch` onto `base`, refusing keys the base does not have (typos in config files). */
function merge<T>(base: T, patch: unknown, path = ''): T {
  if (!isPlainObject(patch)) {
    return base;
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      throw new Error(`unknown configuration key "${path}${key}"`);
    }
    const current = out[key];
    out[key] =
      key === 'listen' && isPlainObject(value)
        ? mergeListen(current as ListenAddress, value, `${path}${key}`)
        : isPlainObject(current) && isPlainObject(value)
          ? merge(current, value, `${path}${key}.`)
          : value;
  }
  return out as T;
}

/** `listen` is either a socket or host+port: a socket replaces; a host or a port alone keeps the other. */
function mergeListen(current: ListenAddress, value: Record<string, unknown>, path: string): ListenAddress {
  if ('socket' in value) {
    if (typeof value.socket !== 'string' || Object.keys(value).length !== 1) {
      throw new Error(`${path} with "socket" takes nothing else`);
    }
    return { socket: value.socket };
  }
  for (const key of Object.keys(value)) {
    if (key !== 'host' && key !== 'port') {
      throw new Error(`unknown configuration key "${path}.${key}"`);
    }
  }
  const base = 'port' in current ? current : (DEFAULT_CONFIG.listen as { host: string; port: number });
  return { host: (value.host as string | undefined) ?? base.host, port: (value.port as number | undefined) ?? base.port };
}

function fromEnvironment(env: NodeJS.ProcessEnv): DeepPartial<ServiceConfig> {
  const patch: DeepPartial<ServiceConfig> = {};
  if (env.JUPYTERHUB_SERVICE_NAME) {
    patch.serviceName = env.JUPYTERHUB_SERVICE_NAME;
  }
  if (env.JUPYTERHUB_SERVICE_URL) {
    const url = new URL(env.JUPYTERHUB_SERVICE_URL);
    patch.listen = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) };
  }
  if (env.JUPYTERHUB_SERVICE_PREFIX) {
    patch.prefix = env.JUPYTERHUB_SERVICE_PREFIX;
  }
  const auth: DeepPartial<ServiceConfig['auth']> = {};
  if (env.JUPYTERHUB_API_URL) {
    auth.mode = 'jupyterhub';
    auth.hubApiUrl = env.JUPYTERHUB_API_URL;
  }
  if (env.REPO2DOCKER_SERVICE_SECRET) {
    auth.secret = env.REPO2DOCKER_SERVICE_SECRET;
  }
  if (env.REPO2DOCKER_SERVICE_COOKIE_SECRET) {
    auth.cookieSecret = env.REPO2DOCKER_SERVICE_COOKIE_SECRET;
  }
  if (env.USER) {
    auth.localUser = env.USER;
  }
  patch.auth = auth;
  if (env.REPO2DOCKER_COMMAND) {
    patch.repo2docker = { command: [env.REPO2DOCKER_COMMAND] };
  }
  return patch;
}

export interface LoadedConfig {
  config: ServiceConfig;
  /** `--help-config` was given: print the reference and exit. */
  helpConfig: boolean;
}

/** Build the configuration from argv and the environment. Throws with a plain message on errors. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): LoadedConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      socket: { type: 'string' },
      prefix: { type: 'string' },
      'allow-local-repos': { type: 'boolean' },
      'repo2docker-config': { type: 'string' },
      'log-level': { type: 'string' },
      'help-config': { type: 'boolean' }
    }
  });
  let config = merge(structuredClone(DEFAULT_CONFIG), fromEnvironment(env));
  const file = values.config ?? env.REPO2DOCKER_SERVICE_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read config file ${file}: ${(error as Error).message}`);
    }
    config = merge(config, parsed);
  }
  if (values.socket) {
    config.listen = { socket: values.socket };
  } else if (values.host || values.port) {
    const current = 'port' in config.listen ? config.listen : DEFAULT_CONFIG.listen as { host: string; port: number };
    config.listen = { host: values.host ?? current.host, port: values.port ? Number(values.port) : current.port };
  }
  if (values.prefix) {
    config.prefix = values.prefix;
  }
  if (values['allow-local-repos']) {
    config.builds = { ...config.builds, allowLocalRepos: true };
  }
  if (values['repo2docker-config']) {
    config.repo2docker = { ...config.repo2docker, configFile: values['repo2docker-config'] };
  }
  if (values['log-level']) {
    config.logLevel = values['log-level'] as ServiceConfig['logLevel'];
  }
  return { config: checkConfig(config), helpConfig: values['help-config'] ?? false };
}

/** Normalise and check what cannot be typed: prefixes, numbers, the template's placeholders. */
export function checkConfig(config: ServiceConfig): ServiceConfig {
  let prefix = config.prefix.startsWith('/') ? config.prefix : `/${config.prefix}`;
  if (!prefix.endsWith('/')) {
    prefix += '/';
  }
  if ('port' in config.listen && !(Number.isInteger(config.listen.port) && config.listen.port >= 0 && config.listen.port < 65536)) {
    throw new Error(`listen.port must be a port number, got ${String(config.listen.port)}`);
  }
  for (const key of ['maxConcurrent', 'maxConcurrentPerUser', 'maxQueuedPerUser', 'timeoutSeconds'] as const) {
    if (!(Number.isFinite(config.builds[key]) && config.builds[key] > 0)) {
      throw new Error(`builds.${key} must be a positive number`);
    }
  }
  for (const key of ['maxBuildBytes', 'maxStreamsPerUser', 'maxStreams'] as const) {
    if (!(Number.isFinite(config.logs[key]) && config.logs[key] > 0)) {
      throw new Error(`logs.${key} must be a positive number`);
    }
  }
  const { failureLimit, trustedProxies } = config.auth;
  if (!(failureLimit?.maxFailures > 0 && failureLimit?.windowSeconds > 0)) {
    throw new Error('auth.failureLimit must be {"maxFailures": N, "windowSeconds": S} with positive numbers');
  }
  if (!Array.isArray(trustedProxies) || !trustedProxies.every(proxy => typeof proxy === 'string')) {
    throw new Error('auth.trustedProxies must be a list of addresses, e.g. ["127.0.0.1"]');
  }
  if (!Array.isArray(config.builds.allowedHosts) || !config.builds.allowedHosts.every(host => typeof host === 'string' && host.trim() !== '')) {
    throw new Error('builds.allowedHosts must be a list of host patterns, e.g. ["gitlab.internal", "*.corp.example"]');
  }
  if (!config.images.template.includes('{owner}') || !config.images.template.includes('{name}')) {
    throw new Error('images.template must contain {owner} and {name}, so that users cannot overwrite each other');
  }
  if (!Array.isArray(config.repo2docker.command) || config.repo2docker.command.length === 0) {
    throw new Error('repo2docker.command must be a non-empty list (argv)');
  }
  return { ...config, prefix, registry: checkRegistry(config.registry) };
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])$/;
// One path component of an image reference (distribution/reference).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Normalise the registry section: a URL of scheme and host only, a prefix ending in `/`. */
function checkRegistry(registry: ServiceConfig['registry']): ServiceConfig['registry'] {
  if (registry.url === null || registry.url === '') {
    return { ...registry, url: null };
  }
  if (typeof registry.url !== 'string') {
    throw new Error('registry.url must be a URL');
  }
  const given = registry.url.includes('://') ? registry.url : `${registry.insecure ? 'http' : 'https'}://${registry.url}`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new Error(`registry.url "${registry.url}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('registry.url must be an https:// (or http://) URL');
  }
  if (url.username || url.password) {
    throw new Error('registry.url must not hold credentials; use REPO2DOCKER_REGISTRY_USERNAME/PASSWORD or registry.credentialsFile');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error('registry.url is the registry host only (put paths in registry.prefix)');
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !registry.insecure) {
    throw new Error('registry.url is plain http:// on a host that is not loopback; use https:// or set registry.insecure');
  }
  let prefix = registry.prefix ?? '';
  if (prefix !== '') {
    prefix = prefix.replace(/^\/+/, '');
    if (!prefix.endsWith('/')) {
      prefix += '/';
    }
    if (!prefix.slice(0, -1).split('/').every(part => PATH_COMPONENT.test(part))) {
      throw new Error(`registry.prefix "${registry.prefix}" must be lowercase path components like "jupyter/"`);
    }
  }
  return { ...registry, url: `${url.protocol}//${url.host}`, prefix };
}

/** `host[:port]` of the registry as image names begin with it. */
export function registryHost(url: string): string {
  return new URL(url).host;
}
