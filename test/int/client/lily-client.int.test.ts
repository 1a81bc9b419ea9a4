/**
 * LilyClient as a library: a script in a subdirectory of a project runs jobs on an engine the
 * client starts in its own process (managed nats-server, real LMDB), follows them from the
 * log, answers approvals, cancels, forks, and reads runs back; nothing is left running.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipWithApproval } from '../../../examples/client/ship-with-approval.js';
import { LilyClient } from '../../../src/client/index.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { tempProject } from '../../helpers/lily-project.js';

let project: Awaited<ReturnType<typeof tempProject>>;
let subdir: string;

beforeAll(async () => {
  project = await tempProject('lily-client-');
  subdir = join(project.dir, 'scripts', 'nightly');
  mkdirSync(subdir, { recursive: true });
  project.job(
    'ship',
    'id: ship\ntitle: ships after a human says so\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 60000 }\nbindings:\n  steps:\n    - { id: ship, run: [echo, shipped] }\n',
  );
  project.job(
    'slow',
    'id: slow\ntitle: slow\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 60000 }\nbindings:\n  steps:\n    - { id: wait, run: [node, -e, "setTimeout(() => {}, 3000)"], timeout_ms: 60000 }\n',
  );
  const policy = join(project.dir, '.lily', 'policy.yaml');
  writeFileSync(
    policy,
    readFileSync(policy, 'utf8').replace(
      /^approvals: \[\]$/m,
      'approvals:\n  - { job: ship, step: ship, reason: "a human ships" }',
    ),
  );
});

afterAll(() => project?.remove());

const nothingRunning = () => {
  expect(existsSync(join(project.dir, '.lily', 'nats', 'state.json'))).toBe(false);
};

describe('LilyClient', () => {
  it('reads a fresh project without creating its database', async () => {
    const client = await LilyClient.open({ cwd: subdir });
    try {
      expect(client.location).toMatchObject({ dir: project.dir, found: true, explicit: false });
      expect(await client.runs.list()).toEqual({ runs: [], total: 0 });
      expect(await client.approvals.list()).toEqual([]);
      await expect(client.runs.get('01HZX3K7Q9V5T2M8N4P6R0S1W3').describe()).rejects.toMatchObject({
        code: 'run_not_found',
      });
      expect(existsSync(join(project.dir, '.lily', 'db'))).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('the docs example: submit, follow from the log, grant the approval, result', async () => {
    const lines: string[] = [];
    const result = await shipWithApproval(subdir, 'ship', (l) => lines.push(l));
    expect(result).toMatchObject({ jobId: 'ship', status: 'succeeded', engine: 'ephemeral' });
    expect(result.receipt.approvals).toEqual([
      expect.objectContaining({
        status: 'granted',
        by: 'release-bot',
        comment: 'approved by the release script',
      }),
    ]);
    expect(result.receipt.input).toEqual({ reason: 'nightly' });
    const seqs = lines.filter((l) => /^\d+ /.test(l)).map((l) => Number(l.split(' ')[0]));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(lines.at(-1)).toMatch(/ run\.completed$/);
    expect(result.receiptDir.startsWith(join(project.dir, '.lily', 'runs', 'ship'))).toBe(true);
    expect(existsSync(join(result.receiptDir, 'run_receipt.json'))).toBe(true);
    nothingRunning();
  }, 60_000);

  it('reads a finished run back: list, describe, events, receipt, replay --verify; forks it from a step', async () => {
    const client = await LilyClient.open({ cwd: subdir });
    try {
      const { runs } = await client.runs.list({ jobId: 'ship' });
      const runId = runs[0]?.runId as string;
      const handle = client.runs.get(runId);
      const events = await handle.events();
      expect(events.at(-1)?.type).toBe('run.completed');
      expect((await handle.describe()).steps).toEqual({ ok: 1, total: 1 });
      expect((await handle.receipt()).receipt.status).toBe('succeeded');
      expect(await handle.replay({ verify: true })).toMatchObject({ verified: true, status: 'succeeded' });
      const followed: StoredEvent[] = [];
      for await (const e of handle.follow()) followed.push(e);
      expect(followed).toEqual(events);
      // A fork that reuses nothing before `ship`: it runs ship again, which asks a human again.
      const child = await handle.rerun({ fromStep: 'ship' });
      expect(child.engine).toBe('ephemeral');
      const result = await child.result({
        onEvent: (e) => {
          if (e.type === 'approval.requested') {
            void client.approvals.deny((e.data as { approvalId: string }).approvalId, {
              reason: 'not twice',
            });
          }
        },
      });
      expect(result.status).toBe('failed');
      expect(result.receipt.parent).toMatchObject({ runId, fromStep: 'ship' });
      expect(result.error?.data).toMatchObject({ runId: result.runId });
    } finally {
      await client.close();
    }
    nothingRunning();
  }, 60_000);

  it('cancels a running run: the run ends cancelled', async () => {
    const client = await LilyClient.open({ dir: project.dir });
    try {
      const run = await client.runs.submit('slow');
      for await (const e of run.follow()) {
        if (e.type === 'step.started') {
          expect(await run.cancel({ reason: 'not today', by: 'ops' })).toMatchObject({
            runId: run.runId,
            jobId: 'slow',
            by: 'ops',
            cancelRequested: true,
          });
        }
      }
      const result = await run.result();
      expect(result.status).toBe('cancelled');
      expect(result.receipt.cancel).toMatchObject({ by: 'ops', reason: 'not today' });
      expect(result.error).toBeUndefined();
    } finally {
      await client.close();
    }
    nothingRunning();
  }, 60_000);

  it('without an engine and with ephemeral engines off, submit says bus_unavailable; cancelling a finished run says so without one', async () => {
    const client = await LilyClient.open({ dir: project.dir, ephemeral: false });
    try {
      await expect(client.runs.submit('ship')).rejects.toMatchObject({
        code: 'bus_unavailable',
        data: { hint: 'lily up' },
      });
      const { runs } = await client.runs.list({ jobId: 'ship', limit: 1 });
      await expect(client.runs.get(runs[0]?.runId as string).cancel()).rejects.toMatchObject({
        code: 'run_already_finished',
        data: { status: runs[0]?.status },
      });
      await expect(client.runs.list({ limit: 0 })).rejects.toMatchObject({ code: 'usage_invalid' });
    } finally {
      await client.close();
    }
  });

  it('outside a project: project operations say project_not_initialized, blueprints still work', async () => {
    const client = await LilyClient.open({ cwd: '/' });
    try {
      expect(client.location.found).toBe(false);
      await expect(client.jobs.list()).rejects.toMatchObject({ code: 'project_not_initialized' });
      await expect(client.runs.list()).rejects.toMatchObject({ code: 'project_not_initialized' });
      const { blueprints } = await client.blueprints.list();
      expect(blueprints.map((b) => b.id)).toContain('pipeline.v1');
    } finally {
      await client.close();
    }
  });
});
