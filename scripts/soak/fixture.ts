/**
 * The soak project: a fresh `lily init` project with a permissive policy, a local pack (one
 * blueprint with a partitioned step on the built-in `list` partitioner), a tiny effect script
 * and a mix of jobs: succeeding, failing, retrying, gated, partitioned, non-idempotent, council.
 *
 * Every command step runs `node soak-effect.cjs <tag> <mode> <i|n>`, which appends one line
 * `<runId>/<stepId>/<attempt>[/<shard or gate:id>] <i|n> <parent pid>` to `effects.log`, so a
 * dispatch that runs twice shows up as a repeated key.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initProject } from '../../src/project/init.js';

export const EFFECTS_FILE = 'effects.log';

const EFFECT_SCRIPT = `// Written by scripts/soak.ts: records one dispatch, then behaves as asked.
const fs = require('node:fs');
const [tag, mode, idem] = process.argv.slice(2);
const e = process.env;
let key = [e.LILY_RUN_ID, e.LILY_STEP_ID, e.LILY_ATTEMPT].join('/');
if (tag === 'shard') key += '/' + JSON.parse(e.LILY_INPUT || 'null').k;
else if (tag !== 'step') key += '/' + tag;
fs.appendFileSync(${JSON.stringify(EFFECTS_FILE)}, key + ' ' + idem + ' ' + process.ppid + '\\n');
if (mode === 'fail') process.exit(1);
if (mode === 'flaky' && Number(e.LILY_ATTEMPT) < 2) process.exit(1);
if (mode === 'json') console.log(JSON.stringify({ vote: e.LILY_STEP_ID }));
`;

const POLICY = `default_principal: operator
principals:
  operator: { capabilities: ["lily:non-idempotent"] }
  scheduler: { capabilities: [] }
executors: [command, echo]
commands: [node, echo]
workspace: { allow: ["**"], deny: [".lily/db/**", ".lily/nats/**"] }
caps: { timeout_ms: 3600000, max_attempts: 5, concurrency: 10000 }
approvals: []
require_dry_run: []
`;

const CONFIG = `namespace: default
nats:
  managed: true
workers: 2
packs: ["./soak-pack.mjs"]
retention:
  keep_last: 1000000
log_level: info
`;

/** The pack: `soak.partitioned` fans a command step out over `shards` list items. */
const packSource = (zodUrl: string) => `import { z } from ${JSON.stringify(zodUrl)};
const bindings = z.strictObject({ shards: z.number().int().min(1).max(16), flaky: z.boolean().default(false) });
export default {
  name: 'soak',
  version: '1.0.0',
  blueprints: [{
    id: 'soak.partitioned',
    version: '1.0.0',
    summary: 'A partitioned command step (built-in list partitioner), then an echo step reading all shards.',
    bindings,
    input: z.record(z.string(), z.unknown()),
    output: z.record(z.string(), z.unknown()),
    compile: (b) => ({
      steps: [
        {
          id: 'split',
          executor: 'command',
          with: { argv: ['node', 'soak-effect.cjs', 'shard', b.flaky ? 'flaky' : 'ok', 'i'] },
          sideEffects: 'external',
          timeoutMs: 15000,
          retry: { maxAttempts: 3, backoff: { initialMs: 100 } },
          partition: {
            partitioner: 'list',
            with: { items: Array.from({ length: b.shards }, (_, i) => ({ k: 's' + i })), keyField: 'k' },
            concurrency: 2,
            mode: 'fail_fast',
          },
        },
        { id: 'join', executor: 'echo', needs: ['split'], input: { split: { from: 'step', step: 'split' } } },
      ],
      output: { join: { from: 'step', step: 'join' } },
    }),
  }],
};
`;

const effect = (tag: string, mode: string, idem: 'i' | 'n' = 'i') =>
  `[node, soak-effect.cjs, "${tag}", ${mode}, ${idem}]`;
const T = 'timeout_ms: 15000';

const pipeline = (id: string, title: string, steps: string[]) => `id: ${id}
title: ${title}
target: { kind: blueprint, id: pipeline.v1 }
runtime: { concurrency: 256, timeout_ms: 600000 }
bindings:
  steps:
${steps.map((s) => `    - ${s}`).join('\n')}
`;

