/**
 * Builds the web console's page into dist/ui/public: src/ui/web/main.ts bundled with preact and
 * htm by esbuild (one ES module, minified, with a source map), the stylesheet, index.html and
 * the icon. Nothing is fetched at run time: no CDN, no web fonts. Run by `npm run build`.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const web = join(root, 'src/ui/web');
const out = join(root, 'dist/ui/public');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { main: join(web, 'main.ts'), styles: join(web, 'styles.css') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  tsconfig: join(web, 'tsconfig.json'),
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg']) await copyFile(join(web, file), join(out, file));
