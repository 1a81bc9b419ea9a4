/**
 * The pack of docs/blueprints.md: it ships release-check.v1 and an executor of its own. List
 * its built file in `.lily/config.yaml` (`packs: ['./dist/release-pack.js']`).
 */
import { readFile } from 'node:fs/promises';
import { definePack, type ExecutorFn, StepError } from 'lily';
import { z } from 'zod';
import { releaseCheck } from './release-check.js';

const manifestWith = z.object({ file: z.string().default('package.json') });

/** `manifest`: reads a package.json in the workspace (a path the policy allows) and returns its name and version. */
export const manifest: ExecutorFn = async (ctx) => {
  const { file } = manifestWith.parse(ctx.request.with);
  const path = ctx.resolvePath(file);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new StepError(
      'blueprint_execution_failed',
      `cannot read ${file}: ${e.code}`,
      { file },
      { retryable: false },
    );
  });
  const { name, version } = JSON.parse(text) as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || typeof version !== 'string') {
    throw new StepError(
      'blueprint_execution_failed',
      `${file} has no name or version`,
      { file },
      { retryable: false },
    );
  }
  ctx.log.info({ name, version }, 'manifest read');
  return { output: { name, version }, artifacts: [] };
};

export default definePack({
  name: 'release',
  version: '1.0.0',
  blueprints: [releaseCheck],
  executors: [
    {
      name: 'manifest',
      summary: 'Name and version of a package.json',
      sideEffects: 'read',
      with: manifestWith,
      run: manifest,
    },
  ],
  gateTemplates: [{ name: 'lint', executor: 'command', with: { argv: ['npm', 'run', 'lint'] } }],
});
