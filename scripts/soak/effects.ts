/**
 * Counting duplicated effects in the soak's `effects.log`. Each line is
 * `<dispatch key> <i|n> <ppid>`: the key names one dispatch (`runId/stepId/attempt`, plus the
 * shard key or `gate:<id>`), `i`/`n` says whether the step is idempotent, and ppid is the
 * worker that ran the command when it wrote the line.
 *
 * A retried attempt has a different key, so it is never a duplicate. A key seen twice is a
 * duplicate unless the step is idempotent and every earlier execution ran under a worker that
 * the chaos loop killed (or had already died: the line's ppid is no worker): the dispatch
 * ledger lets an idempotent dispatch left running in a dead worker be taken over, which is the
 * at-least-once contract of idempotent steps. Those are counted apart as `reExecutedAfterKill`.
 */

export interface EffectLine {
  key: string;
  idempotent: boolean;
  pid: number;
}

export interface EffectReport {
  /** Lines in the file. */
  lines: number;
  /** Distinct dispatch keys. */
  dispatches: number;
  /** Keys executed more than once without a killed worker to excuse it. */
  duplicated: string[];
  /** Idempotent keys executed again because the worker running them was killed. */
  reExecutedAfterKill: string[];
}

/** Parses the file text; malformed lines are returned in `bad`. */
export const parseEffects = (text: string): { lines: EffectLine[]; bad: string[] } => {
  const lines: EffectLine[] = [];
  const bad: string[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const [key, idem, pid, ...rest] = raw.split(' ');
    if (!key || (idem !== 'i' && idem !== 'n') || !/^\d+$/.test(pid ?? '') || rest.length > 0) {
      bad.push(raw);
      continue;
    }
    lines.push({ key, idempotent: idem === 'i', pid: Number(pid) });
  }
  return { lines, bad };
};

/**
 * Groups lines by dispatch key and classifies repeats.
 * @param killed pids of workers the chaos loop SIGKILLed
 * @param workers pids of every worker that ever ran (a ppid outside it means the worker was gone)
 */
export const analyzeEffects = (
  lines: readonly EffectLine[],
  killed: ReadonlySet<number>,
  workers: ReadonlySet<number>,
): EffectReport => {
  const byKey = new Map<string, EffectLine[]>();
  for (const line of lines) {
    const group = byKey.get(line.key);
    if (group) group.push(line);
    else byKey.set(line.key, [line]);
  }
  const duplicated: string[] = [];
  const reExecutedAfterKill: string[] = [];
  for (const [key, group] of byKey) {
    if (group.length < 2) continue;
    const earlier = group.slice(0, -1);
    const excused =
      group.every((l) => l.idempotent) && earlier.every((l) => killed.has(l.pid) || !workers.has(l.pid));
    (excused ? reExecutedAfterKill : duplicated).push(key);
  }
  return { lines: lines.length, dispatches: byKey.size, duplicated, reExecutedAfterKill };
};
