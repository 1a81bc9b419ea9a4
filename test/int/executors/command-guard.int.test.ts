/**
 * The worker's check of a command right before it starts (CommandGuard) and the `command`
 * executor that starts what it prepared, on the real file system with real processes.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandExecutor } from '../../../src/actors/executors/builtin-executors.js';
import { CommandGuard, type CommandPolicy } from '../../../src/actors/executors/command-guard.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { checkWorkspacePath } from '../../../src/actors/policy/workspace.js';
import type { ExecutionContext } from '../../../src/contracts/executor.js';
import { isStepError, StepError } from '../../../src/contracts/executor.js';
import type { Json } from '../../../src/contracts/json.js';
import { createInMemoryArtifactStore } from '../../../src/eventstore/in-memory-artifact-store.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lily-guard-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const effect = join(dir, 'effect');
const impostor = `#!/bin/sh\necho pwned > '${effect}'\n`;
mkdirSync(join(dir, 'bin'));
mkdirSync(join(dir, 'x'));
for (const file of ['bin/echo', 'x/echo']) {
  writeFileSync(join(dir, file), impostor);
  chmodSync(join(dir, file), 0o755);
}
const systemEcho = realpathSync(
  (process.env.PATH ?? '')
    .split(':')
    .map((d) => join(d, 'echo'))
    .find((p) => existsSync(p)) as string,
);
// A symlink named echo to the real echo is echo; one named echo to node is not.
mkdirSync(join(dir, 'links'));
symlinkSync(systemEcho, join(dir, 'links', 'echo'));
mkdirSync(join(dir, 'fake'));
symlinkSync(process.execPath, join(dir, 'fake', 'echo'));

const policy = (over: Partial<CommandPolicy> = {}): CommandPolicy => ({
  commands: ['node', 'echo'],
  env: { allow: ['*'], deny: [] },
  ...over,
});

const workerEnv = {
  PATH: process.env.PATH,
  HOME: '/home/op',
  NODE_OPTIONS: '--require /tmp/evil.js',
  SECRET: 's',
};

const context = (guard: CommandGuard, w: Record<string, Json>, dryRun = false): ExecutionContext => {
  const log = memoryLogger();
  return {
    request: {
      dispatchId: 'r/s/1',
      runId: 'r',
      jobId: 'j',
      stepId: 's',
      attempt: 1,
      with: w,
      input: null,
      dryRun,
    },
    workspace: dir,
    artifacts: createInMemoryArtifactStore(),
    signal: new AbortController().signal,
    log,
    resolvePath: (path) => {
      const v = checkWorkspacePath(dir, path, { allow: ['**'], deny: [] });
      if (!v.ok) throw new StepError('job_policy_denied', v.reason, { path }, { retryable: false });
      return v.absolute;
    },
    prepareCommand: (argv, env, cwd) => guard.prepare({ argv, env, cwd }, log),
  };
};

const refusal = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch (e) {
    if (isStepError(e)) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('CommandGuard + the command executor', () => {
  it('starts the real file it resolved on the policy path, under the name argv[0] gave', async () => {
    const guard = new CommandGuard({ policy: policy(), workspace: dir, env: workerEnv });
    const prepared = guard.prepare({ argv: ['node', '-v'], env: {}, cwd: dir }, memoryLogger());
    expect(prepared.file).toBe(realpathSync(process.execPath));
    const { output } = await commandExecutor(
      context(guard, { argv: ['node', '-e', 'process.stdout.write(process.argv0)'] }),
    );
    expect(output).toMatchObject({ exitCode: 0, stdout: 'node' });
  });

  it('refuses ./x/echo and a symlink named echo to another program; runs a symlink named echo to echo', async () => {
    const guard = new CommandGuard({ policy: policy(), workspace: dir, env: workerEnv });
    for (const argv0 of ['./x/echo', join(dir, 'x', 'echo'), './fake/echo']) {
      const e = await refusal(() => commandExecutor(context(guard, { argv: [argv0, 'hi'] })));
      expect([argv0, e.code, e.data.rule, e.retryable]).toEqual([
        argv0,
        'job_policy_denied',
        'commands',
        false,
      ]);
    }
    const { output } = await commandExecutor(context(guard, { argv: ['./links/echo', 'hi'] }));
    expect(output).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    expect(existsSync(effect)).toBe(false);
  });

  it("looks echo up on the policy's path even when the step may set PATH: ./bin/echo never runs", async () => {
    const guard = new CommandGuard({
      policy: policy({ env: { allow: ['*', 'PATH'], deny: [] } }),
      workspace: dir,
      env: workerEnv,
    });
    const { output } = await commandExecutor(
      context(guard, { argv: ['echo', 'hi'], env: { PATH: './bin' } }),
    );
    expect(output).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    expect(existsSync(effect)).toBe(false);
    // A policy path with the impostor's directory first is the operator's choice, and is used.
    const theirs = new CommandGuard({
      policy: policy({ commands: ['*'], path: ['bin'] }),
      workspace: dir,
      env: workerEnv,
    });
    expect(theirs.prepare({ argv: ['echo'], env: {}, cwd: dir }, memoryLogger()).file).toBe(
      join(dir, 'bin', 'echo'),
    );
  });

  it('refuses PATH, LD_PRELOAD and NODE_OPTIONS from the step by default, logging a warn naming the rule', async () => {
    const guard = new CommandGuard({ policy: policy(), workspace: dir, env: workerEnv });
    for (const name of ['PATH', 'LD_PRELOAD', 'NODE_OPTIONS']) {
      const log = memoryLogger();
      const ctx = { ...context(guard, { argv: ['echo', 'hi'], env: { [name]: './x' } }) };
      ctx.prepareCommand = (argv, env, cwd) => guard.prepare({ argv, env, cwd }, log);
      const e = await refusal(() => commandExecutor(ctx));
      expect([e.code, e.data.rule]).toEqual(['job_policy_denied', 'env']);
      expect(e.message).toContain(`sets ${name}, which changes`);
      expect(log.entries).toContainEqual(
        expect.objectContaining({ level: 'warn', event: 'dispatch.refused', rule: 'env' }),
      );
    }
  });

  it("gives a command the worker's allowlisted variables, PATH from the policy, and nothing that changes what loads", async () => {
    const guard = new CommandGuard({
      policy: policy({ path: ['/usr/bin', '/bin'] }),
      workspace: dir,
      env: workerEnv,
    });
    const { output } = await commandExecutor(
      context(guard, {
        argv: [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))'],
        env: { MINE: '1' },
        jsonOutput: true,
      }),
    );
    const env = (output as { json: Record<string, string> }).json;
    expect(env).toMatchObject({ PATH: '/usr/bin:/bin', HOME: '/home/op', MINE: '1', LILY_RUN_ID: 'r' });
    expect(env.NODE_OPTIONS).toBeUndefined();
    expect(env.SECRET).toBeUndefined();
  });

  it('a dry run checks the command the same way and reports the file it would start, running nothing', async () => {
    const guard = new CommandGuard({ policy: policy(), workspace: dir, env: workerEnv });
    const { output } = await commandExecutor(context(guard, { argv: ['echo', 'hi'] }, true));
    expect(output).toMatchObject({ dryRun: true, argv: ['echo', 'hi'], program: systemEcho });
    const e = await refusal(() => commandExecutor(context(guard, { argv: ['./x/echo'] }, true)));
    expect(e.code).toBe('job_policy_denied');
    expect(existsSync(effect)).toBe(false);
  });

  it('follows a reloaded policy, and says when "*" allows a program that is not there', async () => {
    const guard = new CommandGuard({ policy: policy({ commands: [] }), workspace: dir, env: workerEnv });
    expect(() => guard.prepare({ argv: ['echo'], env: {}, cwd: dir }, memoryLogger())).toThrow(
      /not in the command allowlist/,
    );
    guard.setPolicy(policy({ commands: ['*'] }));
    expect(guard.prepare({ argv: ['echo'], env: {}, cwd: dir }, memoryLogger()).file).toBe(systemEcho);
    const missing = await refusal(async () =>
      guard.prepare({ argv: ['no-such-program-lily'], env: {}, cwd: dir }, memoryLogger()),
    );
    expect([missing.code, missing.retryable]).toEqual(['blueprint_execution_failed', false]);
  });
});
