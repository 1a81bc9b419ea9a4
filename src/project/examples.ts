import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LilyError } from '../contracts/errors.js';

/**
 * An example project a package ships: `lily init --example <name>` copies it into a project.
 * The package names the directory in its package.json (`"lily": {"example": "example"}`). In
 * that directory `lily/` holds what goes into `.lily/` (config.yaml, policy.yaml, jobs/), and
 * everything else is copied into the project directory as it is (the workspace its jobs run on).
 */
export interface ExampleSource {
  /** The name given to `--example`. */
  name: string;
  /** The package that ships it (`hxo` -> `@lily/hxo`). */
  packageName: string;
  /** Absolute path of the example directory. */
  dir: string;
}

/** One file of an example: where it comes from and where it goes, relative to the project. */
export interface ExampleFile {
  source: string;
  target: string;
}

// npm's rules for a package name: lower case, url-safe, optionally scoped.
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** The package an example name refers to: a short name is a first-party pack (`hxo` -> `@lily/hxo`). */
export const examplePackage = (name: string): string => (name.includes('/') ? name : `@lily/${name}`);

/** Where a package is looked up, in order: the project's node_modules, then Lily's own installation. */
const searchBases = (projectDir: string): string[] => [
  join(resolve(projectDir), 'package.json'),
  fileURLToPath(import.meta.url),
];

const notFound = (name: string, message: string, data: Record<string, unknown>): LilyError =>
  new LilyError('example_not_found', message, { name, ...data });

/**
 * Finds the example `name` (see ExampleSource): the package `examplePackage(name)`, resolved from
 * `projectDir` first, then from this installation of Lily. Throws `example_not_found`
 * `{name, package, reason}`: `invalid_name`, `package_not_installed` (with `searched`) or
 * `no_example` (the package ships none, or names a directory outside itself).
 */
export const findExample = (name: string, projectDir: string): ExampleSource => {
  const packageName = examplePackage(name);
  if (!PACKAGE_NAME.test(packageName)) {
    throw notFound(name, `"${name}" is not an example name (a pack name such as hxo, or a package name)`, {
      package: packageName,
      reason: 'invalid_name',
    });
  }
  const bases = searchBases(projectDir);
  for (const base of bases) {
    let manifestPath: string;
    try {
      manifestPath = createRequire(base).resolve(`${packageName}/package.json`);
    } catch {
      continue;
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { lily?: { example?: unknown } };
    const rel = manifest.lily?.example;
    const root = dirname(manifestPath);
    const dir = typeof rel === 'string' ? resolve(root, rel) : undefined;
    if (dir === undefined || dir === root || !dir.startsWith(root + sep)) {
      throw notFound(name, `package ${packageName} (${root}) ships no example: no "lily.example" directory`, {
        package: packageName,
        reason: 'no_example',
        manifest: manifestPath,
      });
    }
    return { name, packageName, dir };
  }
  const searched = bases.map((b) => dirname(b));
  throw notFound(
    name,
    `no example "${name}": package ${packageName} is installed neither in ${searched[0]} nor next to Lily (npm install ${packageName})`,
    { package: packageName, reason: 'package_not_installed', searched },
  );
};

/**
 * The files of an example with their targets: `lily/<path>` -> `.lily/<path>`, any other path
 * unchanged. Sorted by target; symbolic links and other non-regular files are left out.
 */
export const exampleFiles = (example: ExampleSource): ExampleFile[] => {
  const out: ExampleFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const rel = relative(example.dir, path).split(sep).join('/');
        const target = rel.startsWith('lily/') ? `.lily/${rel.slice('lily/'.length)}` : rel;
        out.push({ source: path, target });
      }
    }
  };
  walk(example.dir);
  return out.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
};
