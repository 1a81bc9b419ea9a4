import { mkdtempSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fsJobSource } from '../../../src/project/fs-job-source.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('fsJobSource', () => {
  it('reads the file as it is now: edits of the same size, rewrites and removals are seen at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lily-jobs-'));
    dirs.push(dir);
    const file = join(dir, 'a.job.yaml');
    const source = fsJobSource(dir);
    writeFileSync(file, 'id: a # one\n');
    expect((await source.read('a')).text).toBe('id: a # one\n');
    expect((await source.read('a')).text).toBe('id: a # one\n');
    writeFileSync(file, 'id: a # two\n'); // same size, in place
    expect((await source.read('a')).text).toBe('id: a # two\n');
    writeFileSync(`${file}.tmp`, 'id: a # three, longer\n');
    renameSync(`${file}.tmp`, file); // replaced by another file
    expect((await source.read('a')).text).toBe('id: a # three, longer\n');
    unlinkSync(file);
    await expect(source.read('a')).rejects.toMatchObject({ code: 'job_not_found' });
    writeFileSync(file, 'id: a # back\n');
    expect((await source.read('a')).text).toBe('id: a # back\n');
  });

  it('takes a settled file as unchanged while its size and times stay, and reads it again once they move', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lily-jobs-'));
    dirs.push(dir);
    const file = join(dir, 'b.job.yaml');
    const source = fsJobSource(dir);
    const old = new Date(Date.now() - 60_000);
    writeFileSync(file, 'id: b # one\n');
    utimesSync(file, old, old);
    expect((await source.read('b')).text).toBe('id: b # one\n');
    // Edited with the same size: its ctime moves (utimes cannot set it back), so it is read again.
    writeFileSync(file, 'id: b # two\n');
    expect((await source.read('b')).text).toBe('id: b # two\n');
  });
});
