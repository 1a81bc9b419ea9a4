/**
 * The bad-input corpus through the loaders, called directly: job specs (parseJobSpec with the
 * project's cron check), bindings (resolveJob against the built-in catalog), config, policy
 * and run inputs (the scheduler's run.request schema and prepareRun). Each must fail with its
 * manifest code, as a LilyError whose JSON has no stack frame in it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { schedMessageSchema } from '../../../src/actors/messages.js';
import { prepareRun } from '../../../src/actors/scheduler/prepare-run.js';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { parseJobSpec } from '../../../src/blueprints/jobs/parse.js';
import { JobRepository, memoryJobSource } from '../../../src/blueprints/jobs/repository.js';
import { resolveJob } from '../../../src/blueprints/jobs/resolve.js';
import { isLilyError, type LilyError } from '../../../src/contracts/errors.js';
import { parseRunId } from '../../../src/contracts/ids.js';
import type { JsonObject } from '../../../src/contracts/json.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { parseConfig } from '../../../src/project/config.js';
import { cronCheck } from '../../../src/project/cron-check.js';
import { openProject } from '../../../src/project/open.js';
import { parsePolicy } from '../../../src/project/policy.js';
import {
  type BadCase,
  caseFileName,
  casesOf,
  caseText,
  corpusFiles,
  deepBlockJobText,
  hugeJobText,
  loadManifest,
} from './manifest.js';

const STACK = /\n\s+at .+[:(]/;
const BAD_INPUT_RUN = parseRunId('01JBAD0NPVT000000000000000');

/** Runs `fn`, which must throw; returns the LilyError after checking it is a clean one. */
const failure = async (c: Pick<BadCase, 'id' | 'code'>, fn: () => unknown): Promise<LilyError> => {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${c.id}: did not throw`).toBeDefined();
  expect(isLilyError(thrown), `${c.id}: threw ${String(thrown)}`).toBe(true);
  const error = thrown as LilyError;
  expect(error.code, `${c.id}: ${error.message}`).toBe(c.code);
  const json = JSON.stringify(error.toJSON());
  expect(json).not.toMatch(STACK);
  expect(error.message.length).toBeLessThan(2_000);
  return error;
};

const issueCodes = (e: LilyError): string[] =>
  ((e.data.issues as { code?: string }[] | undefined) ?? []).map((i) => i.code ?? '');

const tmp = mkdtempSync(join(tmpdir(), 'lily-bad-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the corpus', () => {
  it('has a manifest entry for every file and a file for every entry', () => {
    const cases = loadManifest();
    const listed = new Set(cases.flatMap((c) => (c.file ? [c.file] : [])));
    expect(corpusFiles().filter((f) => !listed.has(f))).toEqual([]);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const f of listed) expect(corpusFiles()).toContain(f);
  });
});

describe('job specs: parseJobSpec', () => {
  it.each(casesOf('job').map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const error = await failure(c, () =>
      parseJobSpec(caseText(c), { file: `/p/.lily/jobs/${caseFileName(c)}`, checks: [cronCheck] }),
    );
    expect(error.data.file).toBe(`/p/.lily/jobs/${caseFileName(c)}`);
    if (c.issue) expect(issueCodes(error)).toContain(c.issue);
  });

  it('refuses a generated spec over 1 MB before parsing it', async () => {
    const text = hugeJobText('huge');
    expect(text.length).toBeGreaterThan(1_000_000);
    const error = await failure({ id: 'huge', code: 'job_invalid_spec' }, () =>
      parseJobSpec(text, { file: 'huge.job.yaml' }),
    );
    expect(issueCodes(error)).toEqual(['too_big']);
  });

  it('refuses (or parses) deeply nested block mappings without a stack overflow escaping', async () => {
    for (const depth of [200, 2_000]) {
      try {
        parseJobSpec(deepBlockJobText('deep', depth), { file: 'deep.job.yaml' });
      } catch (e) {
        expect(isLilyError(e), String(e)).toBe(true);
        expect((e as LilyError).code).toBe('job_invalid_spec');
      }
    }
  });

  it('does not pollute Object.prototype through __proto__ keys', () => {
    const c = casesOf('job').find((x) => x.id === 'job/proto-key') as BadCase;
    expect(() => parseJobSpec(caseText(c), { file: 'proto-key.job.yaml' })).toThrow();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('bindings: resolveJob on the built-in catalog', () => {
  const catalog = createBuiltinCatalog();
  it.each(casesOf('bindings').map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const file = `/p/.lily/jobs/${caseFileName(c)}`;
    const { spec, locate } = parseJobSpec(caseText(c), { file });
    const error = await failure(c, () => resolveJob(catalog, spec, { locate, file }));
    if (c.code === 'job_bindings_invalid') {
      const issues = error.data.issues as { path: string; line?: number }[];
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.every((i) => i.path.startsWith('bindings'))).toBe(true);
    }
  });
});

describe('config: parseConfig, and openProject for packs', () => {
  it.each(casesOf('config').map((c) => [c.id, c] as const))('%s', async (_, c) => {
    if (c.code === 'pack_invalid') {
      const dir = join(tmp, c.id.replace(/\W/g, '_'));
      mkdirSync(join(dir, '.lily'), { recursive: true });
      writeFileSync(join(dir, '.lily/config.yaml'), caseText(c));
      await failure(c, () => openProject(dir));
      return;
    }
    await failure(c, () => parseConfig(caseText(c), '/p/.lily/config.yaml'));
  });
});

describe('policy: parsePolicy', () => {
  it.each(casesOf('policy').map((c) => [c.id, c] as const))('%s', async (_, c) => {
    await failure(c, () => parsePolicy(caseText(c), '/p/.lily/policy.yaml'));
  });
});

describe('run inputs: the run.request schema and prepareRun', () => {
  const job = 'id: demo\ntitle: t\ntarget: {kind: blueprint, id: command.v1}\nbindings: {run: [echo]}\n';
  const deps = {
    jobs: new JobRepository(memoryJobSource({ demo: job })),
    catalog: createBuiltinCatalog(),
    store: createInMemoryEventStore(),
    defaultPrincipal: 'operator',
    kernelVersion: '0.0.0',
    env: {},
  };

  it.each(casesOf('input').map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const input = JSON.parse(caseText(c)) as unknown;
    const message = schedMessageSchema.safeParse({ type: 'run.request', jobId: 'demo', input });
    expect(message.success).toBe(false);
    await failure(c, () =>
      prepareRun(deps, BAD_INPUT_RUN, {
        jobId: 'demo',
        input: input as JsonObject,
        trigger: { kind: 'manual' },
      }),
    );
  });

  it('accepts a valid input (the harness itself works)', async () => {
    const prepared = await prepareRun(deps, BAD_INPUT_RUN, {
      jobId: 'demo',
      input: { a: 1 },
      trigger: { kind: 'manual' },
    });
    expect(prepared.started.input).toEqual({ a: 1 });
  });
});
