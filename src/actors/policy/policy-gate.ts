import type { Catalog } from '../../blueprints/catalog.js';
import { resolveJobKind } from '../../blueprints/job-kinds.js';
import type { Plan } from '../../blueprints/plan.js';
import type { Clock } from '../../contracts/clock.js';
import type { EventData } from '../../contracts/events/catalog.js';
import { approvalStream } from '../../contracts/events/streams.js';
import type { RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { decidePolicy, dryRunRequirement } from '../../policy/decide.js';
import { fixForDenial } from '../../policy/fixes.js';
import type { ResolveProgram } from '../../policy/programs.js';
import { buildPolicyRequest } from '../../policy/request.js';
import type { Policy } from '../../policy/schema.js';
import type { Bus, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type InboundEvent, type PolicyMessage, policyMessageSchema } from '../messages.js';
import type { RunInbox } from '../runtime/run-inbox.js';
import { POLICY_QUEUE, policySubject } from '../subjects.js';
import { answerFact, findAnswer } from './approvals.js';
import { decidedPrograms } from './decided-programs.js';
import { DryRunProofs } from './dry-run-proof.js';
import { type ProgramResolver, programResolver } from './executables.js';
import { RunFactsCache } from './run-facts.js';
import { checkWorkspacePath, type PathVerdict, type WorkspaceRules } from './workspace.js';

export interface PolicyGateOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  /** The engine's run host: decisions and approval answers are handed to it in-process. */
  inbox: RunInbox;
  /** `.lily/policy.yaml`, loaded (`setPolicy` replaces it). */
  policy: Policy;
  /** The project directory: workspace paths resolve inside it. */
  workspace: string;
  /**
   * Executors' declared side effects (the worse of step and executor counts) and job kinds
   * (a kind whose safety policy requires a dry run is enforced here, rule `kind.require_dry_run`).
   */
  catalog?: Pick<Catalog, 'executors'> & Partial<Pick<Catalog, 'jobKinds'>>;
  /** Path check; default `checkWorkspacePath(workspace, …)` (follows symlinks on disk). */
  checkPath?: (path: string, rules: WorkspaceRules) => PathVerdict;
  /** Program lookup; default: the policy's `path` (else this process's PATH) on the real file system. */
  resolveProgram?: ResolveProgram;
  producer?: string;
}

/** The approval id of one attempt of one step: deterministic, so re-sent checks agree. */
export const approvalIdFor = (runId: RunId, stepId: string, attempt: number): string =>
  `${runId}.${stepId}.${attempt}`;

/**
 * The PolicyGate actor (kernel layer 4). Answers `policy.check` with `policy.decided` (allow
 * with the programs it identified, deny with the rule and reasons, or approval_required), judged on the
 * plan pinned in the run's log and `.lily/policy.yaml`; records `approval.request`s in
 * `approval/<id>` and delivers answers already there. Replies are facts handed to the run host
 * in-process (never on the bus) with deterministic ids, so re-sent checks are harmless.
 */
export class PolicyGate {
  readonly #o: PolicyGateOptions;
  readonly #facts: RunFactsCache;
  readonly #proofs: DryRunProofs;
  readonly #work = new Set<Promise<unknown>>();
  readonly #producer: string;
  #policy: Policy;
  #programs: ProgramResolver;
  #sub: BusSubscription | undefined;

  constructor(options: PolicyGateOptions) {
    this.#o = options;
    this.#policy = options.policy;
    this.#programs = programResolver(options.policy, options.workspace);
    this.#producer = options.producer ?? 'engine/policy-gate';
    this.#facts = new RunFactsCache(options.store);
    this.#proofs = new DryRunProofs(options.store);
  }

  /** Subscribes to `cmd.policy` in the policy queue group. */
  start(): void {
    this.#sub = this.#o.bus.subscribeTyped(
      policySubject(this.#o.ns),
      policyMessageSchema,
      (msg) => {
        const work = this.handle(msg).catch((e) =>
          this.#o.log.error(
            { event: 'policy.failed', runId: msg.runId, error: errorInfo(e) },
            'policy message not handled; the run host re-sends it on resume',
          ),
        );
        this.#work.add(work);
        void work.finally(() => this.#work.delete(work));
        return work;
      },
      { queue: POLICY_QUEUE },
    );
  }

