import type { ErrorBody, ErrorCode } from './contract.js';

/**
 * An error the API reports to its caller: a status, a stable code and a message meant for a
 * person. Anything else thrown inside a handler becomes a 500 with no detail (never a stack).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: { field?: string; scope?: string } = {}
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

/** 400 about one field of the request. */
export const invalidField = (field: string, message: string): ApiError =>
  new ApiError(400, 'invalid_field', message, { field });

export const notFound = (what: string): ApiError =>
  new ApiError(404, 'not_found', `${what} not found`);

export const missingScope = (scope: string, message: string): ApiError =>
  new ApiError(403, 'missing_scope', message, { scope });

export const forbidden = (message: string): ApiError =>
  new ApiError(403, 'forbidden', message);

export const dockerUnreachable = (): ApiError =>
  new ApiError(
    503,
    'docker_unreachable',
    'The Docker engine does not answer; try again later or ask your admin'
  );
