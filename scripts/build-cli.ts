/**
 * Makes `lily`'s entry one file: dist/cli/main.js (tsc's output) and everything it imports
 * statically (the program, the command registrations, commander, picocolors) bundled by esbuild
 * into dist/cli/main.js, in place. Every command's implementation stays where tsc wrote it and is
 * loaded on use, as before (`lazy` in src/cli/action.ts): the bundle keeps each dynamic
 * `import()` as it was, its path made relative to dist/cli/. Node then resolves, reads and links
 * one module instead of about thirty to print `lily --help` (design.md §7: under 150 ms).
 * The version module reads package.json relative to its own file; in the bundle it is the
 * version read here, at build time. Run by `npm run build`, after tsc.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const entry = join(root, 'dist/cli/main.js');
const outDir = dirname(entry);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/** Dynamic imports stay out of the bundle, re-pointed from the importing file to dist/cli/. */
const keepDynamicImports: Plugin = {
  name: 'keep-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = relative(outDir, resolve(args.resolveDir, args.path)).split('\\').join('/');
      return { path: target.startsWith('.') ? target : `./${target}`, external: true };
    });
  },
};

/** The version, fixed at build time (the module finds package.json from its own path). */
const versionAtBuild: Plugin = {
  name: 'version-at-build',
  setup(b) {
    b.onLoad({ filter: /[\\/]actors[\\/]runtime[\\/]version\.js$/ }, () => ({
      contents: `export const LILY_VERSION = ${JSON.stringify(version)};\n`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [entry],
  outfile: entry,
  allowOverwrite: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // commander and picocolors are CommonJS: give the bundle a `require` for what they require.
  banner: {
    js: "import { createRequire as __lilyRequire } from 'node:module';\nconst require = __lilyRequire(import.meta.url);",
  },
  plugins: [keepDynamicImports, versionAtBuild],
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
