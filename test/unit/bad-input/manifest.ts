/**
 * The bad-input corpus (test/fixtures/bad/manifest.json): every case is a file, or CLI
 * arguments, with the error code and exit code it must produce. Shared by the unit tests
 * (loaders called directly) and the e2e test (the built CLI).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ERROR_CODES, type ErrorCode } from '../../../src/contracts/error-codes.js';

export const BAD_DIR = resolve(import.meta.dirname, '../../fixtures/bad');

export type CaseKind = 'job' | 'bindings' | 'policy' | 'config' | 'input' | 'cli';

export interface BadCase {
  id: string;
  kind: CaseKind;
  /** Relative to test/fixtures/bad (every kind but `cli`). */
  file?: string;
  /** `cli` cases: the arguments after `lily`. */
  args?: string[];
  code: ErrorCode;
  exit: 1 | 2;
  note: string;
  /** A `data.issues[].code` the error must contain. */
  issue?: string;
  /** `cli` cases: `data.reason` of `usage_invalid`. */
  reason?: string;
  /** `cli` cases: the command group that must exist for the case to run (else it is skipped). */
  requires?: string;
  /** `input` cases: what the bus's typed subscription does with it. */
  bus?: 'rejected';
}

interface Manifest {
  description: string;
  cases: BadCase[];
}

export const loadManifest = (): BadCase[] => {
  const manifest = JSON.parse(readFileSync(join(BAD_DIR, 'manifest.json'), 'utf8')) as Manifest;
  for (const c of manifest.cases) {
    if (!Object.hasOwn(ERROR_CODES, c.code)) throw new Error(`${c.id}: unknown code ${c.code}`);
  }
  return manifest.cases;
};

export const casesOf = (kind: CaseKind): BadCase[] => loadManifest().filter((c) => c.kind === kind);

/** The raw bytes of a case's file. */
export const caseBytes = (c: BadCase): Buffer => readFileSync(join(BAD_DIR, c.file as string));
export const caseText = (c: BadCase): string => caseBytes(c).toString('utf8');

/** The file name of a case (what a job file is installed as). */
export const caseFileName = (c: BadCase): string => (c.file as string).split('/').pop() as string;

/** Every file of the corpus, relative to its root (manifest.json excluded). */
export const corpusFiles = (dir = BAD_DIR): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return corpusFiles(path);
    const rel = relative(BAD_DIR, path);
    return rel === 'manifest.json' ? [] : [rel];
  });

/** A spec larger than the YAML limit (1 MB): generated, never committed. */
export const hugeJobText = (id: string): string => {
  const line = `  k${'x'.repeat(60)}`;
  const body = Array.from({ length: 20_000 }, (_, i) => `${line}${i}: value\n`).join('');
  return `id: ${id}\ntitle: t\ntarget: {kind: blueprint, id: command.v1}\nbindings: {run: [echo]}\ninput:\n${body}`;
};

/** Deeply nested block mappings (each level indented one more space). */
export const deepBlockJobText = (id: string, depth: number): string => {
  let text = `id: ${id}\ntitle: t\ntarget: {kind: blueprint, id: command.v1}\nbindings: {run: [echo]}\ninput:\n`;
  for (let i = 1; i <= depth; i++) text += `${' '.repeat(i)}k:\n`;
  return `${text}${' '.repeat(depth + 1)}v: 1\n`;
};
