/** The OpenAPI document and the code must describe the same API. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { BUILD_REQUEST_FIELDS } from '../../src/builds/validate.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));

describe('openapi.yaml', () => {
  it('lists exactly the build request fields the validator accepts, and forbids others', () => {
    const schema = doc.components.schemas.BuildRequest;
    assert.deepEqual(Object.keys(schema.properties).sort(), [...BUILD_REQUEST_FIELDS].sort());
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['repo']);
  });

  it('documents every route the service registers', () => {
    const routes = readFileSync(new URL('../../src/http/routes/builds.ts', import.meta.url), 'utf8') +
      readFileSync(new URL('../../src/http/routes/images.ts', import.meta.url), 'utf8') +
      readFileSync(new URL('../../src/http/routes/system.ts', import.meta.url), 'utf8');
    const registered = [...routes.matchAll(/app\.(get|post|delete)(?:<[^>]*>)?\('([^']+)'/g)].map(
      ([, method, path]) => `${method} ${path.replace(/:(\w+)/g, '{$1}').replace('/*', '/{name}')}`
    );
    assert.ok(registered.length >= 10, `found ${registered.length} routes`);
    for (const route of registered) {
      const [method, path] = route.split(' ');
      if (path === '/api/openapi.yaml') continue; // the document itself, in its other format
      assert.ok(doc.paths[path]?.[method], `${route} is in openapi.yaml`);
    }
  });
});
