/**
 * The benchmarks' baseline: repo2docker run by hand as the service runs it (no container, JSON
 * logs, the offline config, the service's user), with nothing of ours in between.
 */
import { OFFLINE_CONFIG } from '../service/test/helpers/paths.js';

/** repo2docker's argv building `dir` into `image` (argv only: no shell). */
export const bareArgs = (image: string, dir: string): string[] => [
  '--no-run',
  '--json-logs',
  '--user-id',
  '1000',
  '--user-name',
  'jovyan',
  '--config',
  OFFLINE_CONFIG,
  '--image-name',
  image,
  '--',
  dir
];
