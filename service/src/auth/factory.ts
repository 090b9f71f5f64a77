/**
 * The authenticator `auth.mode` names, and nothing else: a JupyterHub mode that lacks what it
 * needs is an error at start-up, never a quiet fall back to local mode.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceConfig } from '../config.js';
import type { Authenticator } from './identity.js';
import { JupyterHubAuthenticator } from './jupyterhub.js';
import { LocalAuthenticator } from './local.js';

export function createAuthenticator(
  config: ServiceConfig,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void
): Authenticator {
  switch (config.auth.mode) {
    case 'local': {
      let secret = config.auth.secret;
      if (secret === null && !('socket' in config.listen)) {
        // No unauthenticated mode on TCP: with no secret given, nobody can call us until restarted
        // with one. The launcher (jupyter-server-proxy) always gives one.
        secret = randomBytes(32).toString('hex');
        warn(
          'REPO2DOCKER_SERVICE_SECRET not set; using a random secret nobody knows'
        );
      }
      return new LocalAuthenticator(
        config.auth.localUser,
        secret,
        config.serviceName
      );
    }
    case 'jupyterhub': {
      const apiToken = env.JUPYTERHUB_API_TOKEN;
      if (!config.auth.hubApiUrl || !apiToken) {
        throw new Error(
          'auth mode "jupyterhub" needs JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN (JupyterHub sets both for its services)'
        );
      }
      return new JupyterHubAuthenticator({
        apiUrl: config.auth.hubApiUrl,
        apiToken,
        serviceName: config.serviceName,
        cacheSeconds: config.auth.cacheSeconds,
        cacheMaxEntries: config.auth.cacheMaxEntries,
        failureLimit: config.auth.failureLimit
      });
    }
    default:
      throw new Error(
        `auth.mode must be "local" or "jupyterhub", got ${JSON.stringify(config.auth.mode)}`
      );
  }
}
