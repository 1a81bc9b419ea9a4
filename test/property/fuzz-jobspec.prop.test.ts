/**
 * Fuzzing the job-spec loader: `parseJobSpec` on arbitrary strings, on YAML dumped from
 * arbitrary JSON, and on mutated valid specs. It returns a spec (which must be plain JSON:
 * serializable, hashable) or throws a LilyError `job_invalid_spec`; nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseJobSpec } from '../../src/blueprints/jobs/parse.js';
import { hashJson } from '../../src/contracts/canonical-json.js';
import { isLilyError } from '../../src/contracts/errors.js';
import { HELLO_JOB_TEMPLATE } from '../../src/project/templates.js';

const FILE = '/p/.lily/jobs/hello.job.yaml';

const VALID = [
  HELLO_JOB_TEMPLATE,
  `id: hello\ntitle: t\ntarget: {kind: blueprint, id: command.v1}\nbindings:\n  run: [echo, hi]\n  gates:\n    - {id: g, run: [true]}\ntrigger:\n  cron: "*/5 * * * *"\n  timezone: UTC\nruntime: {concurrency: 2, dry_run: false}\ninput: &i {a: [1, 2, {b: null}]}\noutput: {retention: {keep_last: 3}}\n`,
];

/** Returns normally or throws job_invalid_spec; a returned spec is plain JSON. */
const loadsCleanly = (text: string) => {
  try {
    const { spec } = parseJobSpec(text, { file: FILE });
    expect(hashJson(spec)).toMatch(/^[0-9a-f]{64}$/);
  } catch (e) {
    if (!isLilyError(e)) throw new Error(`not a LilyError: ${String(e)}\n--- input ---\n${text}`);
    expect(e.code).toBe('job_invalid_spec');
  }
};

const YAML_BITS = [
  ':',
  '-',
  ' ',
  '\n',
  '  ',
  '[',
  ']',
  '{',
  '}',
  '&a',
  '*a',
  '*i',
  '!!',
  '<<',
  '#',
  '"',
  "'",
  '|',
  '>',
  '\t',
  '%',
  '@',
  '`',
  '---',
  '...',
  '?',
  ',',
];

/** Edits to a text: delete a slice, insert YAML punctuation or random text, duplicate a slice. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(...YAML_BITS),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 80 }),
  }),
);

type Edit = { kind: string; at: number; length?: number; text?: string };

const mutate = (text: string, edits: Edit[]) =>
  edits.reduce((t, e) => {
    const at = t.length === 0 ? 0 : e.at % t.length;
    if (e.kind === 'delete') return t.slice(0, at) + t.slice(at + (e.length ?? 1));
    if (e.kind === 'insert') return t.slice(0, at) + (e.text ?? '') + t.slice(at);
    return t.slice(0, at) + t.slice(at, at + (e.length ?? 1)) + t.slice(at);
  }, text);

describe('parseJobSpec fuzzing', () => {
  it('arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
        loadsCleanly,
      ),
      { numRuns: 300 },
    );
  });

  it('YAML of arbitrary JSON, alone and merged into a valid spec', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
        (value, extra) => {
          loadsCleanly(stringify(value));
          loadsCleanly(`${VALID[1]}${stringify({ input: value, ...extra })}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('mutated valid specs', () => {
    for (const valid of VALID) loadsCleanly(valid);
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (valid, edits) => loadsCleanly(mutate(valid, edits)),
      ),
      { numRuns: 400 },
    );
  });
});
