/** Image routes: list (with "is this already built?" filters) and delete. */
import type { FastifyInstance } from 'fastify';
import type { Image } from '../../api/contract.js';
import { invalidField, notFound } from '../../api/errors.js';
import { scopeNames } from '../../auth/identity.js';
import { canModify, canSee, requireModify, requirePermission } from '../../auth/policy.js';
import type { ServiceContext } from '../context.js';

interface ImageQuery {
  repo?: string;
  ref?: string;
  commit?: string;
  owner?: string;
}

function matches(image: Image, query: ImageQuery): boolean {
  return (
    (query.repo === undefined || image.repo === query.repo) &&
    (query.ref === undefined || image.ref === query.ref || image.commit === query.ref) &&
    (query.commit === undefined || image.commit.startsWith(query.commit)) &&
    (query.owner === undefined || image.owner === query.owner)
  );
}

export function imageRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const scopes = scopeNames(ctx.config.serviceName);

  app.get<{ Querystring: Record<string, unknown> }>('/api/images', async request => {
    requirePermission(request.identity, 'read', scopes.read);
    const query: ImageQuery = {};
    for (const [key, value] of Object.entries(request.query)) {
      if (!['repo', 'ref', 'commit', 'owner'].includes(key)) {
        throw invalidField(key, `unknown filter "${key}"; allowed: repo, ref, commit, owner`);
      }
      if (typeof value !== 'string') {
        throw invalidField(key, `give ${key} once`);
      }
      query[key as keyof ImageQuery] = value;
    }
    const images = (await ctx.engine.list())
      .filter(image => canSee(request.identity, image) && matches(image, query))
      .sort((a, b) => b.builtAt.localeCompare(a.builtAt));
    return { images };
  });

  // The name holds "/" and ":"; clients send it percent-encoded, and a wildcard takes it whole.
  app.delete<{ Params: { '*': string } }>('/api/images/*', async (request, reply) => {
    requirePermission(request.identity, 'build', scopes.build);
    const name = decodeURIComponent(request.params['*']);
    const image = await ctx.engine.find(name);
    // Another user's image is "not found", not "forbidden": its existence is theirs to know.
    if (!image || !canSee(request.identity, image)) {
      throw notFound(`image ${name}`);
    }
    if (!canModify(request.identity, image)) {
      requireModify(request.identity, image, 'image');
    }
    if (!(await ctx.engine.remove(name))) {
      throw notFound(`image ${name}`);
    }
    return reply.status(204).send();
  });
}
