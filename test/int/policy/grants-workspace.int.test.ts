import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GrantSigner, loadOrCreateGrantKey } from '../../../src/actors/policy/grants.js';
import { checkWorkspacePath } from '../../../src/actors/policy/workspace.js';
import { parseRunId } from '../../../src/contracts/ids.js';

const dir = mkdtempSync(join(tmpdir(), 'lily-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('grants', () => {
  const claims = { runId: parseRunId('01JAAAAAAAAAAAAAAAAAAAAAAA'), stepId: 's', dryRun: false };

  it('creates the key once, mode 0600, and signs grants that verify', async () => {
    const file = join(dir, 'keys', 'grant.key');
    const key = await loadOrCreateGrantKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateGrantKey(file)).equals(key)).toBe(true);
    const signer = new GrantSigner(key);
    expect(signer.check(signer.sign(claims), claims)).toBeUndefined();
  });

  it('refuses missing, forged, tampered and mismatched grants', async () => {
    const signer = new GrantSigner(await loadOrCreateGrantKey(join(dir, 'keys', 'grant.key')));
    const other = new GrantSigner(Buffer.alloc(32, 7));
    const grant = signer.sign(claims);
    expect(signer.check(undefined, claims)).toBe('no grant');
    expect(signer.check(other.sign(claims), claims)).toBe('bad signature');
    const [body, mac] = grant.split('.') as [string, string];
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, dryRun: true })).toString('base64url');
    expect(signer.check(`${forgedBody}.${mac}`, { ...claims, dryRun: true })).toBe('bad signature');
    expect(signer.check(`${body}.${mac}`, { ...claims, stepId: 't' })).toBe(
      'grant does not match the dispatch',
    );
    expect(signer.check('garbage', claims)).toBe('malformed grant');
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
