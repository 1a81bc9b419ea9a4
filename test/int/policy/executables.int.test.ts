import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandIdentity, programResolver } from '../../../src/actors/policy/executables.js';
import { hasErrorCode } from '../../../src/contracts/index.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lily-ident-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('commandIdentity', () => {
  it('names the real file a program resolves to on the policy path, and its content', async () => {
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\necho one\n');
    chmodSync(join(dir, 'tool'), 0o755);
    symlinkSync(join(dir, 'tool'), join(dir, 'alias'));
    const { resolve } = programResolver({ path: ['.'] }, dir);
    const first = await commandIdentity(resolve, 'alias', '.');
    expect(first).toMatchObject({
      program: 'alias',
      name: 'alias',
      path: join(dir, 'tool'),
      sha256: sha(join(dir, 'tool')),
    });
    // Rewritten in place (same inode): hashed again, not served from the cache.
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\necho two, longer\n');
    const second = await commandIdentity(resolve, './tool', '.');
    expect(second.ino).toBe(first.ino);
    expect(second.sha256).toBe(sha(join(dir, 'tool')));
    expect(second.sha256).not.toBe(first.sha256);
  });

  it('refuses what does not resolve', async () => {
    const { resolve } = programResolver({ path: [] }, dir);
    await expect(commandIdentity(resolve, 'node', '.')).rejects.toSatisfy((e) =>
      hasErrorCode(e, 'job_policy_denied'),
    );
  });
});
