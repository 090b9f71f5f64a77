/**
 * Git repositories made on disk for tests: `git` with a fixed identity (no ~/.gitconfig needed)
 * and `file://` submodules allowed, and `commitTree`, a repository with the given files and
 * symlinks committed on `main`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function git(dir: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-C',
      dir,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@localhost',
      '-c',
      'protocol.file.allow=always',
      ...args
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
  ).trim();
}

/** A repository at `dir` with `files` (path → text) and `links` (path → target) committed. */
export function commitTree(
  dir: string,
  files: Record<string, string>,
  links: Record<string, string> = {}
): { dir: string; url: string; commit: string } {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    symlinkSync(target, join(dir, path));
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'fixture');
  return { dir, url: `file://${dir}`, commit: git(dir, 'rev-parse', 'HEAD') };
}
