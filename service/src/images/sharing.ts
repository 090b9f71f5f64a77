/**
 * `PUT /api/images/{name}/sharing` bodies: SPEC's bad-input rules, each refusal a 400 naming the
 * field. Whether the caller may share, and with which groups, is auth/policy.ts's to say.
 */
import {
  SHARING_VISIBILITIES,
  type Sharing,
  type SharingVisibility
} from '../api/contract.js';
import { invalidField } from '../api/errors.js';

/** More groups than any course needs, and few enough that the label stays small. */
export const MAX_SHARING_GROUPS = 32;
/** JupyterHub's group names are at most 255 characters. */
const MAX_GROUP_NAME = 255;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function validateSharingRequest(body: unknown): Sharing {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidField(
      'body',
      'send a JSON object {"visibility": "owner" | "groups" | "everyone", "groups": [...]}'
    );
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'visibility' && key !== 'groups') {
      throw invalidField(
        key,
        `unknown field "${key}"; allowed: visibility, groups`
      );
    }
  }
  const visibility = fields.visibility;
  if (
    typeof visibility !== 'string' ||
    !(SHARING_VISIBILITIES as readonly string[]).includes(visibility)
  ) {
    throw invalidField(
      'visibility',
      `visibility is one of ${SHARING_VISIBILITIES.map(v => `"${v}"`).join(', ')}`
    );
  }
  const groups = fields.groups ?? [];
  if (!Array.isArray(groups)) {
    throw invalidField('groups', 'groups is a list of hub group names');
  }
  if (groups.length > MAX_SHARING_GROUPS) {
    throw invalidField(
      'groups',
      `share with at most ${MAX_SHARING_GROUPS} groups`
    );
  }
  for (const group of groups) {
    if (
      typeof group !== 'string' ||
      group === '' ||
      group.length > MAX_GROUP_NAME ||
      CONTROL.test(group)
    ) {
      throw invalidField(
        'groups',
        `each group is a hub group name (1 to ${MAX_GROUP_NAME} characters, no control characters)`
      );
    }
  }
  if (visibility === 'groups' && groups.length === 0) {
    throw invalidField(
      'groups',
      'name at least one group to share with, or choose "owner" or "everyone"'
    );
  }
  if (visibility !== 'groups' && groups.length > 0) {
    throw invalidField(
      'groups',
      `groups are for visibility "groups"; "${visibility}" takes none`
    );
  }
  return {
    visibility: visibility as SharingVisibility,
    groups: [...new Set(groups as string[])].sort()
  };
}