/** Job id -> spec text. */
export const JOBS: Record<string, string> = {
  echo3: pipeline('echo3', 'in-process steps and an echo command', [
    '{ id: a, executor: echo, with: { value: { a: 1 } } }',
    '{ id: b, executor: echo, with: { value: { b: 2 } } }',
    `{ id: c, run: [echo, done], ${T} }`,
  ]),
  effect: pipeline('effect', 'one effect, then echo', [
    `{ id: a, run: ${effect('step', 'ok')}, ${T} }`,
    '{ id: b, executor: echo, with: { value: { b: 2 } } }',
  ]),
  failing: pipeline('failing', 'a step that exits 1', [
    '{ id: a, executor: echo, with: { value: { a: 1 } } }',
    `{ id: boom, run: ${effect('step', 'fail')}, ${T} }`,
    '{ id: never, executor: echo }',
  ]),
  retrying: pipeline('retrying', 'fails on attempt 1, succeeds on attempt 2', [
    `{ id: flaky, run: ${effect('step', 'flaky')}, retries: 3, backoff_ms: 100, ${T} }`,
    '{ id: after, executor: echo }',
  ]),
  gated: pipeline('gated', 'a step with a required gate (passes) and an optional gate (fails)', [
    `{ id: build, run: ${effect('step', 'ok')}, ${T}, gates: [{ id: check, run: ${effect('gate:check', 'ok')}, ${T} }, { id: lint, required: false, run: ${effect('gate:lint', 'fail')}, ${T} }] }`,
    '{ id: after, executor: echo }',
  ]),
  blocked: pipeline('blocked', 'a required gate that fails', [
    `{ id: build, run: ${effect('step', 'ok')}, ${T}, gates: [{ id: check, run: ${effect('gate:check', 'fail')}, ${T} }] }`,
    '{ id: never, executor: echo }',
  ]),
  nonidem: pipeline('nonidem', 'a non-idempotent step', [
    `{ id: charge, run: ${effect('step', 'ok', 'n')}, idempotent: false, ${T} }`,
    '{ id: after, executor: echo }',
  ]),
  partitioned: `id: partitioned
title: three shards, one of each flaky
target: { kind: blueprint, id: soak.partitioned }
runtime: { concurrency: 256, timeout_ms: 600000 }
bindings: { shards: 3, flaky: true }
`,
  council: `id: council
title: two members and a synthesis
target: { kind: blueprint, id: council.v1 }
runtime: { concurrency: 256, timeout_ms: 600000 }
bindings:
  members:
    - { id: m1, run: ${effect('step', 'json')}, ${T} }
    - { id: m2, run: ${effect('step', 'json')}, ${T} }
  synthesis: { run: ${effect('step', 'json')}, ${T} }
`,
};

/** How often each job is picked (relative weights). */
export const JOB_WEIGHTS: Record<string, number> = {
  echo3: 6,
  effect: 3,
  failing: 1,
  retrying: 1,
  gated: 1,
  blocked: 1,
  nonidem: 1,
  partitioned: 1,
  council: 1,
};

/**
 * Writes the soak project into `dir` (which must exist and be empty): `lily init`, then the
 * config (packs, retention), policy, pack, effect script and jobs. `zodUrl` is the module URL
 * of the zod that Lily loads, so the pack's schemas are instances of the same classes.
 */
export const writeSoakProject = async (dir: string, zodUrl: string): Promise<void> => {
  await initProject(dir, {});
  const lily = join(dir, '.lily');
  writeFileSync(join(lily, 'config.yaml'), CONFIG);
  writeFileSync(join(lily, 'policy.yaml'), POLICY);
  writeFileSync(join(dir, 'soak-pack.mjs'), packSource(zodUrl));
  writeFileSync(join(dir, 'soak-effect.cjs'), EFFECT_SCRIPT);
  for (const [id, text] of Object.entries(JOBS)) writeFileSync(join(lily, 'jobs', `${id}.job.yaml`), text);
};
