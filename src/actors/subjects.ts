/**
 * The subject catalog of design.md §4, in one module: builders, patterns and one parser.
 *
 *   lily.<ns>.evt.<jobTok>.<runTok>.<type…>   every appended event
 *   lily.<ns>.cmd.exec.<executorTok>          step dispatch (queue group per executor)
 *   lily.<ns>.cmd.cancel.<executorTok>        dispatch cancels (every worker of the executor)
 *   lily.<ns>.cmd.policy                      policy checks (queue group)
 *   lily.<ns>.cmd.sched                       run requests and cancels
 *   lily.<ns>.cmd.answer                      approval answers and resolves (to the engine)
 *   lily.<ns>.in.<runTok>                     replies to a run host
 *   lily.<ns>.sys.<topic>[.<actorTok>]        ping / health / status / owner
 *
 * Ids become tokens through `encodeSubjectToken` (reversible; `.`, `*`, `>` never appear
 * raw). The namespace is validated, not encoded. An event's type comes LAST and keeps its
 * dots as token separators (each dot-separated segment encoded on its own), so
 * `lily.<ns>.evt.*.*.step.>` selects every step event. To parse: tokens 0-4 are fixed, the
 * rest joined with `.` is the type. `-` stands for "no job" / "no run" (job and system
 * streams); it can never be an encoded id since job ids start with a letter or digit and
 * run ids are ULIDs.
 */
import {
  decodeSubjectToken,
  encodeSubjectToken,
  type JobId,
  LilyError,
  parseJobId,
  parseRunId,
  type RunId,
} from '../contracts/index.js';
import { assertPattern, assertSubject, isValidSubject } from './bus/subject-match.js';

export const DEFAULT_NAMESPACE = 'default';
export const SUBJECT_ROOT = 'lily';
/** The token standing for a missing job id or run id in an event subject. */
export const NO_ID_TOKEN = '-';

const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const isNamespace = (ns: unknown): ns is string => typeof ns === 'string' && NAMESPACE.test(ns);

/** Throws `config_invalid` unless `ns` is 1-64 letters, digits, `_` or `-`, starting alphanumeric. */
export const assertNamespace = (ns: string): string => {
  if (isNamespace(ns)) return ns;
  throw new LilyError('config_invalid', `invalid namespace ${JSON.stringify(ns)}`, {
    field: 'namespace',
    value: ns,
    rule: 'letters, digits, "_" or "-", starting with a letter or digit, at most 64 characters',
  });
};

/**
 * `owner`: who holds the namespace on this NATS (deployment/namespace-claim.ts); a probe's
 * answers come back on `sys.owner.<nonce>`. `pong`: the answers to a ping sent to every
 * process at once (`lily status` finding workers that connected from elsewhere) come back on
 * `sys.pong.<nonce>`.
 */
export const SYS_TOPICS = ['ping', 'health', 'status', 'owner', 'pong'] as const;
export type SysTopic = (typeof SYS_TOPICS)[number];

/** Every Lily subject, parsed. `jobId`/`runId` are null where the subject carries `-`. */
export type LilySubject =
  | { kind: 'event'; ns: string; jobId: JobId | null; runId: RunId | null; type: string }
  | { kind: 'exec'; ns: string; executor: string }
  | { kind: 'cancel'; ns: string; executor: string }
  | { kind: 'policy'; ns: string }
  | { kind: 'sched'; ns: string }
  | { kind: 'answer'; ns: string }
  | { kind: 'inbox'; ns: string; runId: RunId }
  | { kind: 'sys'; ns: string; topic: SysTopic; actor?: string };

const root = (ns: string): string => `${SUBJECT_ROOT}.${assertNamespace(ns)}`;
const idToken = (id: string | null): string => (id === null ? NO_ID_TOKEN : encodeSubjectToken(id));
const encodedTypes = new Map<string, string>();
/** `run.started` -> `run.started`; `a b.c` -> `a_0020b.c`: each dot-separated part encoded. */
export const encodeEventType = (type: string): string => {
  let encoded = encodedTypes.get(type);
  if (encoded === undefined) {
    encoded = type.split('.').map(encodeSubjectToken).join('.');
    // Event types are a small closed set; anything else is encoded each time, not remembered.
    if (encodedTypes.size < 256) encodedTypes.set(type, encoded);
  }
  return encoded;
};
export const decodeEventType = (tokens: readonly string[]): string =>
  tokens.map(decodeSubjectToken).join('.');

