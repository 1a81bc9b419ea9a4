import type { Lineage } from '../../contracts/artifact-store.js';
import { LilyError } from '../../contracts/errors.js';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';
import type { ClientContext } from '../context.js';

/**
 * The content-addressed artifact store (`.lily/artifacts/`, indexed in the log's LMDB
 * environment). Every method takes an artifact by sha256, a unique sha prefix (8+ hex digits)
 * or a name (the newest record with it), and throws `artifact_not_found` otherwise.
 */
export class ArtifactsApi {
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Artifact records, oldest first; `runId` keeps those of one run.
   *
   * @example
   * const refs = await client.artifacts.list({ runId });
   */
  async list(o: { runId?: string } = {}): Promise<ArtifactRef[]> {
    const { artifacts } = await this.#ctx.stores();
    return artifacts.list(o.runId === undefined ? {} : { runId: o.runId });
  }

  /**
   * An artifact's record and bytes. Throws `artifact_not_found` (also when its blob is gone).
   *
   * @example
   * const { ref, bytes } = await client.artifacts.get('summary.json');
   */
  async get(ref: string): Promise<{ ref: ArtifactRef; bytes: Uint8Array }> {
    const { artifacts } = await this.#ctx.stores();
    const { resolveArtifact } = await import('./resolve.js');
    const found = await resolveArtifact(artifacts, ref);
    const stored = await artifacts.get(found.sha256);
    if (!stored) throw new LilyError('artifact_not_found', `the blob of ${found.sha256} is gone`, { ref });
    return { ref: found, bytes: stored.bytes };
  }

  /**
   * Writes an artifact's bytes to `file` (relative to the client's `cwd`) and returns where.
   *
   * @example
   * await client.artifacts.save('report.md', 'out/report.md');
   */
  async save(ref: string, file: string): Promise<{ ref: ArtifactRef; output: string; bytes: number }> {
    const { ref: found, bytes } = await this.get(ref);
    const output = this.#ctx.resolvePath(file);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(output, bytes);
    return { ref: found, output, bytes: bytes.length };
  }

  /**
   * What an artifact was made from: the DAG of its recorded inputs `{root, nodes, edges}`.
   *
   * @example
   * const { nodes, edges } = await client.artifacts.lineage(sha);
   */
  async lineage(ref: string): Promise<Lineage> {
    const { artifacts } = await this.#ctx.stores();
    const { resolveArtifact } = await import('./resolve.js');
    return artifacts.lineage((await resolveArtifact(artifacts, ref)).sha256);
  }
}
