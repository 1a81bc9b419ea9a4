import type { ZodType } from 'zod';
import type { RouteOutcome } from '../blueprints/plan.js';
import type { ArtifactRef, ErrorInfo, EventData, Json, JsonObject } from '../contracts/index.js';

/** The states of one step's region, in the order they are drawn. */
export const STEP_STATUSES = [
  'waiting',
  'policy_check',
  'awaiting_approval',
  'partitioning',
  'dispatched',
  'retry_wait',
  'gating',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
  'indeterminate',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Statuses in which a step holds the run open (something is outstanding or awaited). */
export const ACTIVE_STATUSES: ReadonlySet<StepStatus> = new Set<StepStatus>([
  'policy_check',
  'awaiting_approval',
  'partitioning',
  'dispatched',
  'retry_wait',
  'gating',
  'indeterminate',
]);

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export type ShardStatus =
  | 'pending'
  | 'dispatched'
  | 'retry_wait'
  | 'succeeded'
  | 'failed'
  | 'indeterminate'
  | 'cancelled';

export interface ShardState {
  readonly key: string;
  readonly input: Json;
  readonly status: ShardStatus;
  /** Attempt number of the last dispatch of this shard (0 before the first). */
  readonly attempt: number;
  /** Dispatches of this shard so far (bounded by the step's retry.maxAttempts). */
  readonly tries: number;
  readonly output?: Json;
  readonly error?: ErrorInfo;
}

export interface StepState {
  readonly status: StepStatus;
  /** Last attempt number used; monotonic over retries and route visits, so dispatch ids never repeat. */
  readonly attempt: number;
  /** Dispatches in the current visit (bounded by retry.maxAttempts). */
  readonly tries: number;
  /** How many times the step has been entered (first start and route entries). */
  readonly visits: number;
  readonly grant?: string;
  readonly approvalId?: string;
  readonly output?: Json;
  readonly artifacts?: readonly ArtifactRef[];
  readonly error?: ErrorInfo;
  readonly outcome?: RouteOutcome;
  readonly gates?: Readonly<Record<string, GateStatus>>;
  readonly gateErrors?: Readonly<Record<string, ErrorInfo>>;
  readonly shards?: readonly ShardState[];
  /** Output copied from a parent run by a fork. */
  readonly memoized?: boolean;
}

/** Where one gate of a step's current attempt is: `skipped` when a dry run does not run it. */
export type GateStatus = 'pending' | 'passed' | 'failed' | 'skipped';

/** A dispatch (step, shard or gate) that has not been answered. */
export interface Inflight {
  readonly stepId: string;
  readonly attempt: number;
  readonly shard?: string;
  readonly gateId?: string;
  readonly timerId?: string;
}

/** A timer scheduled and not yet fired or cancelled. */
export interface TimerRef {
  readonly purpose: 'retry' | 'step_timeout' | 'run_timeout';
  readonly stepId?: string;
  readonly shard?: string;
  readonly dispatchId?: string;
  readonly timeoutMs?: number;
}

export interface RunOutcome {
  readonly status: Exclude<RunStatus, 'running'>;
  readonly envelope: EventData<'run.completed'>['envelope'];
  readonly error?: ErrorInfo;
}

/**
 * The whole state of a run: plain JSON, so it can be snapshotted, compared and sent to an
 * XState actor as context. Never mutated: every event yields a new state (shared structure).
 */
export interface RunState {
  readonly v: 1;
  readonly runId: string;
  /**
   * The semantics the run started under (`run.started.machine`, 1 when absent): from 2 on, a
   * run that ends cancels the dispatches it still has in flight (`step.cancel`).
   */
  readonly machine?: number;
  readonly planHash: string;
  readonly dryRun: boolean;
  readonly gatesOnly: boolean;
  readonly input: JsonObject;
  readonly status: RunStatus;
  readonly steps: Readonly<Record<string, StepState>>;
  /** Number of steps in an ACTIVE_STATUSES status. */
  readonly active: number;
  readonly inflight: Readonly<Record<string, Inflight>>;
  readonly timers: Readonly<Record<string, TimerRef>>;
  /** Every command still waiting for its answer, by key: what `outstanding` re-sends. */
  readonly pending: Readonly<Record<string, Command>>;
  readonly outcome?: RunOutcome;
}

/** Command type -> the event type that records it in the run's stream. */
export const COMMAND_EVENT = {
  'policy.check': 'policy.requested',
  'approval.request': 'approval.requested',
  'partition.plan': 'partition.requested',
  'step.dispatch': 'step.dispatched',
  'gate.run': 'gate.dispatched',
  'gate.skip': 'gate.skipped',
  'timer.schedule': 'timer.scheduled',
  'timer.cancel': 'timer.cancelled',
  'step.retry': 'step.retry_scheduled',
  'step.time_out': 'step.timed_out',
  'step.skip': 'step.skipped',
  'step.cancel': 'step.cancel_requested',
  'run.complete': 'run.completed',
} as const;
export type CommandType = keyof typeof COMMAND_EVENT;

/** A command the machine emits; `data` is exactly the data of the event that records it. */
export type Command = {
  [K in CommandType]: { readonly type: K; readonly data: EventData<(typeof COMMAND_EVENT)[K]> };
}[CommandType];
export type CommandOf<K extends CommandType> = Extract<Command, { type: K }>;

/** An event fed to a run: a stored event or anything with its type, time and data. */
export interface RunEvent {
  readonly type: string;
  /** Epoch ms stamped by the host; the only source of time for the machine. */
  readonly at: number;
  readonly data: unknown;
  readonly seq?: number;
}

/** Pure lookup of output schemas by `name@version` (the schema registry, injected). */
export interface SchemaLookup {
  get(name: string): ZodType | undefined;
}

/** What one event did: the next state, the commands it caused, and the outcome if it ended the run. */
export interface Transition {
  readonly state: RunState;
  readonly commands: readonly Command[];
  readonly final?: RunOutcome;
}
