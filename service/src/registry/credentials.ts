/**
 * Registry credentials: from the environment (`REPO2DOCKER_REGISTRY_USERNAME` and
 * `REPO2DOCKER_REGISTRY_PASSWORD`) or from the file `registry.credentialsFile` names. They are
 * read once at start, kept out of the configuration object, out of every child process's
 * environment (see SECRET_ENV in app.ts), and scrubbed from any text the registry or the Docker
 * engine sends back before it reaches a log or a response.
 */
import { readFileSync } from 'node:fs';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export const REGISTRY_USERNAME_ENV = 'REPO2DOCKER_REGISTRY_USERNAME';
export const REGISTRY_PASSWORD_ENV = 'REPO2DOCKER_REGISTRY_PASSWORD';

/**
 * The credentials for the registry at `host` (`host[:port]`), or `null` when none are given.
 * Errors never quote the file's content.
 */
export function loadRegistryCredentials(
  host: string,
  credentialsFile: string | null,
  env: NodeJS.ProcessEnv
): RegistryCredentials | null {
  const username = env[REGISTRY_USERNAME_ENV];
  const password = env[REGISTRY_PASSWORD_ENV];
  if (username || password) {
    if (!username || !password) {
      throw new Error(
        `set both ${REGISTRY_USERNAME_ENV} and ${REGISTRY_PASSWORD_ENV}, or neither`
      );
    }
    return { username, password };
  }
  if (!credentialsFile) {
    return null;
  }
  let text: string;
  try {
    text = readFileSync(credentialsFile, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read registry.credentialsFile ${credentialsFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`registry.credentialsFile ${credentialsFile} is not JSON`);
  }
  const found = credentialsFromJson(parsed, host);
  if (!found) {
    throw new Error(
      `registry.credentialsFile ${credentialsFile} holds no credentials for ${host}: ` +
        'give {"username": ..., "password": ...} or a Docker config.json with "auths" for that host'
    );
  }
  return found;
}

/** `{"username","password"}`, or Docker's `{"auths": {"host": {"auth": base64("user:pass")}}}`. */
export function credentialsFromJson(
  parsed: unknown,
  host: string
): RegistryCredentials | null {
  if (typeof parsed !== 'object' || parsed === null) {
    return null;
  }
  const record = parsed as Record<string, unknown>;
  if (
    typeof record.username === 'string' &&
    typeof record.password === 'string' &&
    record.username &&
    record.password
  ) {
    return { username: record.username, password: record.password };
  }
  const auths = record.auths;
  if (typeof auths !== 'object' || auths === null) {
    return null;
  }
  for (const [key, value] of Object.entries(auths as Record<string, unknown>)) {
    const keyHost = key.includes('://')
      ? safeHost(key)
      : key.replace(/\/.*$/, '');
    if (keyHost !== host || typeof value !== 'object' || value === null) {
      continue;
    }
    const entry = value as Record<string, unknown>;
    if (
      typeof entry.username === 'string' &&
      typeof entry.password === 'string'
    ) {
      return { username: entry.username, password: entry.password };
    }
    if (typeof entry.auth === 'string') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        return {
          username: decoded.slice(0, colon),
          password: decoded.slice(colon + 1)
        };
      }
    }
  }
  return null;
}

function safeHost(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/**
 * Replace anything that could reveal the credentials (the password, and the Basic token made
 * from them) by `***`. Applied to every message from the registry or the engine about a push.
 */
export function redactCredentials(
  text: string,
  credentials: RegistryCredentials | null
): string {
  if (!credentials) {
    return text;
  }
  let out = text;
  const basic = Buffer.from(
    `${credentials.username}:${credentials.password}`
  ).toString('base64');
  for (const secret of [basic, credentials.password]) {
    if (secret.length > 0) {
      out = out.split(secret).join('***');
    }
  }
  return out;
}
