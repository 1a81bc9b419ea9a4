import type { EventType } from '../contracts/index.js';
import { COMMAND_EVENT, type Command, type CommandType } from './types.js';

/** An event to append: what a command is recorded as, or an inbound fact the host creates. */
export interface EventToAppend {
  readonly type: EventType;
  readonly data: unknown;
}

/** The events that record a command in the run's stream (exactly one today). */
export const commandToEvents = (command: Command): EventToAppend[] => [
  { type: COMMAND_EVENT[command.type], data: command.data },
];

/** Event types that record commands the machine caused (appended with the inbound event). */
export const CAUSED_EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(COMMAND_EVENT));

/** Event types the machine reacts to (facts from outside: executors, policy, timers, people). */
export const INBOUND_EVENT_TYPES: ReadonlySet<string> = new Set([
  'run.started',
  'policy.decided',
  'approval.granted',
  'approval.denied',
  'partition.planned',
  'step.started',
  'step.succeeded',
  'step.failed',
  'step.indeterminate',
  'gate.passed',
  'gate.failed',
  'timer.fired',
  'run.cancel_requested',
  // How a cancelled dispatch ended: recorded for the audit, changes nothing in the run.
  'step.cancelled',
]);

/**
 * Who must act on a command: an executor, the policy gate, the scheduler, the workers of an
 * executor (`cancel`: every one of them hears it, the one running the dispatch stops it), or
 * nobody (a record).
 */
export type CommandTarget = 'exec' | 'policy' | 'sched' | 'cancel' | 'record';

const TARGETS: Record<CommandType, CommandTarget> = {
  'policy.check': 'policy',
  'approval.request': 'policy',
  'partition.plan': 'exec',
  'step.dispatch': 'exec',
  'gate.run': 'exec',
  'gate.skip': 'record',
  'timer.schedule': 'sched',
  'timer.cancel': 'sched',
  'step.retry': 'record',
  'step.time_out': 'record',
  'step.skip': 'record',
  'step.cancel': 'cancel',
  'run.complete': 'record',
};

export const commandTarget = (command: Command): CommandTarget => TARGETS[command.type];
