import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bus } from '../actors/bus/bus.js';
import type { Catalog } from '../blueprints/catalog.js';
import type { Clock } from '../contracts/clock.js';
import type { ProjectLocation } from '../project/find.js';
import type { Project } from '../project/open.js';
import { type ProjectPaths, projectPaths } from '../project/paths.js';
import type { EphemeralEngine } from './connection/ephemeral-engine.js';
import type { EngineMode, ProjectSettings } from './connection/live-target.js';
import { noEngine, projectMissing } from './errors.js';
import { openStores, type Stores } from './stores.js';

/** A connection to an engine: its bus and how it was found. */
export interface EngineLink {
  mode: EngineMode;
  bus: Bus;
  ns: string;
}

export interface ClientContextOptions {
  location: ProjectLocation;
  cwd: string;
  clock: Clock;
  identity: string;
  origin: string;
  nats: string | undefined;
  ephemeral: boolean;
  notice?: (message: string) => void;
}

/**
 * What every part of the client shares: where the project is, the clock and identity, and the
 * resources opened on demand (settings, project and catalog, stores, the engine link, an
 * ephemeral engine). Nothing is opened before an operation needs it; `close()` releases all.
 * Heavy modules (LMDB, NATS, the engine) are imported when first used, so a client that only
 * lists jobs never loads them.
 */