const checked = (subject: string): string => {
  assertSubject(subject);
  return subject;
};
const checkedPattern = (pattern: string): string => {
  assertPattern(pattern);
  return pattern;
};

/** `lily.<ns>.evt.<jobTok>.<runTok>.<type…>`. Throws `config_invalid` / `bus_subject_invalid`. */
export const eventSubject = (ns: string, jobId: JobId | null, runId: RunId | null, type: string): string =>
  checked(`${root(ns)}.evt.${idToken(jobId)}.${idToken(runId)}.${encodeEventType(type)}`);
/** Every event of the namespace: `lily.<ns>.evt.>`. */
export const allEventsPattern = (ns: string): string => `${root(ns)}.evt.>`;
/** Tail of one job: `lily.<ns>.evt.<jobTok>.>`. */
export const jobEventsPattern = (ns: string, jobId: JobId | null): string =>
  checkedPattern(`${root(ns)}.evt.${idToken(jobId)}.>`);
/** Tail of one run: `lily.<ns>.evt.<jobTok>.<runTok>.>`. */
export const runEventsPattern = (ns: string, jobId: JobId | null, runId: RunId): string =>
  checkedPattern(`${root(ns)}.evt.${idToken(jobId)}.${idToken(runId)}.>`);
/** Every event of one type, any job and run: `lily.<ns>.evt.*.*.<type…>`. */
export const eventTypePattern = (ns: string, type: string): string =>
  checkedPattern(`${root(ns)}.evt.*.*.${encodeEventType(type)}`);

/** `lily.<ns>.cmd.exec.<executorTok>`: step dispatch to one executor. */
export const execSubject = (ns: string, executor: string): string =>
  checked(`${root(ns)}.cmd.exec.${encodeSubjectToken(executor)}`);
/**
 * `lily.<ns>.cmd.cancel.<executorTok>`: the run no longer wants some dispatches of this executor.
 * Every worker serving it subscribes without a queue group (the dispatch went to one of them
 * through the queue group, and nobody knows which), so each hears it and the holder stops it.
 */
export const cancelSubject = (ns: string, executor: string): string =>
  checked(`${root(ns)}.cmd.cancel.${encodeSubjectToken(executor)}`);
/** `lily.<ns>.cmd.policy`. */
export const policySubject = (ns: string): string => `${root(ns)}.cmd.policy`;
/** `lily.<ns>.cmd.sched`. */
export const schedSubject = (ns: string): string => `${root(ns)}.cmd.sched`;
/** `lily.<ns>.cmd.answer`: a person's answers (approvals, resolves), requests to the engine. */
export const answerSubject = (ns: string): string => `${root(ns)}.cmd.answer`;
/** `lily.<ns>.in.<runTok>`: replies to the host of one run. */
export const inboxSubject = (ns: string, runId: RunId): string =>
  `${root(ns)}.in.${encodeSubjectToken(runId)}`;
/** Every run inbox of the namespace: `lily.<ns>.in.*`. */
export const allInboxesPattern = (ns: string): string => `${root(ns)}.in.*`;
/** `lily.<ns>.sys.<topic>` or, addressed to one actor, `lily.<ns>.sys.<topic>.<actorTok>`. */
export const sysSubject = (ns: string, topic: SysTopic, actor?: string): string =>
  checked(`${root(ns)}.sys.${topic}${actor === undefined ? '' : `.${encodeSubjectToken(actor)}`}`);
/** `lily.<ns>.sys.>`. */
export const sysPattern = (ns: string): string => `${root(ns)}.sys.>`;
/** Everything of one namespace: `lily.<ns>.>`. */
export const namespacePattern = (ns: string): string => `${root(ns)}.>`;

