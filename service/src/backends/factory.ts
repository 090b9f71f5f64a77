/**
 * The one place a build backend is chosen: `backend.kind` in the configuration names a factory
 * registered here (as configurable-http-proxy picks its store, and BinderHub its build class). A
 * new backend registers its kind with one line below; nothing else lists the kinds.
 */
import type { ServiceConfig } from '../config.js';
import type { DockerEngine } from '../docker/engine.js';
import type { Logger } from '../util/log.js';
import type { BuildBackend } from './backend.js';
import type { PushTarget } from './engine-push.js';
import { BinderHubBackend, binderHubClient } from './binderhub.js';
import { relabel } from './engine-relabel.js';
import { LocalRepo2DockerBackend, verifyLabels } from './local-repo2docker.js';
import { Repo2DockerRun } from './repo2docker-run.js';
import type { RegistryStore } from '../registry/registry.js';

/** What the composition root (app.ts) hands every backend factory. */
export interface BackendContext {
  config: ServiceConfig;
  engine: DockerEngine;
  /** `null` when no registry is configured. */
  pusher: PushTarget | null;
  /** The registry the service lists (`null` when none is configured): where BinderHub may push. */
  registry?: RegistryStore | null;
  /** Environment variables holding the service's secrets; kept from child processes. */
  secretEnv: string[];
  /** The host policy's check, asked again right before a clone (builds/host-policy.ts). */
  checkHost: (repo: string) => Promise<void>;
  /** Private addresses are refused: git must then follow no HTTP redirects. */
  refusesPrivateAddresses: boolean;
  log: Logger;
}

export type BackendFactory = (context: BackendContext) => BuildBackend;

const factories = new Map<string, BackendFactory>();

export function registerBackend(kind: string, factory: BackendFactory): void {
  if (factories.has(kind)) {
    throw new Error(`a build backend of kind "${kind}" is registered already`);
  }
  factories.set(kind, factory);
}

/** The kinds `backend.kind` may name. */
export function backendKinds(): string[] {
  return [...factories.keys()];
}

/** The backend `kind` names; an unknown kind is an error, never a silent default. */
export function createBackend(
  kind: string,
  context: BackendContext
): BuildBackend {
  const factory = factories.get(kind);
  if (!factory) {
    throw new Error(
      `backend.kind "${kind}" is not a build backend this service has (it has: ${backendKinds().join(', ')})`
    );
  }
  return factory(context);
}

registerBackend(
  'local',
  ({
    config,
    engine,
    pusher,
    secretEnv,
    checkHost,
    refusesPrivateAddresses,
    log
  }) => {
    const run = new Repo2DockerRun({
      command: config.repo2docker.command,
      configFile: config.repo2docker.configFile,
      userId: config.repo2docker.userId,
      userName: config.repo2docker.userName,
      secretEnv,
      git: config.git.command,
      allowLocalRepos: config.builds.allowLocalRepos,
      followRedirects: !refusesPrivateAddresses,
      checkHost,
      verifyLabels: (image, labels) => verifyLabels(engine, image, labels),
      onTraceback: (buildId, traceback) =>
        log.warn({ buildId, traceback }, 'repo2docker traceback')
    });
    return new LocalRepo2DockerBackend(run, engine, { pusher, log });
  }
);

registerBackend('binderhub', ({ config, engine, registry, log }) => {
  const client = binderHubClient(config.backend);
  const images = {
    relabel: (
      source: string,
      target: string,
      labels: Record<string, string>,
      signal: AbortSignal
    ) => relabel(engine.docker, source, target, labels, signal),
    retag: (source: string, target: string) => engine.retag(source, target),
    imageId: (reference: string) => engine.imageId(reference),
    removeIfUntagged: (imageId: string) => engine.removeIfUntagged(imageId),
    removeBuildArtifacts: (buildId: string) =>
      engine.removeBuildArtifacts(buildId),
    untag: (reference: string) => engine.untag(reference)
  };
  return new BinderHubBackend(client, images, {
    registry: registry
      ? {
          host: registry.host,
          url: registry.url,
          pushByDefault: config.registry.pushByDefault,
          copyTag: (source, target) => registry.copyTag(source, target),
          relabel: (reference, labels) => registry.relabel(reference, labels),
          find: reference => registry.find(reference),
          remove: reference => registry.remove(reference)
        }
      : null,
    keepBinderHubImage: config.backend.keepBinderHubImage,
    verifyLabels: (image, labels) => verifyLabels(engine, image, labels),
    log
  });
});
