/**
 * Files the service reads besides its code. They sit next to it in three layouts: the source tree
 * (src/), the compiled tree (dist/) and the single-file bundle shipped in the Python wheel
 * (jupyterlab_repo2docker/service/), so each is looked for where any layout puts it.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Set by the bundler (esbuild --define) in the wheel's bundle. */
declare const __SERVICE_VERSION__: string | undefined;

function firstExisting(candidates: string[]): URL {
  for (const candidate of candidates) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) {
      return url;
    }
  }
  throw new Error(
    `none of ${candidates.join(', ')} exists next to ${import.meta.url}`
  );
}

export function serviceVersion(): string {
  if (typeof __SERVICE_VERSION__ !== 'undefined') {
    return __SERVICE_VERSION__;
  }
  return (
    JSON.parse(readFileSync(firstExisting(['../package.json']), 'utf8')) as {
      version: string;
    }
  ).version;
}

export function openapiDocument(): string {
  return readFileSync(
    firstExisting(['../openapi.yaml', './openapi.yaml']),
    'utf8'
  );
}