export class ClientContext {
  readonly location: ProjectLocation;
  /** Where relative file paths given to the client are resolved. */
  readonly cwd: string;
  readonly clock: Clock;
  readonly identity: string;
  /** Names the front end in the `producer` of what it writes: `<origin>/<who>`. */
  readonly origin: string;
  readonly nats: string | undefined;
  readonly ephemeralAllowed: boolean;
  readonly #notice: (message: string) => void;
  #settings: Promise<ProjectSettings> | undefined;
  #project: Promise<Project> | undefined;
  #stores: Stores | undefined;
  #link: EngineLink | undefined;
  #ephemeral: EphemeralEngine | undefined;
  #observer: Bus | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(o: ClientContextOptions) {
    this.location = o.location;
    this.cwd = o.cwd;
    this.clock = o.clock;
    this.identity = o.identity;
    this.origin = o.origin;
    this.nats = o.nats;
    this.ephemeralAllowed = o.ephemeral;
    this.#notice = o.notice ?? (() => undefined);
  }

  /** The project's `.lily/` paths. Throws `project_not_initialized` (with a hint) when there is none. */
  paths(): ProjectPaths {
    if (!this.location.found) throw projectMissing(this.location);
    return projectPaths(this.location.dir);
  }

  /** Paths, config and namespace (no packs: cheap). Throws `project_not_initialized`, `config_invalid`. */
  settings(): Promise<ProjectSettings> {
    this.#settings ??= (async () => {
      const paths = this.paths();
      const { loadConfig } = await import('../project/config.js');
      const config = await loadConfig(paths.config);
      return { paths, config, ns: config.namespace };
    })();
    return this.#settings;
  }

  /** The opened project: config, policy, catalog with its packs, job repository. */
  project(): Promise<Project> {
    this.#project ??= (async () => {
      const paths = this.paths();
      const { openProject } = await import('../project/open.js');
      return openProject(paths.dir);
    })();
    return this.#project;
  }

  /** The project's catalog, or the built-ins alone outside a project. */
  async catalog(): Promise<Catalog> {
    if (this.location.found) return (await this.project()).catalog;
    const { createBuiltinCatalog } = await import('../blueprints/builtins/index.js');
    return createBuiltinCatalog();
  }

  /**
   * The log and artifact store. Reads (`create` false) never create `.lily/db`: a project
   * without one reads as empty. While an ephemeral engine runs, its own storage is used.
   */
  async stores(o: { create?: boolean } = {}): Promise<Stores> {
    const create = o.create === true;
    const current = this.#stores;
    if (current && (current.persistent || !(create || existsSync(this.paths().db)))) return current;
    await current?.close();
    this.#stores = await openStores(this.paths(), { create, clock: this.clock });
    return this.#stores;
  }

  /** The engine link this client holds, else a running engine's (deployment, explicit NATS), else undefined. */
  async findEngine(): Promise<EngineLink | undefined> {
    if (this.#link) return this.#link;
    const settings = await this.settings();
    const { findLiveTarget, connectNats } = await import('./connection/live-target.js');
    const target = await findLiveTarget(settings, this.nats);
    if (!target) return undefined;
    this.#link = { mode: target.via, bus: await connectNats(target), ns: settings.ns };
    return this.#link;
  }

  /** A running engine, or `bus_unavailable` saying how to start one (`what` names the operation). */
  async requireEngine(what: string): Promise<EngineLink> {
    const link = await this.findEngine();
    if (!link) throw noEngine(what);
    return link;
  }

  /**
   * A running engine, else (when the client allows it) an ephemeral engine in this process that
   * lives until `close()`. Another command's ephemeral engine is not used for a new run (it
   * stops when that command ends): this waits for it to finish (the lifecycle lock) and then
   * starts its own, or uses a deployment that came up meanwhile. Throws what `requireEngine`
   * and `startEphemeralEngine` throw.
   */
  async engineForSubmit(what: string): Promise<EngineLink> {
    const found = await this.findEngine();
    if (found && found.mode !== 'ephemeral') return found;
    if (found && this.#ephemeral) return found;
    if (found) {
      await found.bus.close();
      this.#link = undefined;
    }
    if (!this.ephemeralAllowed) throw noEngine(what);
    const settings = await this.settings();
    const { startEphemeralEngine } = await import('./connection/ephemeral-engine.js');
    const { deploymentEngineAlive } = await import('./connection/live-target.js');
    // One LMDB handle per process: the client's own is closed, the engine's is used from now on.
    await this.#stores?.close();
    this.#stores = undefined;
    const ephemeral = await startEphemeralEngine(settings.paths, this.clock, {
      onWait: (h) =>
        this.#notice(
          h.what === 'ephemeral'
            ? `waiting for the ephemeral engine of another command (pid ${h.pid}: ${h.command}) to finish; \`lily up\` runs a deployment that takes runs from every terminal at once`
            : `waiting for \`lily ${h.what}\` (pid ${h.pid}) to finish`,
        ),
      engineAppeared: () => deploymentEngineAlive(settings.paths),
    });
    if (!ephemeral) return this.requireEngine(what);
    this.#ephemeral = ephemeral;
    const storage = ephemeral.engine.storage;
    this.#stores = { ...storage, persistent: true, close: async () => undefined };
    this.#link = { mode: 'ephemeral', bus: ephemeral.bus, ns: settings.ns };
    return this.#link;
  }

  /**
   * A bus to watch the project's subjects (tails, wake-ups of followers): the engine link's,
   * else the project's NATS when it runs (no engine needed). Undefined when there is none.
   */
  async observerBus(): Promise<{ bus: Bus; ns: string } | undefined> {
    if (this.#link) return { bus: this.#link.bus, ns: this.#link.ns };
    const settings = await this.settings();
    if (!this.#observer) {
      const { findProjectNats, connectNats } = await import('./connection/live-target.js');
      const target = await findProjectNats(settings, this.nats);
      if (!target) return undefined;
      this.#observer = await connectNats(target, 'lily-client-observer');
    }
    return { bus: this.#observer, ns: settings.ns };
  }

  /** `path` resolved against the client's `cwd` (absolute paths stay as they are). */
  resolvePath(path: string): string {
    return resolve(this.cwd, path);
  }

  /** Who acts and how it is recorded: `by` (else the client's identity) and the event producer. */
  actor(by: string | undefined): { by: string; producer: string } {
    const who = by ?? this.identity;
    return { by: who, producer: `${this.origin}/${who}` };
  }

  /** True once an ephemeral engine was started by this client (and not yet stopped). */
  get ephemeralRunning(): boolean {
    return this.#ephemeral !== undefined && !this.#closed;
  }

  /**
   * Releases everything: the engine link, the observer, the stores, an ephemeral engine.
   * Idempotent: every call resolves when the first one has finished.
   */
  close(): Promise<void> {
    this.#closing ??= this.#release();
    return this.#closing;
  }

  async #release(): Promise<void> {
    this.#closed = true;
    const link = this.#link;
    this.#link = undefined;
    try {
      if (this.#ephemeral) await this.#ephemeral.stop();
      else await link?.bus.close();
      await this.#observer?.close();
    } finally {
      await this.#stores?.close();
      this.#stores = undefined;
    }
  }
}
