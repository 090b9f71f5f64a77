/** Image routes: list (with "is this already built?" filters) and delete. */
import type { FastifyInstance } from 'fastify';
import type { Image, ImageDeletion, ImageList } from '../../api/contract.js';
import {
  ApiError,
  invalidField,
  missingScope,
  notFound
} from '../../api/errors.js';
import { scopeNames } from '../../auth/identity.js';
import {
  canAskForOthers,
  canModify,
  canSee,
  READ_ALL_SCOPE,
  requireModify,
  requirePermission,
  usableBy,
  type Member
} from '../../auth/policy.js';
import {
  isValidRepository,
  isValidTag,
  splitImageReference
} from '../../images/naming.js';
import { allowedMethods, methodNotAllowed } from '../errors.js';
import type { ServiceContext } from '../context.js';
import { sharingRoutes } from './sharing.js';
import { ownerFilter, pageKey, pageOf, takeImagePage } from '../image-page.js';

interface ImageQuery {
  repo?: string;
  ref?: string;
  commit?: string;
  owner?: string;
}

function matches(image: Image, query: ImageQuery): boolean {
  return (
    (query.repo === undefined || image.repo === query.repo) &&
    (query.ref === undefined ||
      image.ref === query.ref ||
      image.commit === query.ref) &&
    (query.commit === undefined || image.commit.startsWith(query.commit)) &&
    (query.owner === undefined || image.owner === query.owner)
  );
}

const NAME_SHAPE =
  'an image name is a repository and a tag, e.g. "r2d-alice/my-image:0123abcd": lowercase letters and digits in ' +
  'path components joined by "/" (with ".", "_" or "-" between them), optionally a registry host first, then ":" and a tag';

/**
 * The image name of `DELETE /api/images/{name}`, checked with the reference parser before any
 * engine or registry hears of it: a name that cannot exist is 400, never the engine's error text.
 */
export function imageNameParam(raw: string): string {
  let name = raw;
  try {
    // Clients percent-encode the name (it holds "/" and ":"); the router decodes the path once.
    name = raw.includes('%') ? decodeURIComponent(raw) : raw;
  } catch {
    throw invalidField(
      'name',
      `the image name is not validly percent-encoded; ${NAME_SHAPE}`
    );
  }
  if (name.length > 512 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw invalidField(
      'name',
      `the image name holds control characters or is too long; ${NAME_SHAPE}`
    );
  }
  const { repository, tag } = splitImageReference(name);
  if (!isValidRepository(repository) || !isValidTag(tag)) {
    throw invalidField(
      'name',
      `"${name}" is not a valid image name; ${NAME_SHAPE}`
    );
  }
  return name;
}

export function imageRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const scopes = scopeNames(ctx.config.serviceName);
  sharingRoutes(app, ctx);

  app.get<{ Querystring: Record<string, unknown> }>(
    '/api/images',
    async (request, reply) => {
      requirePermission(request.identity, 'read', scopes.read);
      const query: ImageQuery = {};
      let member: Member | null = null;
      let groups: string[] | null = null;
      // limit/offset/q (image-page.ts) are taken out first; the loop checks the filters.
      const rest = { ...request.query };
      const page = takeImagePage(rest);
      for (const [key, value] of Object.entries(rest)) {
        if (
          !['repo', 'ref', 'commit', 'owner', 'usableBy', 'groups'].includes(
            key
          )
        ) {
          throw invalidField(
            key,
            `unknown filter "${key}"; allowed: repo, ref, commit, owner, usableBy, groups, limit, offset, q`
          );
        }
        if (typeof value !== 'string') {
          throw invalidField(key, `give ${key} once`);
        }
        if (key === 'usableBy') {
          member = { name: value };
        } else if (key === 'owner') {
          // The panel's "Mine only" (with limit and q): checked, as it ends up in the cache key.
          query.owner = ownerFilter(value);
        } else if (key === 'groups') {
          groups = value.split(',').filter(group => group !== '');
        } else {
          query[key as keyof ImageQuery] = value;
        }
      }
      const { identity } = request;
      if (groups !== null && member === null) {
        throw invalidField('groups', 'groups go with usableBy');
      }
      if (member !== null) {
        // The spawner's question "what may this user start?", answered by the same rule as
        // the user's own list; only a token that may see everything may ask it.
        if (!canAskForOthers(identity)) {
          throw missingScope(
            READ_ALL_SCOPE,
            `asking what another user may use needs the scope ${READ_ALL_SCOPE} (or ${scopes.admin})`
          );
        }
        member = {
          name: member.name,
          groups: [...new Set(groups ?? [])].sort()
        };
      }
      const asked = member;
      const allowed = (image: Image): boolean =>
        asked ? usableBy(asked, image) : canSee(identity, image);
      // Everyone with admin sees the same; anyone else sees their own, the shared namespace's
      // and what was shared with them (by their groups, which are part of the key).
      const visibility = asked
        ? `for:${JSON.stringify(asked)}`
        : identity.permissions.admin
          ? 'admin'
          : `user:${JSON.stringify([identity.name, identity.groups ?? []])}`;
      const answer = await ctx.catalog.answer(
        `${visibility}\n${JSON.stringify(query)}${pageKey(page)}`,
        listing => {
          const images = listing.images
            .filter(image => allowed(image) && matches(image, query))
            .sort((a, b) => b.builtAt.localeCompare(a.builtAt));
          const body: ImageList =
            listing.warnings.length > 0
              ? { images, warnings: listing.warnings }
              : { images };
          return page ? pageOf(body, page) : body;
        }
      );
      reply
        .header('ETag', answer.etag)
        .header('Cache-Control', 'private, no-cache');
      if (request.headers['if-none-match'] === answer.etag) {
        return reply.status(304).send();
      }
      return reply.type('application/json; charset=utf-8').send(answer.body);
    }
  );

  // The name holds "/" and ":"; clients send it percent-encoded, and a wildcard takes it whole.
  app.delete<{ Params: { '*': string } }>(
    '/api/images/*',
    async (request, reply) => {
      // A path a more specific route owns (`/api/images/{name}/sharing`) is not an image name.
      const path = request.url.split('?')[0];
      const allow = allowedMethods(app, path);
      if (!allow.includes('DELETE')) {
        return methodNotAllowed(reply, 'DELETE', path, allow);
      }
      requirePermission(request.identity, 'build', scopes.build);
      const name = imageNameParam(request.params['*']);
      // Both places are asked; a registry that cannot be asked is an error here (502), so that
      // a delete never silently misses the registry's copy.
      const image = await ctx.images.find(name, { strict: true });
      // Another user's image is "not found", not "forbidden": its existence is theirs to know.
      if (!image || !canSee(request.identity, image)) {
        throw notFound(`image ${name}`);
      }
      if (!canModify(request.identity, image)) {
        requireModify(request.identity, image, 'image');
      }
      const { removed, refused } = await ctx.images
        .removeEverywhere(name)
        .finally(() => ctx.catalog.invalidate());
      if (refused) {
        if (!removed.engine) {
          throw new ApiError(409, 'registry_delete_unsupported', refused);
        }
        // Partly done: say what was removed and what is still there.
        const body: ImageDeletion = {
          name,
          removed,
          message: `Removed ${name} from the Docker engine, but ${refused}`
        };
        return reply.status(200).send(body);
      }
      if (!removed.engine && !removed.registry) {
        throw notFound(`image ${name}`);
      }
      return reply.status(204).send();
    }
  );
}
