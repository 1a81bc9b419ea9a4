import type { Command } from 'commander';
import type { Ui } from './render/ui.js';

/** The global options every command accepts (before or after the command name). */
export interface GlobalOptions {
  /** Project directory (the one holding `.lily/`). Default: the current directory. */
  dir?: string;
  json?: boolean;
  debug?: boolean;
  /** False with `--no-color`. */
  color?: boolean;
  /** `--nats <url>`: an existing NATS instead of the project's deployment. */
  nats?: string;
}

/** What an action gets: resolved global options and the Ui to write to. */
export interface CliContext {
  dir: string;
  json: boolean;
  debug: boolean;
  ui: Ui;
  /** `--nats <url>` (live commands only; LILY_NATS_URL is read where the target is resolved). */
  nats?: string;
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
}

export const globalOptions = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

/** True when `--json` is anywhere on the command line (used before commander has parsed it). */
export const argvWantsJson = (argv: readonly string[]): boolean => argv.includes('--json');
export const argvWantsDebug = (argv: readonly string[]): boolean => argv.includes('--debug');
