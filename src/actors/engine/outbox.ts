import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { parseJobId, type RunId } from '../../contracts/ids.js';
import { storedEventBytes } from '../../eventstore/event-bytes.js';
import { commandTarget } from '../../machines/commands.js';
import type { Command } from '../../machines/types.js';
import type { Bus } from '../bus/bus.js';
import type { CancelItem, ExecItem, PolicyMessage } from '../messages.js';
import { cancelSubject, eventSubject, policySubject } from '../subjects.js';
import { dispatchRefOf } from '../trust/dispatch-kind.js';
import type { EngineSeals } from '../trust/engine-seals.js';
import type { DispatchDesk } from './dispatch-desk.js';
import type { TraceContextSource } from './run-observer.js';
import type { RunSlot } from './run-slot.js';

/** The engine's scheduler, asked in-process: timers never travel on the bus. */
export interface TimerPort {
  schedule(runId: RunId, data: EventData<'timer.scheduled'>): void;
  cancel(timerId: string): void;
}

/** Where a run host's commands go: the bus (policy checks, cancels), the desk (dispatches), the scheduler. */
export interface OutboxPorts {
  bus: Bus;
  ns: string;
  seals: EngineSeals;
  /** Seals the dispatches of a turn together and publishes them (dispatch-desk.ts). */
  desk: DispatchDesk;
  timers: TimerPort;
  /** The time a dispatch without a recorded time is sealed from (never the case for logged ones). */
  now(): number;
  /** With tracing on: each dispatch carries the `traceparent` of its span (not sealed: it only places spans). */
  trace?: TraceContextSource;
}

/** A command for a worker (a step, gate or partition dispatch). */
export const isDispatch = (command: Command): boolean => commandTarget(command) === 'exec';

/**
 * The outbox: after an append, publish what it recorded. Commands go to the actor that acts
 * on them (executors, the policy gate, the scheduler); every stored event is republished on its
 * `evt` subject for tails and projectors. Dispatches go through the desk, which seals those of
 * one turn together and sends them at its end, one message each (dispatch-desk.ts); what each
 * seal claims is read from the run's seal book here. Publishing is best-effort: whatever is lost
 * is re-sent from the log on resume. With `trace` (tracing on), each dispatch carries the
 * `traceparent` of its span, so the worker's spans join the run's trace.
 */
export const publishCommands = (out: OutboxPorts, slot: RunSlot, commands: readonly Command[]): void => {
  const started = slot.started;
  if (!started || commands.length === 0) return;
  const { bus, ns } = out;
  const cancels = new Map<string, CancelItem[]>();
  const base = { runId: slot.runId, jobId: slot.jobId };
  const now = out.now();
  const addExec = (executor: string, item: ExecItem) => {
    const terms = out.seals.terms(item, slot.seals, started.dryRun, now);
    const traceparent = out.trace?.traceparent(slot.runId, dispatchRefOf(item).dispatchId);
    out.desk.send(traceparent === undefined ? { terms, executor } : { terms, executor, traceparent });
  };
  for (const command of commands) {
    switch (commandTarget(command)) {
      case 'exec':
        routeExec(command, base, addExec);
        break;
      case 'policy': {
        const msg: PolicyMessage = {
          ...base,
          principal: started.principal,
          dryRun: started.dryRun,
          planHash: started.planHash,
          inputHash: started.inputHash,
          command: command as PolicyMessage['command'],
        };
        bus.publish(policySubject(ns), msg);
        break;
      }
      case 'sched':
        if (command.type === 'timer.schedule') out.timers.schedule(slot.runId, command.data);
        else if (command.type === 'timer.cancel') out.timers.cancel(command.data.timerId);
        break;
      case 'cancel':
        if (command.type === 'step.cancel') {
          const { executor, dispatchId, reason } = command.data;
          cancels.set(executor, [
            ...(cancels.get(executor) ?? []),
            { runId: slot.runId, dispatchId, reason },
          ]);
        }
        break;
      default:
        break;
    }
  }
  // Cancels go to every worker of the executor at once: one message per executor.
  for (const [executor, items] of cancels) bus.publish(cancelSubject(ns, executor), { items });
};

const routeExec = (
  command: Command,
  base: { runId: RunId; jobId: string },
  add: (executor: string, item: ExecItem) => void,
): void => {
  if (command.type === 'step.dispatch')
    add(command.data.executor, { kind: 'step', ...base, data: command.data });
  else if (command.type === 'partition.plan')
    add(command.data.partitioner, { kind: 'partition', ...base, data: command.data });
  else if (command.type === 'gate.run')
    add(command.data.executor, { kind: 'gate', ...base, data: command.data });
};

export const publishEvents = (
  bus: Bus,
  ns: string,
  jobId: string,
  runId: RunId,
  events: readonly StoredEvent[],
): void => {
  let job: ReturnType<typeof parseJobId> | null = null;
  try {
    job = parseJobId(jobId);
  } catch {
    job = null;
  }
  // The bytes the log stored (decision 036): an event is encoded once.
  for (const e of events) bus.publishBytes(eventSubject(ns, job, runId, e.type), storedEventBytes(e));
};