  /** Drops what the gate cached about a run that reached a final state. */
  runFinished(runId: RunId): void {
    this.#facts.forget(runId);
  }

  /** Replaces the policy (a reloaded `.lily/policy.yaml`); later checks use it. */
  setPolicy(policy: Policy): void {
    this.#policy = policy;
    this.#programs = programResolver(policy, this.#o.workspace);
  }

  /** Where bare program names are looked up under the current policy, and where that list came from. */
  searchPath(): { searchPath: readonly string[]; source: 'policy' | 'environment' } {
    return { searchPath: this.#programs.searchPath, source: this.#programs.source };
  }

  /** Handles one message (what the subscription calls; its schema parsed the run id). Throws only on storage failures. */
  async handle(msg: PolicyMessage): Promise<void> {
    if (msg.command.type === 'policy.check') await this.#check(msg.runId, msg.command.data);
    else await this.#approval(msg.runId, msg.command.data);
  }

  /** The decision for one attempt of one step, or undefined when the run has no run.started. */
  async decide(
    runId: RunId,
    d: EventData<'policy.requested'>,
  ): Promise<EventData<'policy.decided'> | undefined> {
    const facts = await this.#facts.get(runId);
    if (!facts) return undefined;
    const ref = { stepId: d.stepId, attempt: d.attempt };
    const step = facts.steps.get(d.stepId);
    if (!step || step.executor !== d.executor) {
      return {
        ...ref,
        decision: 'deny',
        rule: 'plan',
        reasons: [`step ${d.stepId} is not in the run's plan`],
      };
    }
    const policy = this.#policy;
    const kind = this.#kindOf(facts.plan);
    if (kind.unknown !== undefined) {
      return {
        ...ref,
        decision: 'deny',
        rule: 'kind',
        reasons: [`job kind ${kind.unknown} of the run's plan is not registered (is its pack loaded?)`],
      };
    }
    const unproven = buildPolicyRequest(facts, step, {
      dryRunProven: false,
      ...(this.#o.catalog ? { executors: this.#o.catalog.executors } : {}),
      ...(kind.requiresDryRun !== undefined ? { kindRequiresDryRun: kind.requiresDryRun } : {}),
    });
    // The log is read for a proof only when a policy rule or the job kind asks for one.
    const dryRunProof = dryRunRequirement(policy, unproven)
      ? await this.#proofs.proof(facts.jobId, facts.planHash, facts.inputHash)
      : undefined;
    const request = { ...unproven, dryRunProven: dryRunProof !== undefined };
    const checkPath = this.#o.checkPath ?? ((p, rules) => checkWorkspacePath(this.#o.workspace, p, rules));
    const resolveProgram = this.#o.resolveProgram ?? this.#programs.resolve;
    const verdict = decidePolicy(policy, request, { checkPath, resolveProgram });
    if (verdict.decision === 'deny') {
      const fix = fixForDenial(verdict.rule, request, policy.caps);
      return { ...ref, decision: 'deny', reasons: verdict.reasons, rule: verdict.rule, fix };
    }
    // No grant here: the run host seals each dispatch of this visit itself when it sends it
    // (docs/decisions/030), binding it to what this decision allowed (`programs`).
    const programs = await decidedPrograms(request, resolveProgram, this.#o.log);
    // What the decision relied on and what it allowed to run, for the log and the receipt.
    const recorded = {
      ...(dryRunProof !== undefined ? { dryRunProof } : {}),
      ...(programs.length > 0 ? { programs } : {}),
    };
    return verdict.decision === 'allow'
      ? { ...ref, decision: 'allow', reasons: verdict.reasons, ...recorded }
      : {
          ...ref,
          decision: 'approval_required',
          reasons: verdict.reasons,
          rule: verdict.rule,
          approvalId: approvalIdFor(runId, d.stepId, d.attempt),
          ...recorded,
        };
  }

  /** The plan's job kind as far as policy goes: whether it requires a dry run, or that it is unknown. */
  #kindOf(plan: Plan): { requiresDryRun?: string; unknown?: string } {
    const kinds = this.#o.catalog?.jobKinds;
    if (plan.kind === undefined || kinds === undefined) return {};
    try {
      const kind = resolveJobKind(kinds, plan.kind);
      return kind.safety.requireDryRun ? { requiresDryRun: `${kind.id}@${kind.version}` } : {};
    } catch {
      return { unknown: plan.kind };
    }
  }

  async #check(runId: RunId, d: EventData<'policy.requested'>): Promise<void> {
    const fact = await this.checkLocal(runId, d);
    if (fact) this.#deliver(runId, fact);
  }

  /**
   * Decides a check and returns the `policy.decided` fact instead of publishing it: a run host
   * in the same process feeds it to the run in the same append as the check (one flush, no
   * bus hop). `started` primes the run's facts when its `run.started` is not durable yet.
   * Undefined when the run is unknown (logged).
   */
  async checkLocal(
    runId: RunId,
    d: EventData<'policy.requested'>,
    started?: EventData<'run.started'>,
  ): Promise<InboundEvent | undefined> {
    if (started) this.#facts.prime(runId, started);
    const decided = await this.decide(runId, d);
    if (!decided) {
      this.#o.log.warn(
        { event: 'message.rejected', reason: 'run_not_found', runId },
        'policy check for an unknown run',
      );
      return undefined;
    }
    const facts = await this.#facts.get(runId);
    const fields = { runId, jobId: facts?.jobId, stepId: d.stepId, attempt: d.attempt, rule: decided.rule };
    if (decided.decision === 'deny') {
      this.#o.log.warn(
        { event: 'policy.denied', ...fields, reasons: decided.reasons },
        `policy denied ${d.stepId}: ${decided.reasons.join('; ')}`,
      );
    } else {
      this.#o.log.debug({ event: 'policy.decided', ...fields, decision: decided.decision }, 'policy decided');
    }
    return {
      id: `${runId}/${d.stepId}/${d.attempt}/policy`,
      type: 'policy.decided',
      at: this.#o.clock.now(),
      data: decided,
      producer: this.#producer,
    };
  }

  /**
   * Records the request in `approval/<id>` (once), or delivers the answer a human already
   * gave. A dry run's approval is granted at once by `lily:dry-run` (no side effects).
   */
  async #approval(runId: RunId, d: EventData<'approval.requested'>): Promise<void> {
    const store = this.#o.store;
    const stream = approvalStream(d.approvalId);
    const events = await store.readStream(stream);
    const answer = findAnswer(events);
    if (answer) {
      this.#deliver(runId, answerFact(answer, this.#producer));
      return;
    }
    const facts = await this.#facts.get(runId);
    const at = this.#o.clock.now();
    const meta = { producer: this.#producer, correlationId: runId };
    const requested = {
      id: `${d.approvalId}/requested`,
      type: 'approval.requested' as const,
      at,
      data: { ...d, runId, ...(facts ? { jobId: facts.jobId } : {}) },
      meta,
    };
    if (facts?.dryRun) {
      const granted = {
        id: `${d.approvalId}/granted`,
        type: 'approval.granted' as const,
        at,
        data: {
          stepId: d.stepId,
          attempt: d.attempt,
          approvalId: d.approvalId,
          by: 'lily:dry-run',
          comment: 'a dry run has no side effects to approve',
        },
        meta,
      };
      const batch = events.length === 0 ? [requested, granted] : [granted];
      await store.append(stream, batch);
      this.#deliver(runId, answerFact(granted, this.#producer));
      return;
    }
    if (events.length === 0) await store.append(stream, [requested]);
    this.#o.log.warn(
      {
        event: 'approval.requested',
        runId,
        jobId: facts?.jobId,
        stepId: d.stepId,
        approvalId: d.approvalId,
        reason: d.reason,
      },
      `approval needed: lily approvals grant ${d.approvalId}`,
    );
  }

  #deliver(runId: RunId, event: InboundEvent): void {
    this.#o.inbox
      .deliver(runId, [event])
      .catch((e) =>
        this.#o.log.error({ event: 'policy.deliver_failed', runId, type: event.type, error: errorInfo(e) }),
      );
  }

  /** Resolves when the messages in hand are handled. */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Drains the subscription and waits for the messages in hand. */
  async stop(): Promise<void> {
    await this.#sub?.drain();
    this.#sub = undefined;
    await this.idle();
  }
}
