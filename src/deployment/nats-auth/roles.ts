/**
 * The four roles of design.md §8 as NATS subject permissions, enforced by nats-server (not by
 * Lily): a user JWT carries them (see creds.ts), and the same table is what docs/security.md
 * shows for a hand-configured server. Pure: a function of the namespace, the executors a
 * worker serves and the user's private inbox prefix.
 *
 *   engine    everything of its namespace, JetStream/KV/object store, replies to anyone
 *   worker    dispatches of its executors, only inside their queue groups, and their cancels
 *             (`cmd.cancel.<executor>`, every worker hears them); replies on `in.*`; health and
 *             pings on `sys.>`; its namespace's dispatch ledger and artifact hand-off buckets
 *             (keys and objects, never streams); nothing else (no commands, no events)
 *   operator  run requests/cancels (`cmd.sched`), approval answers and resolves as requests
 *             to the engine (`cmd.answer`), events and pings; never a run's inbox (`in.*`)
 *   observer  events and pings, read-only (it may only send pings and owner probes)
 */

import { isValidPattern, subjectMatches } from '../../actors/bus/subject-match.js';
import {
  allEventsPattern,
  allInboxesPattern,
  answerSubject,
  cancelSubject,
  execQueue,
  execSubject,
  namespacePattern,
  schedSubject,
  sysPattern,
  sysSubject,
} from '../../actors/subjects.js';
import { LilyError } from '../../contracts/errors.js';
import { kvStreamName, lilyBucketNames, objectStreamName } from '../../eventstore/jetstream/bucket-names.js';

export const ROLES = ['engine', 'worker', 'operator', 'observer'] as const;
export type LilyRole = (typeof ROLES)[number];

export const isRole = (v: unknown): v is LilyRole =>
  typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/** Throws `usage_invalid` naming the roles unless `v` is one. */
export const parseRole = (v: string): LilyRole => {
  if (isRole(v)) return v;
  throw new LilyError('usage_invalid', `unknown role ${JSON.stringify(v)}: one of ${ROLES.join(', ')}`, {
    reason: 'role',
    value: v,
  });
};

/** Publish/subscribe allow lists (everything else is denied) and reply rights, as in a user JWT. */
export interface RolePermissions {
  pub: { allow: string[] };
  sub: { allow: string[] };
  /** `allow_responses`: may publish one reply to the reply subject of a request it received. */
  resp?: { max: number; ttl: number };
}

export interface RolePermissionOptions {
  /** Executor and partitioner names a worker serves (its `cmd.exec.<name>` queue subscriptions). */
  executors?: readonly string[];
  /**
   * The user's own inbox prefix (`_INBOX_<user public key>`): request replies come there, and no
   * other user may read them. Default `_INBOX` (shared by every user of the account).
   */
  inboxPrefix?: string;
}

/** The JetStream, KV and object-store API subjects of an account (the engine's). */
export const JETSTREAM_SUBJECTS = ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$KV.>', '$O.>'] as const;

/**
 * What a worker may do with its namespace's JetStream buckets (design.md §9), and nothing more:
 * read the dispatch ledger's and artifact records' keys from their stream leaders and write them
 * (compare-and-set is a publish with an expected sequence), check that the ledger exists, and
 * put objects (chunks, then metadata) and read object metadata. No stream is created, purged
 * or deleted; no consumer is made, so it cannot list or read other objects' content.
 */
export const workerJetStreamPermissions = (ns: string): string[] => {
  const b = lilyBucketNames(ns);
  return [
    `$JS.API.STREAM.INFO.${kvStreamName(b.ledger)}`,
    `$JS.API.STREAM.MSG.GET.${kvStreamName(b.ledger)}`,
    `$KV.${b.ledger}.>`,
    `$JS.API.STREAM.MSG.GET.${kvStreamName(b.artifactRefs)}`,
    `$KV.${b.artifactRefs}.>`,
    `$JS.API.STREAM.MSG.GET.${objectStreamName(b.artifacts)}`,
    `$O.${b.artifacts}.C.>`,
    `$O.${b.artifacts}.M.>`,
  ];
};

/** `lily.<ns>.cmd.exec.<tok> lily-exec-<tok>`: subscribe to one executor, only in its queue group. */
export const executorQueuePermission = (ns: string, executor: string): string =>
  `${execSubject(ns, executor)} ${execQueue(executor)}`;

const INBOX = /^_INBOX[A-Za-z0-9_-]*$/;

/**
 * Publish and subscribe permissions of `role` in namespace `ns`. Throws `config_invalid` for
 * an invalid namespace, `usage_invalid` for an inbox prefix that is not `_INBOX…` (one token).
 */
export const rolePermissions = (
  role: LilyRole,
  ns: string,
  options: RolePermissionOptions = {},
): RolePermissions => {
  const inbox = options.inboxPrefix ?? '_INBOX';
  if (!INBOX.test(inbox)) {
    throw new LilyError('usage_invalid', `inbox prefix ${JSON.stringify(inbox)} must be one _INBOX… token`, {
      reason: 'inbox_prefix',
      value: inbox,
    });
  }
  const replies = `${inbox}.>`;
  const reply = { max: 1, ttl: 0 };
  switch (role) {
    case 'engine':
      return {
        pub: { allow: [namespacePattern(ns), ...JETSTREAM_SUBJECTS, '_INBOX.>'] },
        sub: { allow: [namespacePattern(ns), '_INBOX.>', ...(inbox === '_INBOX' ? [] : [replies])] },
        resp: reply,
      };
    case 'worker': {
      const executors = [...new Set(options.executors ?? [])].sort();
      return {
        pub: { allow: [allInboxesPattern(ns), sysPattern(ns), ...workerJetStreamPermissions(ns)] },
        sub: {
          allow: [
            ...executors.map((e) => executorQueuePermission(ns, e)),
            ...executors.map((e) => cancelSubject(ns, e)),
            sysPattern(ns),
            replies,
          ],
        },
        resp: reply,
      };
    }
    case 'operator':
      return {
        pub: { allow: [schedSubject(ns), answerSubject(ns), sysPattern(ns)] },
        sub: { allow: [allEventsPattern(ns), sysPattern(ns), replies] },
      };
    case 'observer':
      return {
        pub: { allow: [sysSubject(ns, 'ping'), `${sysSubject(ns, 'ping')}.*`, sysSubject(ns, 'owner')] },
        sub: { allow: [allEventsPattern(ns), sysPattern(ns), replies] },
      };
  }
};

/**
 * True when a subscribe allow list lets its holder serve `executor` the way a worker does: a
 * queue subscription on `lily.<ns>.cmd.exec.<tok>` in the group `lily-exec-<tok>` (the server
 * matches subject and queue as NATS does: `*` and `>` as whole tokens).
 */
export const allowsExecutor = (subAllow: readonly string[], ns: string, executor: string): boolean => {
  const subject = execSubject(ns, executor);
  const queue = execQueue(executor);
  return subAllow.some((entry) => {
    const [pattern = '', group] = entry.trim().split(/\s+/);
    return (
      isValidPattern(pattern) &&
      subjectMatches(pattern, subject) &&
      (group === undefined || (isValidPattern(group) && subjectMatches(group, queue)))
    );
  });
};