/** Queue group names: one per executor, one for the policy gates, one for schedulers. */
export const execQueue = (executor: string): string => `lily-exec-${encodeSubjectToken(executor)}`;
export const POLICY_QUEUE = 'lily-policy';
export const SCHED_QUEUE = 'lily-sched';
export const ANSWER_QUEUE = 'lily-answer';

/** Builds the subject of a parsed description (inverse of `parseSubject`). */
export const buildSubject = (s: LilySubject): string => {
  switch (s.kind) {
    case 'event':
      return eventSubject(s.ns, s.jobId, s.runId, s.type);
    case 'exec':
      return execSubject(s.ns, s.executor);
    case 'cancel':
      return cancelSubject(s.ns, s.executor);
    case 'policy':
      return policySubject(s.ns);
    case 'sched':
      return schedSubject(s.ns);
    case 'answer':
      return answerSubject(s.ns);
    case 'inbox':
      return inboxSubject(s.ns, s.runId);
    case 'sys':
      return sysSubject(s.ns, s.topic, s.actor);
  }
};

const notLily = (subject: string, why: string, cause?: unknown) =>
  new LilyError(
    'bus_subject_invalid',
    `not a Lily subject: ${JSON.stringify(subject.slice(0, 200))} (${why})`,
    { kind: 'lily subject', value: subject.slice(0, 200), why },
    cause === undefined ? undefined : { cause },
  );

const decodeId = <T>(token: string, parse: (v: string) => T): T | null =>
  token === NO_ID_TOKEN ? null : parse(decodeSubjectToken(token));

const parseTokens = (subject: string, t: string[]): LilySubject | string => {
  const [lily, ns = '', area, a, b] = t;
  if (lily !== SUBJECT_ROOT || !isNamespace(ns)) return 'root or namespace';
  if (area === 'evt' && a !== undefined && b !== undefined && t.length >= 6) {
    const jobId = decodeId(a, parseJobId);
    const runId = decodeId(b, parseRunId);
    return { kind: 'event', ns, jobId, runId, type: decodeEventType(t.slice(5)) };
  }
  if (area === 'cmd' && a === 'exec' && b !== undefined && t.length === 5) {
    return { kind: 'exec', ns, executor: decodeSubjectToken(b) };
  }
  if (area === 'cmd' && a === 'cancel' && b !== undefined && t.length === 5) {
    return { kind: 'cancel', ns, executor: decodeSubjectToken(b) };
  }
  if (area === 'cmd' && (a === 'policy' || a === 'sched' || a === 'answer') && t.length === 4) {
    return { kind: a, ns };
  }
  if (area === 'in' && a !== undefined && t.length === 4) {
    return { kind: 'inbox', ns, runId: parseRunId(decodeSubjectToken(a)) };
  }
  if (area === 'sys' && (SYS_TOPICS as readonly string[]).includes(a ?? '') && t.length <= 5) {
    const topic = a as SysTopic;
    return b === undefined
      ? { kind: 'sys', ns, topic }
      : { kind: 'sys', ns, topic, actor: decodeSubjectToken(b) };
  }
  return `unknown shape of ${subject.split('.').length} tokens`;
};

/**
 * Parses any subject of the catalog. Throws `bus_subject_invalid` (with the decoding error
 * as cause) for anything else, including tokens that decode to invalid job or run ids.
 */
export const parseSubject = (subject: string): LilySubject => {
  if (!isValidSubject(subject)) throw notLily(subject, 'not a valid literal subject');
  let parsed: LilySubject | string;
  try {
    parsed = parseTokens(subject, subject.split('.'));
  } catch (e) {
    throw notLily(subject, 'a token does not decode to a valid id', e);
  }
  if (typeof parsed === 'string') throw notLily(subject, parsed);
  return parsed;
};

/** `parseSubject` that returns undefined instead of throwing. */
export const tryParseSubject = (subject: string): LilySubject | undefined => {
  try {
    return parseSubject(subject);
  } catch {
    return undefined;
  }
};
