import { readFile, rename, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { isScalar, parse, parseDocument, Scalar } from 'yaml';
import type { AnyBlueprint } from '../../blueprints/blueprint.js';
import type { Catalog } from '../../blueprints/catalog.js';
import { parseJobSpec } from '../../blueprints/jobs/parse.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { JobSpec } from '../../blueprints/jobs/spec.js';
import { LilyError } from '../../contracts/errors.js';
import type { Project } from '../../project/open.js';
import { deprecatedKind, replacementBlueprint } from './kind-deprecation.js';

/** A blueprint a job points at: id, version and its job kind. */
export interface TargetRef {
  id: string;
  version: string;
  kind: string | null;
}

/** What `jobs.upgrade` found and did. */
export interface JobUpgrade {
  job: string;
  file: string;
  /** `file` relative to the project directory (for diff headers). */
  relativeFile: string;
  changed: boolean;
  from: TargetRef;
  to: TargetRef;
  /** The spec text before and after (equal when nothing changes). */
  before: string;
  after: string;
  written: boolean;
}

const ref = (bp: AnyBlueprint): TargetRef => ({ id: bp.id, version: bp.version, kind: bp.kind ?? null });

/**
 * Where a job should point now: the blueprint of the kind replacing its deprecated kind, else
 * the newest version of its blueprint when the spec pins an older one. Undefined when current.
 */
const upgradeTarget = (catalog: Catalog, spec: JobSpec, current: AnyBlueprint): AnyBlueprint | undefined => {
  const replacedBy = deprecatedKind(catalog, current.kind)?.deprecated?.replacedBy;
  if (replacedBy !== undefined) {
    const next = replacementBlueprint(catalog, current, replacedBy);
    if (next && next !== current) return next;
  }
  const newest = catalog.blueprints.find(current.id);
  return spec.target.version !== undefined && newest && newest !== current ? newest : undefined;
};

/** A scalar's text in the style it was written in (plain when the value stays a string plain). */
const scalarText = (node: Scalar, value: string): string => {
  if (node.type === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  if (node.type === Scalar.PLAIN && parse(value) === value) return value;
  return JSON.stringify(value);
};

/**
 * The spec text with `target.id` (and a pinned `target.version`) replaced in place: every
 * other byte (comments, layout, flow style) stays as it was.
 */
const rewrite = (text: string, spec: JobSpec, next: AnyBlueprint): string => {
  const doc = parseDocument(text);
  const edits: { node: unknown; value: string }[] = [
    { node: doc.getIn(['target', 'id'], true), value: next.id },
  ];
  if (spec.target.version !== undefined)
    edits.push({ node: doc.getIn(['target', 'version'], true), value: next.version });
  const spans = edits.map(({ node, value }) => {
    if (!isScalar(node) || !node.range)
      throw new LilyError('job_invalid_spec', 'target is not a plain mapping', {});
    return { start: node.range[0], end: node.range[1], text: scalarText(node, value) };
  });
  let out = text;
  for (const span of spans.sort((a, b) => b.start - a.start))
    out = out.slice(0, span.start) + span.text + out.slice(span.end);
  return out;
};

/**
 * Rewrites a job spec from a deprecated job kind (or an older pinned blueprint version) to the
 * current one. Writes the file only with `write` (atomically), after the new spec has parsed
 * and compiled. Throws what `load` and `resolveJob` throw (the upgraded spec must compile:
 * `job_bindings_invalid` when the new blueprint refuses the bindings) and `job_upgrade_ambiguous`.
 */
export const upgradeJobSpec = async (
  project: Project,
  id: string,
  o: { write: boolean },
): Promise<JobUpgrade> => {
  const job = await project.jobs.load(id);
  const current = resolveJob(project.catalog, job.spec, { locate: job.locate, file: job.file }).blueprint;
  const next = upgradeTarget(project.catalog, job.spec, current);
  const text = await readFile(job.file, 'utf8');
  const base = {
    job: id,
    file: job.file,
    relativeFile: relative(project.paths.dir, job.file),
    from: ref(current),
  };
  if (!next) return { ...base, changed: false, to: ref(current), before: text, after: text, written: false };
  const upgraded = rewrite(text, job.spec, next);
  // The upgraded spec must be valid and compile before anything is written.
  const parsed = parseJobSpec(upgraded, { file: job.file, expectedId: id });
  resolveJob(project.catalog, parsed.spec, { locate: parsed.locate, file: job.file });
  if (o.write) {
    const tmp = `${job.file}.upgrade-${process.pid}`;
    await writeFile(tmp, upgraded, { mode: 0o600 });
    await rename(tmp, job.file);
  }
  return { ...base, changed: true, to: ref(next), before: text, after: upgraded, written: o.write };
};
