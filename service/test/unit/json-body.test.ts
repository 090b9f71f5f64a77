import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandlers } from '../../src/http/errors.js';
import { acceptEmptyJsonBodies } from '../../src/http/json-body.js';

function app() {
  const fastify = Fastify();
  installErrorHandlers(fastify);
  acceptEmptyJsonBodies(fastify);
  fastify.delete('/thing', async (request, reply) =>
    reply.status(200).send({ body: request.body ?? null })
  );
  fastify.post('/thing', async request => ({ body: request.body }));
  return fastify;
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('JSON bodies', () => {
  it('takes an empty body under a JSON content type as no body (JupyterLab sends DELETE like that)', async () => {
    const response = await app().inject({
      method: 'DELETE',
      url: '/thing',
      headers: JSON_TYPE,
      payload: ''
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { body: null });
  });

  it('parses a JSON body as before', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/thing',
      headers: JSON_TYPE,
      payload: '{"a":1}'
    });
    assert.deepEqual(response.json(), { body: { a: 1 } });
  });

  it('still refuses malformed JSON and prototype poisoning with a 400 naming the body', async () => {
    for (const payload of [
      '{"a":',
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{"x":1}}}'
    ]) {
      const response = await app().inject({
        method: 'POST',
        url: '/thing',
        headers: JSON_TYPE,
        payload
      });
      assert.equal(response.statusCode, 400, payload);
      assert.equal(response.json().error.field, 'body', payload);
    }
  });
});
