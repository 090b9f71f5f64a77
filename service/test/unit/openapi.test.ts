/**
 * The OpenAPI document and the code must describe the same API: the routes Fastify registers,
 * the statuses and bodies each can answer, the build request's fields. scripts/fuzz.sh then
 * checks the running service against the document with a fuzzer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  BUILD_PHASES,
  ERROR_CODES,
  LOG_STREAM_EVENTS
} from '../../src/api/contract.js';
import { createService, type Service } from '../../src/app.js';
import type { Authenticator, Identity } from '../../src/auth/identity.js';
import { BUILD_REQUEST_FIELDS } from '../../src/builds/validate.js';
import type { DockerEngine } from '../../src/docker/engine.js';
import { registeredRoutes } from '../../src/http/errors.js';
import { PREFIX, unitConfig } from '../helpers/unit-config.js';

const doc = parse(
  readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')
);
const METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'patch',
  'options',
  'head',
  'trace'
];

type Operation = {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, any>;
  requestBody?: unknown;
};
const operations: { method: string; path: string; op: Operation }[] =
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(
    ([path, item]) =>
      METHODS.filter(method => item[method]).map(method => ({
        method,
        path,
        op: item[method] as Operation
      }))
  );

/** Follow a local `$ref` (`#/components/...`) to what it names. */
function resolve(node: any): any {
  let current = node;
  for (
    let hops = 0;
    current && typeof current === 'object' && '$ref' in current;
    hops++
  ) {
    assert.ok(hops < 10, `reference loop at ${node.$ref}`);
    const ref: string = current.$ref;
    assert.ok(ref.startsWith('#/'), `only local references: ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .reduce(
        (at: any, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
        doc
      );
    assert.ok(current !== undefined, `${ref} resolves`);
  }
  return current;
}

const identity: Identity = {
  name: 'alice',
  admin: false,
  scopes: [],
  permissions: { access: true, read: true, build: true, admin: false }
} as Identity;
const fakeAuth: Authenticator = {
  mode: 'jupyterhub',
  async authenticate() {
    return identity;
  }
};
// The routes under test never reach Docker; a fake engine also keeps createService from watching
// the real engine's events.
const fakeEngine = {
  ping: async () => true,
  docker: {}
} as unknown as DockerEngine;

describe('openapi.yaml', () => {
  let service: Service;
  before(async () => {
    const config = unitConfig();
    service = createService(config, {
      authenticator: fakeAuth,
      engine: fakeEngine,
      oauth: null
    });
    await service.app.ready();
  });
  after(() => service.app.close());

  it("lists exactly the contract's phases, error codes and log stream events", () => {
    const schemas = doc.components.schemas;
    assert.deepEqual(schemas.BuildPhase.enum, [...BUILD_PHASES]);
    assert.deepEqual(
      [...schemas.ErrorBody.properties.error.properties.code.enum].sort(),
      Object.keys(ERROR_CODES).sort()
    );
    assert.deepEqual(
      schemas.LogStreamEvent.properties.event.enum,
      Object.values(LOG_STREAM_EVENTS)
    );
  });

  it('documents every status an error code answers with on some route', () => {
    const documented = new Set(
      operations.flatMap(({ op }) => Object.keys(op.responses))
    );
    // `internal` (500) is the answer to a bug, documented nowhere on purpose.
    const missing = Object.entries(ERROR_CODES).filter(
      ([code, status]) => code !== 'internal' && !documented.has(String(status))
    );
    assert.deepEqual(missing, []);
  });

  it('lists exactly the build request fields the validator accepts, and forbids others', () => {
    const schema = doc.components.schemas.BuildRequest;
    assert.deepEqual(
      Object.keys(schema.properties).sort(),
      [...BUILD_REQUEST_FIELDS].sort()
    );
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['repo']);
  });

  it('documents every route Fastify registers, and nothing it does not', () => {
    const registered = registeredRoutes(service.app)
      .filter(route => route.method !== 'OPTIONS') // @fastify/cors' preflight, hidden: not an operation
      .map(route => {
        assert.ok(
          route.url.startsWith(PREFIX),
          `${route.url} is under the prefix`
        );
        const path = route.url.slice(PREFIX.length) || '/';
        return `${route.method} ${path.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{name}')}`;
      })
      .sort();
    const documented = operations
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    assert.ok(registered.length >= 14, `found ${registered.length} routes`);
    assert.deepEqual(registered, documented);
  });

  it('serves this very document as JSON', async () => {
    const served = await service.app.inject({
      url: `${PREFIX}/api/openapi.json`
    });
    assert.equal(served.statusCode, 200);
    assert.deepEqual(served.json(), doc);
  });

  it('gives every answer a body schema, every error the error body, and every reference a target', () => {
    // 431 comes from Node's HTTP parser (the service's or the proxy's), before any route: no body.
    const noBody = new Set(['204', '302', '304', '431']);
    for (const { method, path, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.ok(op.operationId, `${where} has an operationId`);
      for (const [status, declared] of Object.entries(op.responses)) {
        const response = resolve(declared);
        assert.ok(response.description, `${where} ${status} has a description`);
        if (noBody.has(status)) {
          assert.equal(
            response.content,
            undefined,
            `${where} ${status} has no body`
          );
          continue;
        }
        const media = Object.entries(response.content ?? {});
        assert.ok(media.length > 0, `${where} ${status} documents its body`);
        for (const [type, content] of media as [string, any][]) {
          assert.ok(content.schema, `${where} ${status} ${type} has a schema`);
          resolve(content.schema);
        }
        if (
          Number(status) >= 400 &&
          !(path === '/health' && status === '503')
        ) {
          assert.equal(
            response.content['application/json']?.schema?.$ref,
            '#/components/schemas/ErrorBody',
            `${where} ${status} is an ErrorBody`
          );
        }
      }
    }
    // Every reference anywhere in the document resolves.
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(walk);
      } else if (node && typeof node === 'object') {
        if (typeof (node as { $ref?: unknown }).$ref === 'string') {
          resolve(node);
        }
        Object.values(node).forEach(walk);
      }
    };
    walk(doc);
  });

  it('documents 401, 403, 405, 429 and 503 where a token is checked, 405 everywhere, 413 and 415 where a body is read', () => {
    for (const { method, path, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses);
      assert.ok(statuses.includes('405'), `${where} documents 405`);
      const checksToken = op.security === undefined; // the document's default: hubToken
      if (checksToken) {
        for (const status of ['401', '403', '429', '503']) {
          assert.ok(statuses.includes(status), `${where} documents ${status}`);
        }
      }
      if (method === 'post' || (method === 'delete' && checksToken)) {
        for (const status of ['400', '413', '415']) {
          assert.ok(
            statuses.includes(status),
            `${where} documents ${status} (Fastify reads its body)`
          );
        }
      }
    }
  });

  it('links the build a POST answers to its routes, by the id in the body', () => {
    const byId = new Map(
      operations.map(({ op, method, path }) => [
        op.operationId,
        `${method} ${path}`
      ])
    );
    const post = doc.paths['/api/builds'].post;
    for (const status of ['200', '202']) {
      const links = post.responses[status].links;
      const targets = Object.values(links).map(link => resolve(link));
      assert.deepEqual(targets.map(link => byId.get(link.operationId)).sort(), [
        'delete /api/builds/{id}',
        'get /api/builds/{id}',
        'get /api/builds/{id}/logs'
      ]);
      for (const link of targets) {
        assert.deepEqual(link.parameters, { id: '$response.body#/id' });
      }
    }
    assert.ok(doc.components.schemas.Build.required.includes('id'));
  });

  it('answers 405 with Allow for a method a known path does not declare, 404 for an unknown path', async () => {
    const put = await service.app.inject({
      method: 'PUT',
      url: `${PREFIX}/api/builds`
    });
    assert.equal(put.statusCode, 405);
    assert.equal(put.headers.allow, 'GET, HEAD, POST');
    assert.equal(put.json().error.code, 'method_not_allowed');
    const withParameter = await service.app.inject({
      method: 'PATCH',
      url: `${PREFIX}/api/builds/abc/logs`
    });
    assert.equal(withParameter.statusCode, 405);
    assert.equal(withParameter.headers.allow, 'GET, HEAD');
    const wildcard = await service.app.inject({
      method: 'GET',
      url: `${PREFIX}/api/images/r2d-alice%2Fx%3A1`
    });
    assert.equal(wildcard.statusCode, 405);
    assert.equal(wildcard.headers.allow, 'DELETE');
    // The sharing resource is not also an image named "…/sharing" of the wildcard route.
    for (const method of ['OPTIONS', 'DELETE'] as const) {
      const sharing = await service.app.inject({
        method,
        url: `${PREFIX}/api/images/r2d-alice%2Fx%3A1/sharing`
      });
      assert.equal(sharing.statusCode, 405, method);
      assert.equal(sharing.headers.allow, 'PUT', method);
    }
    // Fastify reads a QUERY body before routing; an unknown route still answers as one.
    const query = await service.app.inject({
      method: 'QUERY' as 'GET',
      url: `${PREFIX}/api/info`
    });
    assert.equal(query.statusCode, 405);
    assert.equal(query.headers.allow, 'GET, HEAD');
    const unknown = await service.app.inject({
      method: 'GET',
      url: `${PREFIX}/api/nothing-here`
    });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'not_found');
    assert.equal(unknown.headers.allow, undefined);
  });
});
