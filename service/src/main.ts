#!/usr/bin/env node
/**
 * `repo2docker-service`: read configuration, start the service, listen on TCP or a unix socket,
 * and stop cleanly (cancelling running builds) on SIGTERM/SIGINT.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createService, type Service } from './app.js';
import type { BuildManager } from './builds/manager.js';
import { stopLogStreams } from './http/log-stream.js';
import { loadConfig, renderConfigReference } from './config.js';

async function main(): Promise<void> {
  const { config, helpConfig } = loadConfig(process.argv.slice(2), process.env);
  if (helpConfig) {
    process.stdout.write(renderConfigReference());
    return;
  }
  const { app, context } = createService(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop(app, context.manager, signal));
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

/** Whatever the clients and the engine do, the process is gone this long after the signal. */
const HARD_EXIT_MS = 9000;
/** How long cancelled builds get to stop and clean up before the streams are closed anyway. */
const BUILDS_STOP_MS = 6000;

/**
 * SIGTERM/SIGINT: refuse new builds, cancel queued and running ones (their logs end with a
 * `cancelled` event), give every stream still open a final `service_stopping` event, close the
 * server, exit. A timer that nothing can hold up exits regardless; a second signal exits at once.
 * What a hard exit leaves behind is reaped by the next start (docker/reaper.ts) and the build
 * processes die with their supervisor (backends/supervise.ts).
 */
async function stop(
  app: Service['app'],
  manager: BuildManager,
  signal: NodeJS.Signals
): Promise<void> {
  const started = Date.now();
  setTimeout(() => {
    process.stderr.write(
      `repo2docker-service: still stopping after ${HARD_EXIT_MS / 1000} s; exiting now\n`
    );
    process.exit(1);
  }, HARD_EXIT_MS);
  const again = (): void => process.exit(1);
  process.once('SIGTERM', again);
  process.once('SIGINT', again);
  const running = manager.runningCount + manager.queueLength;
  app.log.info(
    { signal, builds: running },
    'stopping: cancelling queued and running builds'
  );
  const ended = await manager.shutdown({ waitMs: BUILDS_STOP_MS });
  const streams = stopLogStreams(
    manager.history.all(),
    'the service is stopping; builds under way were cancelled'
  );
  await app.close();
  app.log.info(
    {
      signal,
      buildsEnded: ended,
      streamsStopped: streams,
      ms: Date.now() - started
    },
    'stopped'
  );
  process.exit(0);
}

main().catch((error: Error) => {
  process.stderr.write(`repo2docker-service: ${error.message}\n`);
  process.exit(1);
});
