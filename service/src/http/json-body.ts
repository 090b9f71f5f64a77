/**
 * JSON request bodies, with one leniency: an empty body under a JSON content type counts as no
 * body. JupyterLab's `ServerConnection` (the laptop path) sets `Content-Type: application/json` on
 * every request, DELETEs without a body included, and Fastify's default parser refuses those.
 * Non-empty bodies go through Fastify's own parser (prototype poisoning refused as before).
 */
import type { FastifyInstance } from 'fastify';

export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (request, body, done) => {
      if (typeof body === 'string' && body.trim() === '') {
        done(null, undefined);
        return;
      }
      parseJson(request, body.toString(), done);
    }
  );
}
