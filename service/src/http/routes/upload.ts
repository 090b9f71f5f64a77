/**
 * `POST /api/builds/upload`: build an environment from a folder the user's Jupyter server packed
 * (folder-design.md). Everything is judged from the query string and the headers before a byte
 * of the body is read (400/403/411/413/415/501); the body then streams into a fresh directory of
 * the service's own (builds/upload-unpack.ts), and the build goes the way of every other build.
 * The answer is `POST /api/builds`'s: 202 with the build, 200 when already built.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../api/errors.js';
import { scopeNames } from '../../auth/identity.js';
import { requirePermission } from '../../auth/policy.js';
import { UploadArea } from '../../backends/upload-dir.js';
import {
  checkUploadHeaders,
  receiveFolder,
  validateUploadQuery
} from '../../builds/folder-upload.js';
import type { ServiceContext } from '../context.js';

export function uploadRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  area: UploadArea = new UploadArea()
): void {
  const scopes = scopeNames(ctx.config.serviceName);
  const limits = {
    maxBytes: ctx.config.builds.uploadMaxBytes,
    maxFiles: ctx.config.builds.uploadMaxFiles
  };
  // At start: make the work directory and remove what dead service processes left in it.
  area
    .prepare()
    .catch(error =>
      app.log.error(
        { err: (error as Error).message, dir: area.root },
        'the upload work directory cannot be used; uploads will fail'
      )
    );
  /** Uploads being received now, per user. */
  const receiving = new Map<string, number>();
  // A context of its own: here the body is a stream the handler reads, never parsed (and never
  // held to the JSON routes' 64 KiB), whatever its type; the handler judges the type itself.
  app.register(async scope => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.post('/api/builds/upload', async (request, reply) => {
      requirePermission(request.identity, 'build', scopes.build);
      if (!ctx.manager.buildsFolders) {
        throw new ApiError(
          501,
          'uploads_unsupported',
          `this service's ${ctx.backendKind} build backend does not build uploaded folders`
        );
      }
      const valid = validateUploadQuery(request.query);
      checkUploadHeaders(request.headers, limits.maxBytes);
      const user = request.identity.name;
      // Uploads being received count with the user's queued and running builds: each holds up
      // to uploadMaxBytes of disk before the manager's own queue limit is ever asked.
      const active =
        (receiving.get(user) ?? 0) +
        ctx.manager.history.active().filter(build => build.owner === user)
          .length;
      if (active >= ctx.config.builds.maxQueuedPerUser) {
        throw new ApiError(
          429,
          'too_many_builds',
          `you already have ${active} uploads or builds under way (limit ${ctx.config.builds.maxQueuedPerUser}); wait for one to finish`
        );
      }
      receiving.set(user, (receiving.get(user) ?? 0) + 1);
      let dir;
      try {
        dir = await area.create();
        await receiveFolder(request.raw, dir, valid.digest, limits);
      } finally {
        const left = (receiving.get(user) ?? 1) - 1;
        if (left > 0) {
          receiving.set(user, left);
        } else {
          receiving.delete(user);
        }
      }
      const { build, outcome } = await ctx.manager.submitFolder(
        user,
        valid,
        dir
      );
      return reply
        .status(outcome === 'existing' ? 200 : 202)
        .send(build.toApi(ctx.manager.queuePosition(build)));
    });
  });
}
