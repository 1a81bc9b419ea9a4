import { LilyError, toLilyError } from '../../contracts/errors.js';
import { type JobSpecCheck, type ParsedJob, parseJobSpec } from './parse.js';

/**
 * Port: where job spec texts come from (`.lily/jobs/*.job.yaml` on disk in a project; a map in
 * tests). Adapters throw `job_not_found` from `read` for an unknown id.
 */
export interface JobSource {
  /** Where the jobs live, for messages (a directory path). */
  readonly location: string;
  /** The ids of every job spec, sorted. */
  list(): Promise<string[]>;
  /** The text of one spec and the file it came from. Throws `job_not_found`. */
  read(id: string): Promise<{ text: string; file: string }>;
}

/** One entry of `loadAll`: a valid job or the error that makes it invalid. */
export type JobLoadResult =
  | { ok: true; id: string; job: ParsedJob }
  | { ok: false; id: string; file?: string; error: LilyError };

export interface JobRepositoryOptions {
  /** Extra checks on valid specs (the project loader adds the croner check of cron triggers). */
  checks?: readonly JobSpecCheck[];
}

/**
 * Loads and validates job specs from a `JobSource` (the spec boundary of design.md §1).
 *
 * @example
 * const repo = new JobRepository(fsJobSource(paths.jobs), { checks: [cronCheck] });
 * const { spec } = await repo.load('hello');
 */
export class JobRepository {
  readonly #source: JobSource;
  readonly #checks: readonly JobSpecCheck[];
  readonly #parsed = new Map<string, { text: string; file: string; job: ParsedJob }>();

  constructor(source: JobSource, options: JobRepositoryOptions = {}) {
    this.#source = source;
    this.#checks = options.checks ?? [];
  }

  /** The ids of every job, sorted. */
  list(): Promise<string[]> {
    return this.#source.list();
  }

  /**
   * One job, parsed and validated. Throws `job_not_found` `{id, dir, known}` or
   * `job_invalid_spec` `{file, issues}`.
   */
  async load(id: string): Promise<ParsedJob> {
    const { text, file } = await this.#source.read(id);
    // Parsing is pure: the same text gives the same spec, so a run request for an unchanged
    // file skips YAML and schema work (the scheduler loads the job for every request).
    const cached = this.#parsed.get(id);
    if (cached && cached.text === text && cached.file === file) return cached.job;
    const job = parseJobSpec(text, { file, expectedId: id, checks: this.#checks });
    this.#parsed.set(id, { text, file, job });
    return job;
  }

  /** Every job, each valid or with its error, in id order. Never throws for one bad file. */
  async loadAll(): Promise<JobLoadResult[]> {
    const ids = await this.list();
    const results: JobLoadResult[] = [];
    for (const id of ids) {
      try {
        results.push({ ok: true, id, job: await this.load(id) });
      } catch (e) {
        const error = toLilyError(e);
        const file = typeof error.data.file === 'string' ? error.data.file : undefined;
        results.push({ ok: false, id, ...(file === undefined ? {} : { file }), error });
      }
    }
    return results;
  }
}

/** A `JobSource` over a map of id -> YAML text (tests, embedded jobs). */
export const memoryJobSource = (texts: Record<string, string>, location = 'memory'): JobSource => ({
  location,
  list: async () => Object.keys(texts).sort(),
  read: async (id) => {
    const text = Object.hasOwn(texts, id) ? texts[id] : undefined;
    if (text === undefined) {
      throw new LilyError('job_not_found', `no job "${id}" in ${location}`, {
        id,
        dir: location,
        known: Object.keys(texts).sort(),
      });
    }
    return { text, file: `${location}/${id}.job.yaml` };
  },
});
