/**
 * On start, remove what an earlier service process left when it died without cleaning up
 * (SIGKILL, a crash, a lost machine): build processes that escaped their supervisor, containers
 * and images of its unfinished builds, and temporary `:build-<id>` tags.
 *
 * Several services may share one engine, so only what a dead process made is touched: each
 * build's image carries the instance label (docker/instance.ts) and each build process the
 * instance in its environment; an instance on this host whose process is gone is dead. A
 * finished image keeps its labels, its real tag and its place: only temporary tags, untagged
 * images of ours and containers go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { LABEL } from '../images/labels.js';
import { INSTANCE_ENV, INSTANCE_LABEL, instanceState } from './instance.js';

/** `repository:build-<hex id>`: the tag a build runs into before it takes its real name. */
export const TEMPORARY_TAG = /:build-[0-9a-f]{16}$/;

/**
 * A temporary tag without an instance label (made by a service from before the label) is left
 * alone this long: its own build retags it within seconds of making it, so an older one is
 * orphaned whoever made it.
 */
const UNLABELLED_GRACE_MS = 10 * 60 * 1000;

export interface ReapResult {
  processes: number;
  containers: number;
  images: number;
  tags: number;
}

export interface ReapLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Build processes (by their inherited environment) of instances that are dead; returns their pids. */
export function orphanBuildProcesses(procDir = '/proc'): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return found; // no /proc: not Linux; the supervisor is the only guard there
  }
  const marker = `${INSTANCE_ENV}=`;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
      continue;
    }
    let environ: string;
    try {
      environ = readFileSync(`${procDir}/${entry}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's process
    }
    const variable = environ.split('\0').find(item => item.startsWith(marker));
    if (variable && instanceState(variable.slice(marker.length)) === 'dead') {
      found.push(Number(entry));
    }
  }
  return found;
}

export async function reapOrphans(
  docker: Docker,
  log: ReapLog,
  now = Date.now()
): Promise<ReapResult> {
  const result: ReapResult = {
    processes: 0,
    containers: 0,
    images: 0,
    tags: 0
  };
  for (const pid of orphanBuildProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
      result.processes++;
    } catch {
      // exited meanwhile
    }
  }

  const dead = (labels: Record<string, string> | undefined | null): boolean =>
    instanceState(labels?.[INSTANCE_LABEL]) === 'dead';

  for (const container of await docker.listContainers({
    all: true,
    filters: { label: [LABEL.buildId] }
  })) {
    if (dead(container.Labels)) {
      await docker
        .getContainer(container.Id)
        .remove({ force: true })
        .then(() => result.containers++)
        .catch(() => undefined);
    }
  }

  for (const image of await docker.listImages({
    all: true,
    filters: { label: [LABEL.buildId] }
  })) {
    const labels = image.Labels ?? {};
    const tags = (image.RepoTags ?? []).filter(tag => tag !== '<none>:<none>');
    const temporary = tags.filter(tag => TEMPORARY_TAG.test(tag));
    const orphaned =
      dead(labels) ||
      (!labels[INSTANCE_LABEL] &&
        now - image.Created * 1000 > UNLABELLED_GRACE_MS);
    if (!orphaned) {
      continue;
    }
    if (tags.length === temporary.length) {
      // Only temporary tags (or none): an unfinished build's image. Only tagged ones are
      // removed here: an untagged image may be a replaced one still used by a container.
      if (temporary.length > 0) {
        await docker
          .getImage(image.Id)
          .remove({ force: true })
          .then(() => {
            result.images++;
            result.tags += temporary.length;
          })
          .catch(() => undefined);
      }
    } else {
      // Finished (it has its real name too): only the temporary tag goes.
      for (const tag of temporary) {
        await docker
          .getImage(tag)
          .remove({ noprune: true })
          .then(() => result.tags++)
          .catch(() => undefined);
      }
    }
  }
  if (result.processes + result.containers + result.images + result.tags > 0) {
    log.info({ ...result }, 'reaped what an earlier service process left');
  }
  return result;
}
