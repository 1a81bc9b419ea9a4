import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hxoPack from '@lily/hxo';
import { CommandGuard } from '../../../src/actors/executors/command-guard.js';
import { silentLogger } from '../../../src/actors/logger.js';
import { checkWorkspacePath, type WorkspaceRules } from '../../../src/actors/policy/workspace.js';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import type { Catalog } from '../../../src/blueprints/catalog.js';
import { compileBlueprint } from '../../../src/blueprints/compile.js';
import { resolveJobKind } from '../../../src/blueprints/job-kinds.js';
import { installPack } from '../../../src/blueprints/packs.js';
import type { Plan } from '../../../src/blueprints/plan.js';
import type { ArtifactStore } from '../../../src/contracts/artifact-store.js';
import type { ExecutionContext, ExecutorFn, PartitionerFn } from '../../../src/contracts/executor.js';
import { StepError } from '../../../src/contracts/executor.js';
import type { Json, JsonObject } from '../../../src/contracts/json.js';
import { createInMemoryArtifactStore } from '../../../src/eventstore/in-memory-artifact-store.js';

export const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'hxo', 'workspace');

/** A fresh copy of the fixture workspace in a temp dir. */
export const copyFixture = async (): Promise<{ dir: string; cleanup: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), 'lily-hxo-'));
  await cp(FIXTURE, dir, { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
};

export const hxoCatalog = (): Catalog => {
  const c = createBuiltinCatalog();
  installPack(c, { default: hxoPack }, '@lily/hxo');
  return c;
};

export interface ContextOptions {
  with?: Record<string, unknown>;
  input?: Json;
  dryRun?: boolean;
  artifacts?: ArtifactStore;
  rules?: WorkspaceRules;
  stepId?: string;
}

/** An ExecutionContext as a worker builds it: the workspace policy behind resolvePath, no commands allowed. */
export const context = (workspace: string, o: ContextOptions = {}): ExecutionContext => {
  const rules = o.rules ?? { allow: ['**'], deny: [] };
  const commands = new CommandGuard({ policy: { commands: [], env: { allow: [], deny: [] } }, workspace });
  return {
    request: {
      dispatchId: 'run-1/step/1',
      runId: 'run-1',
      jobId: 'hxo-test',
      stepId: o.stepId ?? 'step',
      attempt: 1,
      with: (o.with ?? {}) as Record<string, Json>,
      input: o.input ?? null,
      dryRun: o.dryRun ?? false,
    },
    workspace,
    artifacts: o.artifacts ?? createInMemoryArtifactStore(),
    signal: new AbortController().signal,
    log: silentLogger(),
    resolvePath: (path) => {
      const verdict = checkWorkspacePath(workspace, path, rules);
      if (!verdict.ok)
        throw new StepError('job_policy_denied', verdict.reason, { path }, { retryable: false });
      return verdict.absolute;
    },
    prepareCommand: (argv, env, cwd) => commands.prepare({ argv, env, cwd }, silentLogger()),
  };
};

export const partitionerOf = (c: Catalog, name: string) => c.partitioners.get(name)?.run as PartitionerFn;
export const executorOf = (c: Catalog, name: string) => c.executors.get(name)?.run as ExecutorFn;

export interface StageRun {
  plan: Plan;
  shards: { key: string; input: Json }[];
  outputs: JsonObject[];
  artifacts: ArtifactStore;
}

/**
 * What the engine does with a one-step HXO plan, without the engine: compile, partition, run
 * every shard in order through the executor, check each output against the step's output
 * schema and the kind's result schema.
 */
export const runStage = async (
  workspace: string,
  blueprintId: string,
  bindings: Record<string, unknown>,
  o: { dryRun?: boolean; artifacts?: ArtifactStore } = {},
): Promise<StageRun> => {
  const c = hxoCatalog();
  const bp = c.blueprints.find(blueprintId);
  if (!bp) throw new Error(`no blueprint ${blueprintId}`);
  const { plan } = compileBlueprint(c, bp, bindings);
  const step = plan.steps[0];
  if (!step?.partition) throw new Error('not a partition plan');
  const artifacts = o.artifacts ?? createInMemoryArtifactStore();
  const shards = await partitionerOf(
    c,
    step.partition.partitioner,
  )(context(workspace, { with: step.partition.with, artifacts }));
  const kind = resolveJobKind(c.jobKinds, plan.kind as string);
  const schema = c.schemas.get(step.outputSchema as string);
  const outputs: JsonObject[] = [];
  for (const shard of shards) {
    kind.input?.parse(shard.input);
    const result = await executorOf(
      c,
      step.executor,
    )(
      context(workspace, {
        with: step.with,
        input: shard.input,
        dryRun: o.dryRun ?? false,
        artifacts,
        stepId: step.id,
      }),
    );
    schema?.parse(result.output);
    kind.output?.parse(result.output);
    outputs.push(result.output as JsonObject);
  }
  return { plan, shards, outputs, artifacts };
};
