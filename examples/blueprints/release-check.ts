/**
 * The example of docs/blueprints.md: a blueprint that checks a release in three steps. This
 * folder is a small project of its own: it imports `lily` as a user's project does (resolved
 * through the package's `exports` to the build), and test/e2e/docs-examples.e2e.test.ts
 * type-checks it with its own tsconfig.json, compiles it and property-tests it.
 */
import { defineBlueprint } from 'lily';
import { z } from 'zod';

export const releaseCheck = defineBlueprint({
  id: 'release-check.v1',
  version: '1.0.0',
  summary: 'Install, then test and lint in parallel, then pack; lint is an optional gate.',
  bindings: z.strictObject({
    package_manager: z.enum(['npm', 'pnpm']).default('npm'),
    test_retries: z.number().int().min(0).max(5).default(1),
  }),
  input: z.object({ ref: z.string().default('HEAD') }),
  output: z.object({ tarball: z.unknown() }),
  compile: (b) => {
    const pm = b.package_manager;
    return {
      steps: [
        { id: 'install', executor: 'command', with: { argv: [pm, 'ci'] }, timeoutMs: 300_000 },
        {
          id: 'test',
          executor: 'command',
          with: { argv: [pm, 'test'] },
          needs: ['install'],
          retry: {
            maxAttempts: b.test_retries + 1,
            backoff: { initialMs: 1_000, factor: 2, maxMs: 10_000, jitter: 0.2 },
          },
        },
        {
          id: 'pack',
          executor: 'command',
          with: { argv: [pm, 'pack'] },
          needs: ['test'],
          input: { ref: { from: 'input', path: 'ref' } },
          gates: [{ id: 'lint', executor: 'command', with: { argv: [pm, 'run', 'lint'] }, required: false }],
        },
      ],
      output: { tarball: { from: 'step', step: 'pack' } },
    };
  },
});
