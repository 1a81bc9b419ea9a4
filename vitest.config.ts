import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Packs import Lily by its package name; tests run them against the sources, as tsconfig's
    // `paths` does for tsc and tsx, so a pack and the engine share one copy of every module.
    alias: [
      { find: /^lily$/, replacement: source('./src/index.ts') },
      { find: /^lily\/testing$/, replacement: source('./src/testing/index.ts') },
      { find: /^@lily\/hxo$/, replacement: source('./packs/hxo/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
