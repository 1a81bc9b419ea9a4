import type { Command } from 'commander';
import type { LilyClient } from '../client/index.js';
import type { Ui } from './render/ui.js';

/** The global options every command accepts (before or after the command name). */
export interface GlobalOptions {
  /** Project directory (the one holding `.lily/`). Default: found by walking up from the current directory. */
  dir?: string;
  json?: boolean;
  debug?: boolean;
  /** False with `--no-color`. */
  color?: boolean;
  /** `--nats <url>`: an existing NATS instead of the project's deployment. */
  nats?: string;
}

/** What an action gets: resolved global options, the Ui to write to, and the client. */
export interface CliContext {
  json: boolean;
  debug: boolean;
  ui: Ui;
  /** The client of this command (opened with `--dir` / `--nats`; closed after the action). */
  client: LilyClient;
  /** The `--dir` exactly as the user gave it, if they did. */
  dirArg?: string;
  /** The global `--nats <url>`, if given (commands that open clients of their own pass it on). */
  natsArg?: string;
  /** `lily <args>` as the user should type it next (with their `--dir`). */
  lily(args: string): string;
}

/**
 * What an action returns: `data` is printed as JSON with `--json`, `human()` renders it for a
 * person otherwise. `exitCode` defaults to 0. Actions throw LilyErrors for failures; the runner
 * renders them (panel or JSON) and picks the exit code from the error's kind.
 */
export interface Outcome {
  data: unknown;
  human(ui: Ui): string;
  exitCode?: 0 | 1 | 2;
  /** Replaces the pretty JSON document with this text under `--json` (e.g. JSON lines). */
  jsonText?: () => string;
  /** Raw bytes for stdout instead of `human()` (e.g. `artifacts get` without `--output`). */
  bytes?: Uint8Array;
  /**
   * A failure to report after `human()` was printed (a followed run that failed: its summary,
   * then its error). The exit code is the error's; with `--json` only the error is printed.
   */
  error?: unknown;
}

export const globalOptions = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

/** True when `--json` is anywhere on the command line (used before commander has parsed it). */
export const argvWantsJson = (argv: readonly string[]): boolean => argv.includes('--json');
export const argvWantsDebug = (argv: readonly string[]): boolean => argv.includes('--debug');

/** The value of `--dir` on a raw command line (`--dir x` or `--dir=x`), for hints before parsing. */
export const argvDir = (argv: readonly string[]): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--dir') return argv[i + 1];
    if (a.startsWith('--dir=')) return a.slice('--dir='.length);
  }
  return undefined;
};
