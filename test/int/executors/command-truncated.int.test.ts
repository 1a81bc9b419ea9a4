import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandExecutor } from '../../../src/actors/executors/builtin-executors.js';
import { CommandGuard } from '../../../src/actors/executors/command-guard.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { createInMemoryArtifactStore } from '../../../src/eventstore/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lily-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('command executor output cap', () => {
  it('a stdout over 8 MiB is kept to 8 MiB and flagged truncated (in the output and the result)', async () => {
    const nine = 9 * 1024 * 1024;
    const result = await commandExecutor({
      request: {
        runId: '01JAAAAAAAAAAAAAAAAAAAAAAA',
        jobId: 'j',
        stepId: 'big',
        attempt: 1,
        dispatchId: '01JAAAAAAAAAAAAAAAAAAAAAAA/big/1',
        input: null,
        with: { argv: ['node', '-e', `process.stdout.write('x'.repeat(${nine}))`] },
        dryRun: false,
      } as never,
      workspace: dir,
      artifacts: createInMemoryArtifactStore(),
      signal: new AbortController().signal,
      log: memoryLogger(),
      resolvePath: (p) => join(dir, p),
      prepareCommand: (argv, env, cwd) =>
        new CommandGuard({
          policy: { commands: ['node'], env: { allow: [], deny: [] } },
          workspace: dir,
        }).prepare({ argv, env, cwd }, memoryLogger()),
    });
    expect(result.truncated).toEqual(['stdout']);
    expect(result.output).toMatchObject({ truncated: ['stdout'], stdoutBytes: nine, stderrBytes: 0 });
    expect(result.artifacts.find((a) => a.name.endsWith('stdout'))?.size).toBe(8 * 1024 * 1024);
  });
});
