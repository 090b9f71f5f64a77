#!/usr/bin/env node
/**
 * `repo2docker-service`: read configuration, start the service, listen on TCP or a unix socket,
 * and stop cleanly (cancelling running builds) on SIGTERM/SIGINT.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createService } from './app.js';
import { JupyterHubAuthenticator } from './auth/jupyterhub.js';
import { loadConfig, renderConfigReference } from './config.js';

async function main(): Promise<void> {
  const { config, helpConfig } = loadConfig(process.argv.slice(2), process.env);
  if (helpConfig) {
    process.stdout.write(renderConfigReference());
    return;
  }
  const onSocket = 'socket' in config.listen;
  if (config.auth.mode === 'local' && config.auth.secret === null && !onSocket) {
    // No unauthenticated mode on TCP: with no secret given, nobody can call us until restarted
    // with one. The launcher (jupyter-server-proxy) always gives one.
    config.auth.secret = randomBytes(32).toString('hex');
    process.stderr.write('repo2docker-service: REPO2DOCKER_SERVICE_SECRET not set; using a random secret nobody knows\n');
  }
  let authenticator: JupyterHubAuthenticator | undefined;
  if (config.auth.mode === 'jupyterhub') {
    const apiToken = process.env.JUPYTERHUB_API_TOKEN;
    if (!config.auth.hubApiUrl || !apiToken) {
      throw new Error('auth mode "jupyterhub" needs JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN (JupyterHub sets both for its services)');
    }
    authenticator = new JupyterHubAuthenticator({
      apiUrl: config.auth.hubApiUrl,
      apiToken,
      serviceName: config.serviceName,
      cacheSeconds: config.auth.cacheSeconds,
      cacheMaxEntries: config.auth.cacheMaxEntries
    });
  }
  const { app } = createService(config, { authenticator });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'stopping: cancelling running builds');
      void app.close().then(() => process.exit(0));
    });
  }
  if ('socket' in config.listen) {
    if (existsSync(config.listen.socket)) {
      unlinkSync(config.listen.socket); // a stale socket from a previous run
    }
    await app.listen({ path: config.listen.socket });
    chmodSync(config.listen.socket, 0o600);
  } else {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`repo2docker-service: ${error.message}\n`);
  process.exit(1);
});
