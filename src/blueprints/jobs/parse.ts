import { type JobSpec, jobSpecSchema } from './spec.js';
import { dotted, invalid, type Locate, parseYaml, type SpecIssue, zodToSpecIssues } from './yaml-document.js';

/** The file-name suffix of a job spec: `.lily/jobs/<id>.job.yaml`. */
export const JOB_FILE_SUFFIX = '.job.yaml';

/**
 * An extra check on a structurally valid spec, run by the loader (for example the croner
 * check of cron expressions, which the pure blueprints layer cannot import). Returns the
 * problems found, each at a path of the spec.
 */
export type JobSpecCheck = (spec: JobSpec) => { path: PropertyKey[]; message: string }[];

export interface ParseJobOptions {
  /** Shown in errors and returned with the spec. */
  file: string;
  /** The id the file name implies; the spec's `id` must equal it. Default: from `file`. */
  expectedId?: string;
  checks?: readonly JobSpecCheck[];
}

/** A parsed, valid spec with its file and a locator for paths inside it (for later errors). */
export interface ParsedJob {
  spec: JobSpec;
  file: string;
  locate: Locate;
}

/** `hello` for `/x/.lily/jobs/hello.job.yaml`; undefined when the name does not end in `.job.yaml`. */
export const jobIdFromFile = (file: string): string | undefined => {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.endsWith(JOB_FILE_SUFFIX) ? base.slice(0, -JOB_FILE_SUFFIX.length) : undefined;
};

/**
 * Parses and validates a job spec written in YAML.
 *
 * Throws `job_invalid_spec` with `{file, issues: [{path, message, code, line, column}]}` for a
 * YAML syntax error, an alias bomb, a schema violation (unknown keys included), an `id` that
 * differs from the file name, or a failed extra check.
 *
 * @example
 * const { spec } = parseJobSpec(text, { file: '.lily/jobs/hello.job.yaml' });
 */
export const parseJobSpec = (text: string, options: ParseJobOptions): ParsedJob => {
  const { file } = options;
  const parsed = parseYaml(text, file, 'job_invalid_spec');
  const result = jobSpecSchema.safeParse(parsed.value ?? {});
  const issues: SpecIssue[] = result.success ? [] : zodToSpecIssues(result.error.issues, parsed.locate);
  issues.push(...idMismatch(parsed.value, options, parsed.locate));
  if (result.success && issues.length === 0) {
    for (const check of options.checks ?? []) {
      for (const problem of check(result.data)) {
        issues.push({
          path: dotted(problem.path),
          message: problem.message,
          code: 'custom',
          ...parsed.locate(problem.path),
        });
      }
    }
  }
  if (!result.success || issues.length > 0) throw invalid('job_invalid_spec', file, issues);
  return { spec: result.data, file, locate: parsed.locate };
};

const idMismatch = (value: unknown, options: ParseJobOptions, locate: Locate): SpecIssue[] => {
  const expected = options.expectedId ?? jobIdFromFile(options.file);
  const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
  if (expected === undefined || typeof id !== 'string' || id === expected) return [];
  return [
    {
      path: 'id',
      message: `id "${id}" differs from the file name: expected "${expected}" (the file is ${expected}${JOB_FILE_SUFFIX})`,
      code: 'id_mismatch',
      ...locate(['id']),
    },
  ];
};
