import { describe, expect, it } from 'vitest';
import { JobRepository, memoryJobSource } from '../../../src/blueprints/jobs/repository.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';

const job = (id: string, extra = '') =>
  `id: ${id}\ntitle: ${id}\ntarget: { kind: blueprint, id: command.v1 }\nbindings: { run: [echo, ${id}] }\n${extra}`;

const source = memoryJobSource(
  {
    zeta: job('zeta'),
    alpha: job('alpha'),
    broken: 'id: broken\ntitle: [\n',
    renamed: job('other'),
  },
  '/p/.lily/jobs',
);

describe('JobRepository', () => {
  it('lists ids in order', async () => {
    expect(await new JobRepository(source).list()).toEqual(['alpha', 'broken', 'renamed', 'zeta']);
  });

  it('loads one job with its file', async () => {
    const loaded = await new JobRepository(source).load('alpha');
    expect(loaded.spec.title).toBe('alpha');
    expect(loaded.file).toBe('/p/.lily/jobs/alpha.job.yaml');
    expect(loaded.locate(['bindings', 'run'])).toEqual({ line: 4, column: 18 });
  });

  it('job_not_found names the directory and the known ids', async () => {
    const error = await new JobRepository(source).load('missing').catch((e: unknown) => e);
    expect(hasErrorCode(error, 'job_not_found')).toBe(true);
    expect((error as { data: unknown }).data).toEqual({
      id: 'missing',
      dir: '/p/.lily/jobs',
      known: ['alpha', 'broken', 'renamed', 'zeta'],
    });
  });

  it('job_invalid_spec for a file whose id differs from its name', async () => {
    const error = await new JobRepository(source).load('renamed').catch((e: unknown) => e);
    expect(hasErrorCode(error, 'job_invalid_spec')).toBe(true);
  });

  it('loadAll reports every file, valid or not, without throwing', async () => {
    const results = await new JobRepository(source).loadAll();
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      ['alpha', true],
      ['broken', false],
      ['renamed', false],
      ['zeta', true],
    ]);
    const broken = results[1];
    expect(broken?.ok === false && broken.error.code).toBe('job_invalid_spec');
    expect(broken?.ok === false && broken.file).toBe('/p/.lily/jobs/broken.job.yaml');
  });

  it('applies its checks to every load', async () => {
    const repo = new JobRepository(source, {
      checks: [(spec) => (spec.id === 'zeta' ? [{ path: ['title'], message: 'no zeta' }] : [])],
    });
    const results = await repo.loadAll();
    expect(results.filter((r) => !r.ok).map((r) => r.id)).toEqual(['broken', 'renamed', 'zeta']);
  });
});
