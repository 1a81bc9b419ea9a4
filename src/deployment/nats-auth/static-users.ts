import type { RolePermissions } from './roles.js';

/** One nkey user of a hand-configured nats-server (no JWT): its public key and role permissions. */
export interface StaticUser {
  /** The user's public nkey (`U…`); its seed file is the process's credential. */
  nkey: string;
  permissions: RolePermissions;
}

const list = (items: readonly string[]) => `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;

/**
 * The `authorization { users = [...] }` block of a nats-server config for static nkey users
 * with Lily's role permissions (what docs/security.md shows for an existing server that does
 * not use JWTs). Such a client cannot learn a private inbox from its credential, so its
 * permissions must use the shared `_INBOX` (build them with the default `inboxPrefix`).
 */
export const authorizationBlock = (users: readonly StaticUser[]): string =>
  [
    'authorization {',
    '  users = [',
    ...users.map((u) =>
      [
        `    { nkey: ${JSON.stringify(u.nkey)}, permissions: {`,
        `        publish: { allow: ${list(u.permissions.pub.allow)} }`,
        `        subscribe: { allow: ${list(u.permissions.sub.allow)} }`,
        ...(u.permissions.resp ? [`        allow_responses: { max: ${u.permissions.resp.max} }`] : []),
        '    } }',
      ].join('\n'),
    ),
    '  ]',
    '}',
  ].join('\n');
