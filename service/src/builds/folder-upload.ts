/**
 * `POST /api/builds/upload` before its build (folder-design.md §2–§3): the query string and the
 * headers are judged before a byte of the body is read, then the body is unpacked into a fresh
 * directory and its digest compared with the one asked for. A refusal removes the directory.
 */
import type { Readable } from 'node:stream';
import { ApiError, invalidField } from '../api/errors.js';
import type { UploadDir } from '../backends/upload-dir.js';
import { FOLDER_DIGEST } from './folder-digest.js';
import {
  unpackUpload,
  type UnpackLimits,
  type Unpacked
} from './upload-unpack.js';
import { validateDisplayName, validateName } from './validate.js';

/** The query parameters the upload takes; anything else is refused. */
export const UPLOAD_QUERY_FIELDS = [
  'digest',
  'path',
  'name',
  'displayName',
  'force'
] as const;

export interface ValidFolderRequest {
  digest: string;
  /** `""` for the Jupyter root itself; provenance only, never a path the service opens. */
  path: string;
  name: string | null;
  displayName: string | null;
  force: boolean;
}

// As for subdir (validate.ts): the path becomes a label repo2docker writes into its Dockerfile
// unescaped, so quotes, backslashes, `$`, backticks and control characters are refused.
const SPECIAL = /[\u0000-\u001f\u007f-\u009f"\\$`\u2028\u2029]/;
const MAX_PATH = 4096;

function one(
  query: Record<string, unknown>,
  field: string
): string | undefined {
  const value = query[field];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw invalidField(field, `${field} must be given once`);
  }
  return value;
}

export function validateFolderPath(path: string): string {
  if (path.length > MAX_PATH) {
    throw invalidField('path', `path must be at most ${MAX_PATH} characters`);
  }
  if (SPECIAL.test(path)) {
    throw invalidField(
      'path',
      'path must not contain ", \\, $, `, newlines or control characters'
    );
  }
  if (path.startsWith('/')) {
    throw invalidField(
      'path',
      "path must be relative to the Jupyter server's root, not absolute"
    );
  }
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') {
    return '';
  }
  const parts = trimmed.split('/');
  if (parts.includes('..')) {
    throw invalidField('path', 'path must not contain ".."');
  }
  if (parts.some(part => part === '' || part === '.')) {
    throw invalidField('path', 'path must not have empty or "." components');
  }
  return trimmed;
}

/** Validate the parsed query string. Throws a 400 naming the parameter at fault. */
export function validateUploadQuery(query: unknown): ValidFolderRequest {
  const record = (query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(UPLOAD_QUERY_FIELDS as readonly string[]).includes(key)) {
      throw invalidField(
        key,
        `unknown query parameter "${key}"; allowed: ${UPLOAD_QUERY_FIELDS.join(', ')}`
      );
    }
  }
  const digest = one(record, 'digest');
  if (digest === undefined) {
    throw invalidField('digest', 'digest is required: sha256:<64 hex digits>');
  }
  if (!FOLDER_DIGEST.test(digest)) {
    throw invalidField(
      'digest',
      'digest must be sha256: and 64 lowercase hex digits'
    );
  }
  const path = one(record, 'path');
  if (path === undefined) {
    throw invalidField('path', 'path is required (empty for the root folder)');
  }
  const name = one(record, 'name');
  const displayName = one(record, 'displayName');
  const force = one(record, 'force');
  if (force !== undefined && force !== 'true' && force !== 'false') {
    throw invalidField('force', 'force must be true or false');
  }
  return {
    digest,
    path: validateFolderPath(path),
    name: name === undefined ? null : validateName(name),
    displayName:
      displayName === undefined ? null : validateDisplayName(displayName),
    force: force === 'true'
  };
}

/** 415, 411 and 413 from the headers alone. */
export function checkUploadHeaders(
  headers: Record<string, string | string[] | undefined>,
  maxBytes: number
): void {
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/gzip') {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'send the folder as a tar.gz with Content-Type: application/gzip',
      { field: 'body' }
    );
  }
  const length = headers['content-length'];
  if (typeof length !== 'string' || !/^\d+$/.test(length)) {
    throw new ApiError(
      411,
      'length_required',
      'send a Content-Length: uploads are not taken chunked',
      { field: 'body' }
    );
  }
  if (Number(length) > maxBytes) {
    throw new ApiError(
      413,
      'too_large',
      `the upload is larger than ${maxBytes} bytes`,
      { field: 'body' }
    );
  }
}

/**
 * Unpack `body` into `dir.src` and check its digest is `digest`. On any refusal (or error) the
 * directory is removed before this rejects.
 */
export async function receiveFolder(
  body: Readable,
  dir: UploadDir,
  digest: string,
  limits: UnpackLimits
): Promise<Unpacked> {
  try {
    const unpacked = await unpackUpload(body, dir.src, limits);
    if (unpacked.digest !== digest) {
      throw new ApiError(
        400,
        'digest_mismatch',
        `the folder's content has the digest ${unpacked.digest}, not the ${digest} given`,
        { field: 'digest' }
      );
    }
    return unpacked;
  } catch (error) {
    await dir.remove();
    throw error;
  }
}
