import type { PreparedCommand } from '../../contracts/executor.js';
import { StepError } from '../../contracts/executor.js';
import { checkEnvNames } from '../../policy/env-rules.js';
import { checkProgram } from '../../policy/programs.js';
import type { Policy } from '../../policy/schema.js';
import type { Logger } from '../logger.js';
import { type ProgramResolver, programResolver } from '../policy/executables.js';

/**
 * Variables a command inherits from the worker's own environment (the operator's, not the
 * job's). PATH is not among them: a command's PATH is the policy's search path. Nothing that
 * changes what a program loads (NODE_OPTIONS, LD_*) is inherited.
 */
export const ENV_INHERITED = ['HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL', 'TERM'] as const;

/** The parts of the policy a worker enforces on commands. */
export type CommandPolicy = Pick<Policy, 'commands' | 'path' | 'env'>;

export interface CommandGuardOptions {
  policy: CommandPolicy;
  /** The project directory: relative program paths and `path` entries start there. */
  workspace: string;
  /** The worker's environment (default `process.env`): PATH (when the policy has no `path`) and the inherited variables. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The worker's check of a command right before it starts (the policy gate checked the same
 * plan; this checks what actually reaches the worker, against the worker's copy of the
 * policy): argv[0] resolved on the policy's search path and compared with the allowlist by
 * real path and name, and the variables the step sets against `env`. Its answer names the file
 * to start, so a PATH or a symlink changed after the check cannot swap the program.
 */
export class CommandGuard {
  readonly #workspace: string;
  readonly #env: Readonly<Record<string, string | undefined>>;
  #policy: CommandPolicy;
  #programs: ProgramResolver;

  constructor(o: CommandGuardOptions) {
    this.#workspace = o.workspace;
    this.#env = o.env ?? process.env;
    this.#policy = o.policy;
    this.#programs = programResolver(o.policy, o.workspace, this.#env.PATH);
  }

  /** Replaces the policy (a reloaded `.lily/policy.yaml`). */
  setPolicy(policy: CommandPolicy): void {
    this.#policy = policy;
    this.#programs = programResolver(policy, this.#workspace, this.#env.PATH);
  }

  /** Where bare names are looked up, and whether that list is the policy's or this process's PATH. */
  searchPath(): { searchPath: readonly string[]; source: 'policy' | 'environment' } {
    return { searchPath: this.#programs.searchPath, source: this.#programs.source };
  }

  /**
   * Checks `argv` (run in the absolute directory `cwd`) and the variables it sets; returns the
   * real file to start and its environment. A refusal is logged at warn level
   * (`dispatch.refused`) and thrown as `job_policy_denied` (not retryable).
   */
  prepare(
    command: { argv: readonly string[]; env: Readonly<Record<string, string>>; cwd: string },
    log: Logger,
  ): PreparedCommand {
    const refuse = (rule: string, reason: string): never => {
      log.warn({ event: 'dispatch.refused', rule, reason }, `command refused: ${reason}`);
      throw new StepError(
        'job_policy_denied',
        `refused by the worker: ${reason}`,
        { rule, reason, argv0: command.argv[0] ?? null },
        { retryable: false },
      );
    };
    const program = command.argv[0];
    if (program === undefined) return refuse('commands', 'argv is empty');
    const names = Object.keys(command.env);
    const env = checkEnvNames(this.#policy.env, names);
    if (!env.ok) return refuse('env', env.reason);
    const verdict = checkProgram(this.#policy.commands, program, command.cwd, this.#programs.resolve);
    if (!verdict.ok) return refuse('commands', verdict.reason);
    if (!verdict.resolved) {
      // Allowed by "*", but there is nothing to start.
      const lookup = this.#programs.resolve(program, command.cwd);
      throw new StepError(
        'blueprint_execution_failed',
        `cannot start ${program}: ${lookup.ok ? 'not found' : lookup.reason}`,
        { argv0: program, errno: 'ENOENT' },
        { retryable: false },
      );
    }
    return {
      file: verdict.resolved.realPath,
      argv: command.argv,
      env: { ...this.#inherited(), ...command.env },
    };
  }

  #inherited(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const key of ENV_INHERITED) {
      const v = this.#env[key];
      if (v !== undefined) env[key] = v;
    }
    const { searchPath } = this.#programs;
    if (searchPath.length > 0) env.PATH = searchPath.join(':');
    return env;
  }
}
