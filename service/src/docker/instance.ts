/**
 * Which service process made a build's artifacts. Several services may share one Docker engine
 * (and one machine), so a starting service may only reap what a *dead* process left: each build's
 * image carries the label `org.jupyter.repo2docker-service.instance=<host>:<pid>:<start>`, and
 * each build process the same value in its environment. `<start>` is the process's start time
 * in clock ticks since boot (field 22 of /proc/<pid>/stat), so a recycled pid is told apart.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export const INSTANCE_LABEL = 'org.jupyter.repo2docker-service.instance';
/** Environment variable every build process inherits, naming the instance that started it. */
export const INSTANCE_ENV = 'REPO2DOCKER_SERVICE_INSTANCE';

/** Start time of a process (clock ticks since boot), or `null` when there is no such process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

let mine: string | null = null;

/** This process's instance id. */
export function currentInstance(): string {
  mine ??= `${hostname()}:${process.pid}:${processStartTime(process.pid) ?? 'unknown'}`;
  return mine;
}

export interface ParsedInstance {
  host: string;
  pid: number;
  start: string;
}

export function parseInstance(
  value: string | undefined | null
): ParsedInstance | null {
  const match = /^(.+):(\d+):(\d+|unknown)$/.exec(value ?? '');
  return match
    ? { host: match[1], pid: Number(match[2]), start: match[3] }
    : null;
}

/**
 * `dead`: on this host and its process is gone (or the pid now belongs to another process);
 * `alive`: still running; `foreign`: another host's (or unreadable): never ours to reap.
 */
export function instanceState(
  value: string | undefined | null,
  host = hostname()
): 'dead' | 'alive' | 'foreign' {
  const parsed = parseInstance(value);
  if (!parsed || parsed.host !== host || parsed.start === 'unknown') {
    return 'foreign';
  }
  if (value === currentInstance()) {
    return 'alive';
  }
  return processStartTime(parsed.pid) === parsed.start ? 'alive' : 'dead';
}
