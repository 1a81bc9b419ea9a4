import type { Clock } from '../contracts/clock.js';

/** How `LilyClient.open` finds the project and the deployment, and who the client acts as. */
export interface LilyClientOptions {
  /**
   * The project directory (the one holding `.lily/`), used as given: no walk-up. Relative to
   * `cwd`. Without it the client walks up from `cwd` to the nearest directory holding `.lily/`.
   */
  dir?: string;
  /** Where the walk-up starts and relative paths are resolved (default: `process.cwd()`). */
  cwd?: string;
  /**
   * A NATS url where an engine listens. Else `LILY_NATS_URL`, the config's `nats.url`, or the
   * managed server of a running `lily up` deployment.
   */
  nats?: string;
  /** Time of the facts the client writes (answers, manifests, retention). Default: the system clock. */
  clock?: Clock;
  /** Who acts (cancels, approves, resolves) unless a call names someone. Default: the OS user name. */
  identity?: string;
  /**
   * Names the front end in the producer of the events it writes (`<origin>/<who>`): `cli` for
   * the command line. Default `client`.
   */
  origin?: string;
  /**
   * When a run is submitted and no engine runs: start one in this process for the client's
   * lifetime (default true). With false, `submit` throws `bus_unavailable` instead.
   */
  ephemeral?: boolean;
  /**
   * Told what the client is waiting for, for a front end to show: another `lily jobs run`'s
   * ephemeral engine (or `lily up` / `lily down`) holds the project's lifecycle lock, and this
   * client's run starts once it is released. Default: say nothing.
   */
  notice?: (message: string) => void;
}
