/**
 * The run machine's semantics version, pinned in each run's `run.started.machine`. A change that
 * makes the machine emit different commands for the same events bumps it, and the reducer keeps
 * the old behaviour for runs that started under an older version, so their logs still verify
 * (Temporal's "patched" markers, per run instead of per call site).
 *
 * - 1 (absent): the first semantics.
 * - 2: a run that ends (cancelled, timed out, failed) or a fail-fast partition that stops its
 *   shards emits `step.cancel` for every dispatch still in flight, so its worker stops the work.
 * - 3: a partitioner's `step.failed` (the answer to a `partition.plan`) fails its step, which
 *   then follows its `failed` route; before, the run ignored it and waited for its timeout.
 */
export const MACHINE_VERSION = 3;
