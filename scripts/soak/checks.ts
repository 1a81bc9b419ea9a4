/**
 * The soak's verdict, computed from the log once the deployment is down: every run final,
 * every run's replay verifies (`verify` with the XState machine checked, as
 * `lily runs replay --verify`), every receipt the projector wrote is byte-identical to the one
 * rebuilt from the log (`renderReceiptFiles`, as `lily runs receipt --rebuild`), and every
 * succeeded command dispatch left its effect.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../src/blueprints/plan.js';
import type { EventData, StoredEvent } from '../../src/contracts/index.js';
import { openLilyStorage } from '../../src/eventstore/storage.js';
import { receiptRelativeDir, renderReceiptFiles } from '../../src/eventstore/write-receipts.js';
import { createRunProgram } from '../../src/machines/program.js';
import { verify } from '../../src/machines/replay.js';
import { catalogFor } from '../../src/project/open.js';

export interface RunFindings {
  runsInLog: number;
  final: number;
  byStatus: Record<string, number>;
  notFinal: { runId: string; jobId: string | undefined; lastEvent: string | undefined }[];
  replayVerified: number;
  replayFailures: { runId: string; code: string; message: string }[];
  receiptsCompared: number;
  receiptMismatches: { runId: string; file: string }[];
  receiptsMissing: string[];
  /** Succeeded command dispatches (soak effect steps) with no line in the effects file. */
  effectsMissing: string[];
  /** Dispatches an operator answered (`lily runs resolve`). */
  resolvedByOperator: number;
  /** Soak sequence numbers that have more than one run (a request whose reply was lost, retried). */
  seqsWithSeveralRuns: number;
  eventsTotal: number;
  lastEventAt: number;
}

const usesEffectScript = (e: StoredEvent): boolean => {
  const d = e.data as { executor?: string; with?: { argv?: string[] } };
  return d.executor === 'command' && d.with?.argv?.[1] === 'soak-effect.cjs';
};

const receiptProblems = (runsDir: string, events: StoredEvent[], runId: string, f: RunFindings) => {
  const { receipt, files } = renderReceiptFiles(events);
  const dir = join(runsDir, receiptRelativeDir(receipt));
  let missing = false;
  for (const [name, text] of Object.entries(files)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, name));
    } catch {
      missing = true;
      continue;
    }
    if (!bytes.equals(Buffer.from(text, 'utf8'))) f.receiptMismatches.push({ runId, file: name });
  }
  if (missing) f.receiptsMissing.push(runId);
  else f.receiptsCompared += 1;
};

const effectProblems = (events: StoredEvent[], effectKeys: ReadonlySet<string>, f: RunFindings) => {
  const effectful = new Set(
    events.filter(usesEffectScript).map((e) => (e.data as { dispatchId: string }).dispatchId),
  );
  for (const e of events) {
    if (e.type !== 'step.succeeded') continue;
    const id = (e.data as { dispatchId: string }).dispatchId;
    if (e.meta.producer.startsWith('worker/') && effectful.has(id) && !effectKeys.has(id))
      f.effectsMissing.push(id);
    if (!e.meta.producer.startsWith('worker/')) f.resolvedByOperator += 1;
  }
};

/** Reads every run of the project's log and checks it. The deployment must be down. */
export const checkRuns = async (dir: string, effectKeys: ReadonlySet<string>): Promise<RunFindings> => {
  const catalog = await catalogFor(dir);
  const storage = await openLilyStorage({ dir: join(dir, '.lily') });
  const f: RunFindings = {
    runsInLog: 0,
    final: 0,
    byStatus: {},
    notFinal: [],
    replayVerified: 0,
    replayFailures: [],
    receiptsCompared: 0,
    receiptMismatches: [],
    receiptsMissing: [],
    effectsMissing: [],
    resolvedByOperator: 0,
    seqsWithSeveralRuns: 0,
    eventsTotal: 0,
    lastEventAt: 0,
  };
  const seqs = new Map<number, number>();
  try {
    f.eventsTotal = await storage.events.lastPosition();
    for (const stream of await storage.events.listStreams('run/')) {
      const runId = stream.slice('run/'.length);
      const events = await storage.events.readStream(stream);
      f.runsInLog += 1;
      f.lastEventAt = Math.max(f.lastEventAt, events[events.length - 1]?.at ?? 0);
      const requested = events.find((e) => e.type === 'run.requested')?.data as
        | EventData<'run.requested'>
        | undefined;
      const seq = (requested?.input as { soakSeq?: number } | undefined)?.soakSeq;
      if (typeof seq === 'number') seqs.set(seq, (seqs.get(seq) ?? 0) + 1);
      const completed = events.findLast((e) => e.type === 'run.completed');
      if (!completed) {
        f.notFinal.push({ runId, jobId: requested?.jobId, lastEvent: events[events.length - 1]?.type });
        continue;
      }
      f.final += 1;
      const status = (completed.data as EventData<'run.completed'>).status;
      f.byStatus[status] = (f.byStatus[status] ?? 0) + 1;
      const started = events.find((e) => e.type === 'run.started');
      if (started) {
        try {
          const plan = (started.data as EventData<'run.started'>).plan as unknown as Plan;
          verify(createRunProgram(plan, { schemas: catalog.schemas }), events, { checkMachine: true });
          f.replayVerified += 1;
        } catch (e) {
          const err = e as { code?: string; message?: string };
          f.replayFailures.push({ runId, code: err.code ?? 'error', message: err.message ?? String(e) });
        }
      }
      receiptProblems(storage.runsDir, events, runId, f);
      effectProblems(events, effectKeys, f);
    }
  } finally {
    await storage.close();
  }
  f.seqsWithSeveralRuns = [...seqs.values()].filter((n) => n > 1).length;
  return f;
};
