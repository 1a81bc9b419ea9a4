import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkWorkspacePath } from '../../../src/actors/policy/workspace.js';
import {
  loadLocalSealPublicKey,
  loadOrCreateEngineKeys,
  REPLY_SECRET_FILE,
  SEAL_KEY_FILE,
  SEAL_PUBLIC_FILE,
} from '../../../src/actors/trust/engine-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'lily-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engine keys', () => {
  it('are made once (0600 in a 0700 directory) and kept; a second process reads the same keys', async () => {
    const keysDir = join(dir, 'keys');
    const [a, b] = await Promise.all([loadOrCreateEngineKeys(keysDir), loadOrCreateEngineKeys(keysDir)]);
    expect(a.sealPublicKey).toBe(b.sealPublicKey);
    expect(a.replySecret.equals(b.replySecret)).toBe(true);
    expect(statSync(keysDir).mode & 0o777).toBe(0o700);
    for (const f of [SEAL_KEY_FILE, SEAL_PUBLIC_FILE, REPLY_SECRET_FILE]) {
      expect(statSync(join(keysDir, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(readFileSync(join(keysDir, SEAL_PUBLIC_FILE), 'utf8').trim()).toBe(a.sealPublicKey);
    expect(await loadLocalSealPublicKey(keysDir)).toBe(a.sealPublicKey);
    const again = await loadOrCreateEngineKeys(keysDir);
    expect(again.sealPublicKey).toBe(a.sealPublicKey);
  });

  it('a key file that holds no key is config_invalid, never replaced', async () => {
    const keysDir = join(dir, 'bad-keys');
    mkdirSync(keysDir, { mode: 0o700 });
    writeFileSync(join(keysDir, SEAL_KEY_FILE), 'not a key', { mode: 0o600 });
    await expect(loadOrCreateEngineKeys(keysDir)).rejects.toMatchObject({ code: 'config_invalid' });
    expect(readFileSync(join(keysDir, SEAL_KEY_FILE), 'utf8')).toBe('not a key');
  });
});

describe('workspace paths', () => {
  const root = join(dir, 'ws');
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(dir, 'outside'), { recursive: true });
  writeFileSync(join(dir, 'outside', 'secret'), 'x');
  symlinkSync(join(dir, 'outside'), join(root, 'src', 'escape'));
  const rules = { allow: ['src/**', 'build/**'], deny: ['src/private/**'] };

  it('allows paths under an allow glob, including ones not created yet', () => {
    expect(checkWorkspacePath(root, 'src/a.ts', rules)).toMatchObject({ ok: true, relative: 'src/a.ts' });
    expect(checkWorkspacePath(root, 'build/out/x.js', rules)).toMatchObject({ ok: true });
  });

  it('refuses .., absolute paths outside, symlink escapes and NUL', () => {
    for (const p of [
      '../outside/secret',
      'src/../../outside/secret',
      join(dir, 'outside', 'secret'),
      'src/escape/secret',
      'src/a\0b',
    ]) {
      expect(checkWorkspacePath(root, p, rules).ok, p).toBe(false);
    }
  });

  it('lets deny win over allow and refuses what no rule allows', () => {
    expect(checkWorkspacePath(root, 'src/private/key', rules)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/deny/),
    });
    expect(checkWorkspacePath(root, 'docs/x.md', rules)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no allow/),
    });
    expect(checkWorkspacePath(root, '.', { allow: ['**'], deny: [] }).ok).toBe(true);
    expect(checkWorkspacePath(root, '.', rules).ok).toBe(false);
    expect(checkWorkspacePath(root, 'docs/x.md', { allow: ['*'], deny: [] }).ok).toBe(true);
  });
});
