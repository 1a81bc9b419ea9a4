import { readFile, rename, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { isScalar, parse, parseDocument, Scalar } from 'yaml';
import type { AnyBlueprint } from '../../blueprints/blueprint.js';
import type { Catalog } from '../../blueprints/catalog.js';
import { parseJobSpec } from '../../blueprints/jobs/parse.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { JobSpec } from '../../blueprints/jobs/spec.js';
import { LilyError } from '../../contracts/errors.js';
import { openProject } from '../../project/open.js';
import type { CliContext, Outcome } from '../context.js';
import type { Colors } from '../render/ui.js';
import { unifiedDiff } from '../render/unified-diff.js';
import { deprecatedKind, replacementBlueprint } from './kind-deprecation.js';

interface TargetRef {
  id: string;
  version: string;
  kind: string | null;
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

const colorDiff = (c: Colors, diff: string): string =>
  diff
    .split('\n')
    .map((l) =>
      l.startsWith('+') && !l.startsWith('+++')
        ? c.green(l)
        : l.startsWith('-') && !l.startsWith('---')
          ? c.red(l)
          : l.startsWith('@@')
            ? c.cyan(l)
            : l,
    )
    .join('\n');

/**
 * `lily jobs upgrade <id> [--yes]`: rewrites a job spec from a deprecated job kind (or an older
 * pinned blueprint version) to the current one. Prints the unified diff first; writes the file
 * only with `--yes` (atomically), after the new spec has parsed and compiled. JSON `{job, file,
 * changed, from, to, diff, written}`. Throws what `load` and `resolveJob` throw (the upgraded
 * spec must compile: `job_bindings_invalid` when the new blueprint refuses the bindings) and
 * `job_upgrade_ambiguous`.
 */
export const upgradeJob = async (ctx: CliContext, id: string, opts: { yes?: boolean }): Promise<Outcome> => {
  const project = await openProject(ctx.dir);
  const job = await project.jobs.load(id);
  const current = resolveJob(project.catalog, job.spec, { locate: job.locate, file: job.file }).blueprint;
  const next = upgradeTarget(project.catalog, job.spec, current);
  const base = { job: id, file: job.file, from: ref(current) };
  if (!next) {
    return {
      data: { ...base, changed: false, to: ref(current), diff: '', written: false },
      human: ({ colors: c }) =>
        `${c.bold(id)} is current: ${current.id}@${current.version}${current.kind ? ` (${current.kind})` : ''}`,
    };
  }
  const text = await readFile(job.file, 'utf8');
  const upgraded = rewrite(text, job.spec, next);
  // The upgraded spec must be valid and compile before anything is written.
  const parsed = parseJobSpec(upgraded, { file: job.file, expectedId: id });
  resolveJob(project.catalog, parsed.spec, { locate: parsed.locate, file: job.file });
  const shown = relative(project.paths.dir, job.file);
  const diff = unifiedDiff(text, upgraded, { from: `${shown} (${current.id})`, to: `${shown} (${next.id})` });
  const written = opts.yes === true;
  if (written) {
    const tmp = `${job.file}.upgrade-${process.pid}`;
    await writeFile(tmp, upgraded, { mode: 0o600 });
    await rename(tmp, job.file);
  }
  return {
    data: { ...base, changed: true, to: ref(next), diff, written },
    human: ({ colors: c }) =>
      [
        colorDiff(c, diff),
        '',
        written
          ? c.green(`upgraded ${id}: ${current.id}@${current.version} -> ${next.id}@${next.version}`)
          : c.dim(`not written: lily jobs upgrade ${id} --yes writes this change`),
      ].join('\n'),
  };
};
