/** The service's config for unit tests of its routes: the defaults under the hub's prefix, silent. */
import {
  checkConfig,
  DEFAULT_CONFIG,
  type ServiceConfig
} from '../../src/config.js';

/** Where the routes are mounted in these configs (no trailing slash). */
export const PREFIX = '/services/repo2docker';

export function unitConfig(
  overrides: Partial<ServiceConfig> = {}
): ServiceConfig {
  return checkConfig({
    ...structuredClone(DEFAULT_CONFIG),
    prefix: `${PREFIX}/`,
    logLevel: 'silent',
    ...overrides
  });
}
