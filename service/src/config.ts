/**
 * The service's configuration: defaults, overlaid by environment variables, then by a JSON
 * config file, then by command-line flags (each later source wins).
 *
 * `SETTINGS` declares every key once (default, environment variable, flag, help, check): the
 * defaults, the environment and flag parsing, the validation and the README's reference
 * (`repo2docker-service --help-config`) all come from it.
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
  /** Which build backend runs builds: a kind registered in backends/factory.ts. */
  backend: {
    kind: string;
    /** kind "binderhub": BinderHub's URL (its base_url included). */
    url: string | null;
    /** kind "binderhub": sent as `Authorization: token …` when BinderHub sits behind JupyterHub auth. */
    token: string | null;
    /** kind "binderhub": BinderHub's repo provider; only "git" takes any repository URL. */
    provider: 'git';
    /** kind "binderhub": keep BinderHub's own tag once the image is ours (others use it as a cache). */
    keepBinderHubImage: boolean;
  };
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
    /** Folder uploads: bytes of file content (and of the compressed body) one upload may hold. */
    uploadMaxBytes: number;
    /** Folder uploads: archive members (files, directories, links) one upload may hold. */
    uploadMaxFiles: number;
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

/** One configuration key, declared once: its value by default, where else it may come from, its words. */
export interface Setting {
  /** Dotted path in `ServiceConfig`. */
  key: string;
  default: unknown;
  /** The environment variable that sets it (several rows may read one variable). */
  env?: string;
  /** How the variable's text becomes the value (default: the text itself). */
  fromEnv?: (text: string) => unknown;
  /** The command-line flag that sets it, without `--` (`--config`'s file is overlaid before flags). */
  flag?: string;
  /** How the flag's text becomes the value (default: the text; a boolean default makes a switch). */
  fromFlag?: (text: string) => unknown;
  /** One line for `--help-config` and the README. */
  help: string;
  /** Why the (merged) value is wrong, naming the key; `null` when it is fine. */
  check?: (value: unknown) => string | null;
}

