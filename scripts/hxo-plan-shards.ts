// Plans (and with --dry-run, dry-runs) the HXO jobs of a project without the engine:
// compile -> partitioner -> each shard through its executor in dry-run mode. The project is the
// one `lily init --example hxo --dir <dir>` made (or any project whose jobs use HXO blueprints).
//   npx tsx scripts/hxo-plan-shards.ts [--dir <dir>] [--dry-run] [job-id ...]
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import hxoPack from '@lily/hxo';
import { parse } from 'yaml';
import { CommandGuard } from '../src/actors/executors/command-guard.js';
import { silentLogger } from '../src/actors/logger.js';
import { checkWorkspacePath } from '../src/actors/policy/workspace.js';
import { createBuiltinCatalog } from '../src/blueprints/builtins/index.js';
import { compileBlueprint } from '../src/blueprints/compile.js';
import { jobSpecSchema } from '../src/blueprints/jobs/spec.js';
import { installPack } from '../src/blueprints/packs.js';
import { type ExecutorFn, type PartitionerFn, StepError } from '../src/contracts/executor.js';
import type { Json } from '../src/contracts/json.js';
import { createInMemoryArtifactStore } from '../src/eventstore/in-memory-artifact-store.js';

const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const workspace = resolve(dirAt >= 0 ? (args.splice(dirAt, 2)[1] ?? '.') : '.');
const dryRun = args.includes('--dry-run');
const only = args.filter((a) => !a.startsWith('--'));
const out = (line: string) => process.stdout.write(`${line}\n`);

const catalog = createBuiltinCatalog();
installPack(catalog, { default: hxoPack }, '@lily/hxo');
const artifacts = createInMemoryArtifactStore();
// HXO executors start no programs: a policy that allows none.
const commands = new CommandGuard({ policy: { commands: [], env: { allow: [], deny: [] } }, workspace });

const context = (w: Record<string, Json>, input: Json, stepId: string) => ({
  request: {
    dispatchId: `example/${stepId}/1`,
    runId: 'example',
    jobId: stepId,
    stepId,
    attempt: 1,
    with: w,
    input,
    dryRun,
  },
  workspace,
  artifacts,
  signal: new AbortController().signal,
  log: silentLogger(),
  resolvePath: (path: string) => {
    const v = checkWorkspacePath(workspace, path, { allow: ['**'], deny: ['.git/**'] });
    if (!v.ok) throw new StepError('job_policy_denied', v.reason, { path }, { retryable: false });
    return v.absolute;
  },
  prepareCommand: (argv: readonly string[], env: Readonly<Record<string, string>>, cwd: string) =>
    commands.prepare({ argv, env, cwd }, silentLogger()),
});

const dir = join(workspace, '.lily', 'jobs');
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.job.yaml')).sort()) {
  const spec = jobSpecSchema.parse(parse(await readFile(join(dir, file), 'utf8')));
  if (only.length > 0 && !only.includes(spec.id)) continue;
  const bp = catalog.blueprints.find(spec.target.id, spec.target.version);
  if (!bp) throw new Error(`${file}: no blueprint ${spec.target.id}`);
  const { plan, planHash } = compileBlueprint(catalog, bp, spec.bindings);
  const step = plan.steps[0];
  if (!step?.partition) continue;
  const partitioner = catalog.partitioners.get(step.partition.partitioner)?.run as PartitionerFn;
  const shards = await partitioner(context(step.partition.with, {}, spec.id));
  out(
    `${spec.id}  ${plan.kind}  ${step.partition.partitioner} -> ${step.executor}  plan ${planHash.slice(0, 12)}`,
  );
  out(
    `  ${shards.length} shard(s), timeout ${step.timeoutMs} ms each, concurrency ${step.partition.concurrency}`,
  );
  for (const shard of shards) {
    out(
      `  ${shard.key.padEnd(22)} ${JSON.stringify({ ...(shard.input as object), files_sha256: undefined })}`,
    );
    if (!dryRun) continue;
    const executor = catalog.executors.get(step.executor)?.run as ExecutorFn;
    const { output } = await executor(context(step.with, shard.input, spec.id));
    out(`  ${''.padEnd(22)} => ${JSON.stringify(output)}`);
  }
}
