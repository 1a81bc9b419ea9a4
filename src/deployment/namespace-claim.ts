/**
 * A namespace belongs to one project on a NATS. Every engine and worker *holds* its namespace
 * by answering `lily.<ns>.sys.owner` probes with its project's identity; every process that
 * connects to a NATS it does not own (an external server) first *probes*: it publishes its own
 * identity on `sys.owner` with a fresh reply subject `sys.owner.<nonce>` and collects the
 * answers for a short window. An answer from another project is `namespace_in_use`, naming
 * that project's directory, host, process and pid.
 *
 * Why it cannot let two projects in: a holder subscribes (and flushes) before it probes, so of
 * two processes starting together at least one sees the other (the later probe reaches the
 * earlier subscription). Both may fail; both never pass. A probe from another project is also
 * logged at warn level by every holder it reaches (`namespace.contested`).
 *
 * What it does not do: hold a namespace while no engine or worker of the project runs (the
 * claim lives with the processes), or stop a client that does not probe (a hand-written one):
 * per-project NATS accounts and credentials (nats-auth/) are the boundary there.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { Bus, BusSubscription } from '../actors/bus/bus.js';
import type { Logger } from '../actors/logger.js';
import { sysSubject } from '../actors/subjects.js';
import { LilyError } from '../contracts/errors.js';
import { ROLES } from './nats-auth/roles.js';

export const namespaceOwnerSchema = z.object({
  /** The project's random id (`.lily/keys/project.json`). */
  projectId: z.string().min(1).max(128),
  /** The project directory on its host. */
  dir: z.string().max(4096),
  host: z.string().max(256),
  pid: z.number().int(),
  role: z.enum(ROLES),
  /** `engine`, `worker-1`, `cli`, ... */
  actor: z.string().max(256),
  /** Epoch ms when it connected. */
  since: z.number(),
});
export type NamespaceOwner = z.infer<typeof namespaceOwnerSchema>;

const ownerMessageSchema = z.object({ owner: namespaceOwnerSchema });

/** This process as a namespace owner (or prober). */
export const processOwner = (
  projectId: string,
  dir: string,
  role: NamespaceOwner['role'],
  actor: string,
  now: () => number = Date.now,
): NamespaceOwner => ({ projectId, dir, host: hostname(), pid: process.pid, role, actor, since: now() });

export interface NamespaceClaimOptions {
  bus: Bus;
  ns: string;
  me: NamespaceOwner;
  log: Logger;
  /** Answer probes for as long as the bus is open (engines and workers). */
  hold: boolean;
  /** Probe before going on (a NATS this project does not own). */
  probe: boolean;
  /** How long a probe collects answers; default 300 ms. */
  windowMs?: number;
}

export interface NamespaceClaim {
  /** Stops answering probes. Idempotent. */
  release(): void;
}

const describe = (o: NamespaceOwner): string => `project ${o.dir} on ${o.host} (${o.actor}, pid ${o.pid})`;

export const namespaceInUse = (ns: string, owner: NamespaceOwner): LilyError =>
  new LilyError(
    'namespace_in_use',
    `namespace ${JSON.stringify(ns)} on this NATS is in use by ${describe(owner)}: give this project another \`namespace:\` in .lily/config.yaml, or stop that one`,
    { namespace: ns, owner },
  );

const hold = (o: NamespaceClaimOptions): BusSubscription =>
  o.bus.subscribeTyped(sysSubject(o.ns, 'owner'), ownerMessageSchema, ({ owner }, msg) => {
    if (owner.projectId !== o.me.projectId) {
      o.log.warn(
        { event: 'namespace.contested', namespace: o.ns, prober: owner },
        `${describe(owner)} tried namespace ${o.ns}, which this project holds`,
      );
    }
    msg.respond({ owner: o.me });
  });

const probe = async (o: NamespaceClaimOptions): Promise<NamespaceOwner | undefined> => {
  const reply = sysSubject(o.ns, 'owner', randomBytes(12).toString('hex'));
  let foreign: NamespaceOwner | undefined;
  let wake: () => void = () => undefined;
  const found = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const sub = o.bus.subscribeTyped(reply, ownerMessageSchema, ({ owner }) => {
    if (owner.projectId === o.me.projectId || foreign) return;
    foreign = owner;
    wake();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await o.bus.flush();
    o.bus.publish(sysSubject(o.ns, 'owner'), { owner: o.me }, { reply });
    await Promise.race([
      found,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, o.windowMs ?? 300);
      }),
    ]);
    return foreign;
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
};

/**
 * Holds and/or checks the namespace (see the module doc). Throws `namespace_in_use`
 * `{namespace, owner}` when a process of another project answers the probe (and then holds
 * nothing); the errors of `bus.flush` when the connection is down.
 */
export const claimNamespace = async (o: NamespaceClaimOptions): Promise<NamespaceClaim> => {
  const held = o.hold ? hold(o) : undefined;
  const release = () => {
    if (held && !o.bus.isClosed()) held.unsubscribe();
  };
  try {
    const owner = o.probe ? await probe(o) : undefined;
    if (owner) throw namespaceInUse(o.ns, owner);
    if (o.hold) await o.bus.flush();
  } catch (e) {
    release();
    throw e;
  }
  return { release };
};