const positive = (key: string) => (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0
    ? null
    : `${key} must be a positive number`;
const stringList = (message: string) => (value: unknown) =>
  Array.isArray(value) &&
  value.every(item => typeof item === 'string' && item.trim() !== '')
    ? null
    : message;

/** Every key, in the order the reference lists them. `listen` is one row: a socket or host and port. */
export const SETTINGS: readonly Setting[] = [
  {
    key: 'serviceName',
    default: 'repo2docker',
    env: 'JUPYTERHUB_SERVICE_NAME',
    help: 'Service name in JupyterHub; scopes are checked against it.'
  },
  {
    key: 'listen',
    default: { host: '127.0.0.1', port: 10101 },
    env: 'JUPYTERHUB_SERVICE_URL',
    fromEnv: text => {
      const url = new URL(text);
      return {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 80)
      };
    },
    help: '{"host","port"} or {"socket": path}; flags --host/--port/--socket (a socket wins).',
    check: value => {
      const listen = value as ListenAddress;
      return 'port' in listen &&
        !(
          Number.isInteger(listen.port) &&
          listen.port >= 0 &&
          listen.port < 65536
        )
        ? `listen.port must be a port number, got ${String(listen.port)}`
        : null;
    }
  },
  {
    key: 'prefix',
    default: '/',
    env: 'JUPYTERHUB_SERVICE_PREFIX',
    flag: 'prefix',
    help: 'URL prefix the service answers under.'
  },
  {
    key: 'auth.mode',
    default: 'local',
    env: 'JUPYTERHUB_API_URL',
    fromEnv: () => 'jupyterhub',
    help: '"jupyterhub" (the default when JUPYTERHUB_API_URL is set) or "local"; nothing falls back from one to the other.',
    check: value =>
      value === 'local' || value === 'jupyterhub'
        ? null
        : `auth.mode must be "local" or "jupyterhub", got ${JSON.stringify(value)}`
  },
  {
    key: 'auth.hubApiUrl',
    default: null,
    env: 'JUPYTERHUB_API_URL',
    help: 'JupyterHub mode: the hub API (its variable also selects this mode).'
  },
  {
    key: 'auth.cacheSeconds',
    default: 10,
    help: 'JupyterHub mode: how long a token lookup is trusted before asking the hub again.'
  },
  {
    key: 'auth.cacheMaxEntries',
    default: 10000,
    help: 'JupyterHub mode: token lookups cached at most.'
  },
  {
    key: 'auth.cookieSecret',
    default: null,
    env: 'REPO2DOCKER_SERVICE_COOKIE_SECRET',
    help: 'Signs the service page cookies; random per start if unset.'
  },
  {
    key: 'auth.failureLimit',
    default: { maxFailures: 20, windowSeconds: 60 },
    help: '{"maxFailures","windowSeconds"}: failed token checks allowed per client address in that window; more gives 429 with Retry-After, without asking the hub.',
    check: value => {
      const limit = value as {
        maxFailures?: number;
        windowSeconds?: number;
      } | null;
      return (limit?.maxFailures ?? 0) > 0 && (limit?.windowSeconds ?? 0) > 0
        ? null
        : 'auth.failureLimit must be {"maxFailures": N, "windowSeconds": S} with positive numbers';
    }
  },
  {
    key: 'auth.trustedProxies',
    default: ['127.0.0.1', '::1'],
    help: "Peer addresses (the hub's proxy) whose X-Forwarded-For, its last entry, names the client for auth.failureLimit; other peers are the client themselves.",
    check: value =>
      Array.isArray(value) && value.every(proxy => typeof proxy === 'string')
        ? null
        : 'auth.trustedProxies must be a list of addresses, e.g. ["127.0.0.1"]'
  },
  {
    key: 'auth.localUser',
    default: 'user',
    env: 'USER',
    help: 'Local mode: the single user.'
  },
  {
    key: 'auth.secret',
    default: null,
    env: 'REPO2DOCKER_SERVICE_SECRET',
    help: 'Local mode: shared secret (random if unset on TCP).'
  },
  {
    key: 'corsOrigins',
    default: [],
    help: 'Browser origins allowed to call the API (CORS), e.g. ["https://*.hub.example.org"] with subdomain_host.'
  },
  {
    key: 'backend.kind',
    default: 'local',
    help: 'Which build backend runs builds: "local" (repo2docker on the Docker engine) or "binderhub" (a BinderHub build API, backend.url); an unknown kind stops the start.',
    check: value =>
      typeof value === 'string' && value !== ''
        ? null
        : 'backend.kind must name a build backend, e.g. "local"'
  },
  {
    key: 'backend.url',
    default: null,
    help: 'backend.kind "binderhub": BinderHub\'s URL, e.g. "http://127.0.0.1:8585" (its images must land in this service\'s Docker engine or in its registry).',
    check: value =>
      value === null ||
      (typeof value === 'string' && /^https?:\/\/[^\s]+$/.test(value))
        ? null
        : 'backend.url must be an http:// or https:// URL'
  },
  {
    key: 'backend.token',
    default: null,
    env: 'REPO2DOCKER_BINDERHUB_TOKEN',
    help: 'backend.kind "binderhub": token sent as "Authorization: token …" when BinderHub has auth enabled; best from the environment.'
  },
  {
    key: 'backend.provider',
    default: 'git',
    help: 'backend.kind "binderhub": BinderHub\'s repo provider; only "git" (any repository URL at a commit).',
    check: value => (value === 'git' ? null : 'backend.provider must be "git"')
  },
  {
    key: 'backend.keepBinderHubImage',
    default: false,
    help: 'backend.kind "binderhub": keep BinderHub\'s own image name once the image is ours (when others use it as a cache).'
  },
  {
    key: 'repo2docker.command',
    default: ['repo2docker'],
    env: 'REPO2DOCKER_COMMAND',
    fromEnv: text => [text],
    help: 'argv that runs repo2docker (the variable gives the executable alone).',
    check: value =>
      Array.isArray(value) && value.length > 0
        ? null
        : 'repo2docker.command must be a non-empty list (argv)'
  },
  {
    key: 'repo2docker.configFile',
    default: null,
    flag: 'repo2docker-config',
    help: 'repo2docker config passed with --config (e.g. offline build args).'
  },
  {
    key: 'repo2docker.userId',
    default: 1000,
    help: 'User id the image runs as (repo2docker --user-id).'
  },
  {
    key: 'repo2docker.userName',
    default: 'jovyan',
    help: 'User name the image runs as (repo2docker --user-name).'
  },
  {
    key: 'git.command',
    default: 'git',
    help: 'git executable that resolves refs (git ls-remote) and fetches repositories for builds, always with no system or global config, no credential helper and only the https, http and git transports.'
  },
  {
    key: 'git.lsRemoteTimeoutSeconds',
    default: 30,
    help: 'How long resolving a ref may take.'
  },
  {
    key: 'images.template',
    default: 'r2d-{owner}/{name}',
    help: 'Image repository template with {owner} and {name}; the tag is the commit.',
    check: value =>
      typeof value === 'string' &&
      value.includes('{owner}') &&
      value.includes('{name}')
        ? null
        : 'images.template must contain {owner} and {name}, so that users cannot overwrite each other'
  },
  {
    key: 'registry.url',
    default: null,
    help: 'OCI registry to push to and list from, e.g. "https://registry.example.org"; http:// only on loopback or with registry.insecure. Image names then begin with its host[:port].'
  },
  {
    key: 'registry.prefix',
    default: '',
    help: 'Path put before every image repository in the registry, e.g. "jupyter/".'
  },
  {
    key: 'registry.pushByDefault',
    default: false,
    help: 'Builds push unless the request says "push": false.'
  },
  {
    key: 'registry.credentialsFile',
    default: null,
    help: 'JSON file with {"username","password"} (or a Docker config.json with "auths") for the registry; REPO2DOCKER_REGISTRY_USERNAME and REPO2DOCKER_REGISTRY_PASSWORD win over it. Never logged nor returned.'
  },
  {
    key: 'registry.insecure',
    default: false,
    help: 'Allow plain http:// to a registry that is not on loopback (the Docker engine must list it in insecure-registries too).'
  },
  {
    key: 'builds.maxConcurrent',
    default: 2,
    help: 'Builds running at once over all users.',
    check: positive('builds.maxConcurrent')
  },
  {
    key: 'builds.maxConcurrentPerUser',
    default: 1,
    help: 'Builds running at once per user.',
    check: positive('builds.maxConcurrentPerUser')
  },
  {
    key: 'builds.maxQueuedPerUser',
    default: 10,
    help: 'Builds a user may have waiting or running; more gives 429.',
    check: positive('builds.maxQueuedPerUser')
  },
  {
    key: 'builds.timeoutSeconds',
    default: 3600,
    help: 'A build running longer fails and is cleaned up.',
    check: positive('builds.timeoutSeconds')
  },
  {
    key: 'builds.allowLocalRepos',
    default: false,
    flag: 'allow-local-repos',
    help: 'Accept local paths and file:// URLs as repositories.'
  },
  {
    key: 'builds.refusePrivateAddresses',
    default: null,
    help: "Refuse (400) repositories whose host resolves to a loopback, link-local, private (10/8, 172.16/12, 192.168/16, 100.64/10) or unique-local address, so users cannot clone the hub's internal services or cloud metadata; git then follows no HTTP redirects. The name is resolved when the request arrives and again before the clone: a DNS answer that changes in between is not caught (use an egress firewall for that). null: on under JupyterHub, off in local mode."
  },
  {
    key: 'builds.allowedHosts',
    default: [],
    help: 'Host patterns exempt from builds.refusePrivateAddresses, e.g. ["gitlab.internal", "*.corp.example"] ("*." matches any subdomain).',
    check: stringList(
      'builds.allowedHosts must be a list of host patterns, e.g. ["gitlab.internal", "*.corp.example"]'
    )
  },
  {
    key: 'builds.uploadMaxBytes',
    default: 100 * 1024 * 1024,
    help: 'Folder uploads (POST /api/builds/upload): the most bytes of file content an upload may unpack to, and the most bytes its tar.gz body may have; past it, 413.',
    check: positive('builds.uploadMaxBytes')
  },
  {
    key: 'builds.uploadMaxFiles',
    default: 10_000,
    help: 'Folder uploads: the most archive members (files, directories, symbolic links) an upload may hold; past it, 413.',
    check: positive('builds.uploadMaxFiles')
  },
  {
    key: 'logs.maxBuilds',
    default: 200,
    help: 'Finished builds whose logs stay in memory.'
  },
  {
    key: 'logs.maxBytes',
    default: 512 * 1024 * 1024,
    help: 'Bytes of finished logs kept in memory.'
  },
  {
    key: 'logs.maxBuildBytes',
    default: 64 * 1024 * 1024,
    help: 'Bytes of log one build may write; past it the build is stopped and fails, saying so.',
    check: positive('logs.maxBuildBytes')
  },
  {
    key: 'logs.maxStreamsPerUser',
    default: 20,
    help: 'Log streams open at once per user; more gives 429 with Retry-After.',
    check: positive('logs.maxStreamsPerUser')
  },
  {
    key: 'logs.maxStreams',
    default: 1000,
    help: 'Log streams open at once over all users; more gives 429 with Retry-After.',
    check: positive('logs.maxStreams')
  },
  {
    key: 'heartbeatSeconds',
    default: 15,
    help: 'SSE keep-alive comment interval.'
  },
  {
    key: 'logLevel',
    default: 'info',
    flag: 'log-level',
    help: 'Service log level.'
  }
];

