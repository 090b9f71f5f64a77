/**
 * Every error leaves as `{"error": {code, message, field?, scope?}}` with the right status; never
 * a stack trace, never a secret. Fastify's own errors (body too large, malformed JSON, wrong
 * content type) are translated here too.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../api/errors.js';

export function toApiError(error: FastifyError | Error): ApiError | null {
  if (error instanceof ApiError) {
    return error;
  }
  const { code, statusCode } = error as FastifyError;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ApiError(413, 'too_large', 'the request body is larger than 64 KiB', { field: 'body' });
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ApiError(415, 'unsupported_media_type', 'send the request body as application/json', { field: 'body' });
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Malformed JSON, empty JSON body, prototype poisoning, bad URL encoding...
    return new ApiError(400, 'invalid_body', `the request is malformed: ${error.message}`, { field: 'body' });
  }
  return null;
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError) {
      if (apiError.status >= 500) {
        request.log.warn({ code: apiError.code }, apiError.message);
      }
      return reply.status(apiError.status).send(apiError.toBody());
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(new ApiError(500, 'internal', 'internal error; see the service log').toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(new ApiError(404, 'not_found', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`).toBody());
  });
}
