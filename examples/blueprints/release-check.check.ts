/**
 * The property test of docs/testing.md, as a user writes it: release-check.v1 compiled by the
 * real compile boundary against the catalog its project would build (the built-ins plus its
 * pack), for any bindings, under any outcome of its steps. Call it from your test runner.
 */
import fc from 'fast-check';
import { createBuiltinCatalog, installPack } from 'lily';
import { checkBlueprint } from 'lily/testing';
import { releaseCheck } from './release-check.js';
import releasePack from './release-pack.js';

export const checkReleaseCheck = (numRuns = 100): void => {
  const catalog = createBuiltinCatalog();
  installPack(catalog, releasePack, './release-pack.js');
  const bindings = fc.record(
    { package_manager: fc.constantFrom('npm', 'pnpm'), test_retries: fc.integer({ min: 0, max: 5 }) },
    { requiredKeys: [] },
  );
  checkBlueprint(releaseCheck, bindings, { catalog, numRuns });
};