function getPath(object: unknown, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>(
      (value, part) => (value as Record<string, unknown> | undefined)?.[part],
      object
    );
}

function setPath(
  object: Record<string, unknown>,
  key: string,
  value: unknown
): void {
  const parts = key.split('.');
  let node = object;
  for (const part of parts.slice(0, -1)) {
    node = (node[part] ??= {}) as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

function fromSettings(
  pick: (setting: Setting) => { has: boolean; value?: unknown }
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const { has, value } = pick(setting);
    if (has) {
      setPath(out, setting.key, structuredClone(value));
    }
  }
  return out;
}

export const DEFAULT_CONFIG: ServiceConfig = fromSettings(setting => ({
  has: true,
  value: setting.default
})) as unknown as ServiceConfig;

/** One line per key (its help), for tests that look keys up. */
export const CONFIG_REFERENCE: Record<string, string> = Object.fromEntries(
  SETTINGS.map(setting => [setting.key, setting.help])
);

const shown = (value: unknown): string =>
  value === null ? 'none' : `\`${JSON.stringify(value)}\``;

/** The reference as a markdown table: `--help-config` prints it, README.md carries it (a test compares). */
export function renderConfigReference(): string {
  const rows = SETTINGS.map(
    setting =>
      `| \`${setting.key}\` | ${shown(setting.default)} | ${setting.env ? `\`${setting.env}\`` : ''} | ${setting.flag ? `\`--${setting.flag}\`` : ''} | ${setting.help} |`
  );
  return (
    [
      '| key | default | environment | flag | meaning |',
      '| --- | --- | --- | --- | --- |',
      ...rows
    ].join('\n') + '\n'
  );
}

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
function mergeListen(
  current: ListenAddress,
  value: Record<string, unknown>,
  path: string
): ListenAddress {
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
  const base =
    'port' in current
      ? current
      : (DEFAULT_CONFIG.listen as { host: string; port: number });
  return {
    host: (value.host as string | undefined) ?? base.host,
    port: (value.port as number | undefined) ?? base.port
  };
}

function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return fromSettings(setting => {
    const text = setting.env ? env[setting.env] : undefined;
    return text
      ? { has: true, value: setting.fromEnv ? setting.fromEnv(text) : text }
      : { has: false };
  });
}

export interface LoadedConfig {
  config: ServiceConfig;
  /** `--help-config` was given: print the reference and exit. */
  helpConfig: boolean;
}

/** Build the configuration from argv and the environment. Throws with a plain message on errors. */
export function loadConfig(
  argv: string[],
  env: NodeJS.ProcessEnv
): LoadedConfig {
  const flagged = SETTINGS.filter(setting => setting.flag);
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      socket: { type: 'string' },
      'help-config': { type: 'boolean' },
      ...Object.fromEntries(
        flagged.map(setting => [
          setting.flag!,
          {
            type:
              typeof setting.default === 'boolean'
                ? ('boolean' as const)
                : ('string' as const)
          }
        ])
      )
    }
  });
  let config = merge(structuredClone(DEFAULT_CONFIG), fromEnvironment(env));
  const file = values.config ?? env.REPO2DOCKER_SERVICE_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(
        `cannot read config file ${file}: ${(error as Error).message}`
      );
    }
    config = merge(config, parsed);
  }
  if (values.socket) {
    config.listen = { socket: values.socket };
  } else if (values.host || values.port) {
    const current =
      'port' in config.listen
        ? config.listen
        : (DEFAULT_CONFIG.listen as { host: string; port: number });
    config.listen = {
      host: values.host ?? current.host,
      port: values.port ? Number(values.port) : current.port
    };
  }
  const fromFlags = fromSettings(setting => {
    const given = setting.flag
      ? (values as Record<string, string | boolean | undefined>)[setting.flag]
      : undefined;
    // A switch only ever turns its setting on; an empty value is no value.
    return given
      ? {
          has: true,
          value: setting.fromFlag ? setting.fromFlag(String(given)) : given
        }
      : { has: false };
  });
  config = merge(config, fromFlags);
  return {
    config: checkConfig(config),
    helpConfig: values['help-config'] ?? false
  };
}

/** Normalise and check what cannot be typed: prefixes, numbers, the template's placeholders. */
export function checkConfig(config: ServiceConfig): ServiceConfig {
  let prefix = config.prefix.startsWith('/')
    ? config.prefix
    : `/${config.prefix}`;
  if (!prefix.endsWith('/')) {
    prefix += '/';
  }
  for (const setting of SETTINGS) {
    const problem = setting.check?.(getPath(config, setting.key));
    if (problem) {
      throw new Error(problem);
    }
  }
  return { ...config, prefix, registry: checkRegistry(config.registry) };
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])$/;
// One path component of an image reference (distribution/reference).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Normalise the registry section: a URL of scheme and host only, a prefix ending in `/`. */
function checkRegistry(
  registry: ServiceConfig['registry']
): ServiceConfig['registry'] {
  if (registry.url === null || registry.url === '') {
    return { ...registry, url: null };
  }
  if (typeof registry.url !== 'string') {
    throw new Error('registry.url must be a URL');
  }
  const given = registry.url.includes('://')
    ? registry.url
    : `${registry.insecure ? 'http' : 'https'}://${registry.url}`;
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
    throw new Error(
      'registry.url must not hold credentials; use REPO2DOCKER_REGISTRY_USERNAME/PASSWORD or registry.credentialsFile'
    );
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(
      'registry.url is the registry host only (put paths in registry.prefix)'
    );
  }
  if (
    url.protocol === 'http:' &&
    !LOOPBACK.test(url.hostname) &&
    !registry.insecure
  ) {
    throw new Error(
      'registry.url is plain http:// on a host that is not loopback; use https:// or set registry.insecure'
    );
  }
  let prefix = registry.prefix ?? '';
  if (prefix !== '') {
    prefix = prefix.replace(/^\/+/, '');
    if (!prefix.endsWith('/')) {
      prefix += '/';
    }
    if (
      !prefix
        .slice(0, -1)
        .split('/')
        .every(part => PATH_COMPONENT.test(part))
    ) {
      throw new Error(
        `registry.prefix "${registry.prefix}" must be lowercase path components like "jupyter/"`
      );
    }
  }
  return { ...registry, url: `${url.protocol}//${url.host}`, prefix };
}

/** `host[:port]` of the registry as image names begin with it. */
export function registryHost(url: string): string {
  return new URL(url).host;
}
