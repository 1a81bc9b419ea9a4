import type { StoredEvent } from '../../contracts/events/envelope.js';
import { parseJobId, type RunId } from '../../contracts/ids.js';
import { commandTarget } from '../../machines/commands.js';
import type { Command, RunState } from '../../machines/types.js';
import type { Bus } from '../bus/bus.js';
import type { CancelItem, ExecItem, PolicyMessage, SchedMessage } from '../messages.js';
import { cancelSubject, eventSubject, execSubject, policySubject, schedSubject } from '../subjects.js';
import { partitionDispatchId } from '../worker/dispatch-request.js';
import type { TraceContextSource } from './run-observer.js';
import type { RunSlot } from './run-slot.js';

/**
 * The outbox: after an append, publish what it recorded. Commands go to the actor that acts
 * on them (executors, the policy gate, the scheduler), batched one message per subject; every
 * stored event is republished on its `evt` subject for tails and projectors. Publishing is
 * best-effort: whatever is lost is re-sent from the log on resume. With `trace` (tracing on),
 * each dispatch carries the `traceparent` of its span, so the worker's spans join the run's trace.
 */
export const publishCommands = (
  bus: Bus,
  ns: string,
  slot: RunSlot,
  commands: readonly Command[],
  trace?: TraceContextSource,
): void => {
  const started = slot.started;
  if (!started || commands.length === 0) return;
  const exec = new Map<string, ExecItem[]>();
  const cancels = new Map<string, CancelItem[]>();
  const base = { runId: slot.runId, jobId: slot.jobId };
  const addExec = (executor: string, item: ExecItem) => {
    const list = exec.get(executor) ?? [];
    if (trace) {
      const dispatchId =
        item.kind === 'partition'
          ? partitionDispatchId(item.runId, item.data.stepId, item.data.attempt)
          : item.data.dispatchId;
      const traceparent = trace.traceparent(slot.runId, dispatchId);
      if (traceparent !== undefined) item.traceparent = traceparent;
    }
    list.push(item);
    exec.set(executor, list);
  };
  for (const command of commands) {
    switch (commandTarget(command)) {
      case 'exec':
        routeExec(command, slot.state, base, addExec);
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
        bus.publish(schedSubject(ns), { ...command, runId: slot.runId } as SchedMessage);
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
  // One message per dispatch: the queue group then spreads parallel steps and shards over the
  // workers (a batch would land on one worker whole).
  for (const [executor, items] of exec) {
    for (const item of items) bus.publish(execSubject(ns, executor), { items: [item] });
  }
  // Cancels go to every worker of the executor at once: one message per executor.
  for (const [executor, items] of cancels) bus.publish(cancelSubject(ns, executor), { items });
};

const routeExec = (
  command: Command,
  state: RunState | undefined,
  base: { runId: RunId; jobId: string },
  add: (executor: string, item: ExecItem) => void,
): void => {
  if (command.type === 'step.dispatch')
    add(command.data.executor, { kind: 'step', ...base, data: command.data });
  else if (command.type === 'partition.plan')
    add(command.data.partitioner, { kind: 'partition', ...base, data: command.data });
  else if (command.type === 'gate.run') {
    // Gates run under the grant of the step they check.
    const grant = state?.steps[command.data.stepId]?.grant;
    add(command.data.executor, {
      kind: 'gate',
      ...base,
      data: command.data,
      ...(grant === undefined ? {} : { grant }),
    });
  }
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
  for (const e of events) bus.publish(eventSubject(ns, job, runId, e.type), e);
};
