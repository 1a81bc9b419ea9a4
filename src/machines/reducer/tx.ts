import type { PlanStep } from '../../blueprints/plan.js';
import type { PlanIndex } from '../program-index.js';
import {
  ACTIVE_STATUSES,
  type Command,
  type Inflight,
  type RunOutcome,
  type RunState,
  type StepState,
  type StepStatus,
  type TimerRef,
} from '../types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * One transition in progress: copies what it touches (copy-on-write), collects commands, and
 * yields the next immutable RunState. The previous state is never modified.
 */
export class Tx {
  readonly commands: Command[] = [];
  private readonly run: Mutable<RunState>;
  private steps?: Record<string, StepState>;
  private inflight?: Record<string, Inflight>;
  private timers?: Record<string, TimerRef>;
  private pending?: Record<string, Command>;
  private changed = false;

  constructor(
    readonly index: PlanIndex,
    readonly state: RunState,
    readonly at: number,
  ) {
    this.run = { ...state };
  }

  get runId(): string {
    return this.run.runId;
  }
  get running(): boolean {
    return this.run.status === 'running';
  }
  get view(): RunState {
    return this.run;
  }

  planStep(id: string): PlanStep {
    const step = this.index.byId.get(id);
    if (!step) throw new Error(`unknown step ${id}`);
    return step;
  }

  step(id: string): StepState {
    return (this.steps ?? this.run.steps)[id] as StepState;
  }

  /** Replaces a step's record; keeps the `active` count in line with its status. */
  setStep(id: string, next: StepState): void {
    if (!this.steps) this.steps = this.run.steps = { ...this.run.steps };
    const prev = this.steps[id];
    const was = prev !== undefined && ACTIVE_STATUSES.has(prev.status);
    const is = ACTIVE_STATUSES.has(next.status);
    if (was !== is) this.run.active += is ? 1 : -1;
    this.steps[id] = next;
    this.changed = true;
  }

  patchStep(id: string, patch: Partial<StepState>): StepState {
    const next = { ...this.step(id), ...patch };
    this.setStep(id, next);
    return next;
  }

  setStatus(id: string, status: StepStatus): void {
    this.patchStep(id, { status });
  }

  emit(command: Command, pendingKey?: string): void {
    this.commands.push(command);
    if (pendingKey !== undefined) this.putPending(pendingKey, command);
    this.changed = true;
  }

  putPending(key: string, command: Command): void {
    if (!this.pending) this.pending = this.run.pending = { ...this.run.pending };
    this.pending[key] = command;
    this.changed = true;
  }

  dropPending(key: string): void {
    if (!(key in this.run.pending)) return;
    if (!this.pending) this.pending = this.run.pending = { ...this.run.pending };
    delete this.pending[key];
    this.changed = true;
  }

  getInflight(dispatchId: string): Inflight | undefined {
    return this.run.inflight[dispatchId];
  }

  putInflight(dispatchId: string, value: Inflight): void {
    if (!this.inflight) this.inflight = this.run.inflight = { ...this.run.inflight };
    this.inflight[dispatchId] = value;
    this.changed = true;
  }

  dropInflight(dispatchId: string): void {
    if (!(dispatchId in this.run.inflight)) return;
    if (!this.inflight) this.inflight = this.run.inflight = { ...this.run.inflight };
    delete this.inflight[dispatchId];
    this.changed = true;
  }

  getTimer(timerId: string): TimerRef | undefined {
    return this.run.timers[timerId];
  }

  putTimer(timerId: string, value: TimerRef): void {
    if (!this.timers) this.timers = this.run.timers = { ...this.run.timers };
    this.timers[timerId] = value;
    this.changed = true;
  }

  dropTimer(timerId: string): void {
    if (!(timerId in this.run.timers)) return;
    if (!this.timers) this.timers = this.run.timers = { ...this.run.timers };
    delete this.timers[timerId];
    this.dropPending(timerId);
  }

  /** Ends the run: the status and outcome; the caller has already emitted `run.complete`. */
  finish(outcome: RunOutcome): void {
    this.run.status = outcome.status;
    this.run.outcome = outcome;
    this.run.inflight = {};
    this.run.timers = {};
    this.run.pending = {};
    this.inflight = this.timers = this.pending = undefined;
    this.changed = true;
  }

  result(): RunState {
    return this.changed ? this.run : this.state;
  }
}
