/**
 * Turns the JSON of `npm run bench` into docs/benchmarks.md (a table of each figure next to the
 * raw limit of the part that bounds it, as a ratio) and docs/benchmarks.svg (a bar chart).
 *
 *   npm run bench > /tmp/bench.json && npx tsx bench/report.ts /tmp/bench.json
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAfter } from './report-compare.js';
import { appendsPerRunOf, type J, n, ratio } from './report-format.js';
import { floorVerdict, sideBySideSection } from './report-side-by-side.js';
import { stepsSection } from './report-steps.js';

const args = process.argv.slice(2);
const beforeAt = args.indexOf('--before');
const beforeFile = beforeAt >= 0 ? args[beforeAt + 1] : undefined;
const file = args.find((a, i) => !a.startsWith('--') && (beforeAt < 0 || i !== beforeAt + 1));
if (!file || (beforeAt >= 0 && !beforeFile)) {
  process.stderr.write('usage: tsx bench/report.ts <bench.json> [--before <earlier bench.json>]\n');
  process.exit(2);
}
const readReport = (f: string): J => {
  const text = readFileSync(f, 'utf8');
  return JSON.parse(text.slice(text.indexOf('{'))) as J;
};
const report = readReport(file);
const before = beforeFile ? readReport(beforeFile) : undefined;
const s = report.sections as J;
const docs = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');

interface Row {
  figure: string;
  value: string;
  target: string;
  bound: string;
  raw: string;
  ratio: string;
}
const rows: Row[] = [];
const p = s.pipeline ?? {};
const rr = p.rawLimits ?? {};
const at = (k: number) => (p.throughput ?? []).find((t: J) => t.inFlight === k) ?? {};
for (const k of [1, 16, 64, 256]) {
  const t = at(k);
  const receipts =
    t.runsPerSecWithReceipts === undefined
      ? ''
      : `; ${n(t.runsPerSecWithReceipts)} with its receipts written, ${n(t.receiptsCatchUpMs)} ms after`;
  rows.push({
    figure: `W3 runs/s, ${k} in flight (steps/s ${n(t.stepsPerSec)}${receipts})`,
    value: n(t.runsPerSec),
    target: k === 64 ? '≥ 3× BullMQ-AOF' : '',
    bound: 'NATS request/reply, 64 in flight ÷ 3 dispatches',
    raw: n((rr.natsRequestReply64InFlightPerSec ?? 0) / 3),
    ratio: ratio(t.runsPerSec, (rr.natsRequestReply64InFlightPerSec ?? 0) / 3),
  });
}
/** Lily against the floor of W3 (bench/floor/), measured in the same side-by-side rounds. */
const floor = s.sideBySide?.floor as J | undefined;
if (floor?.lilyOverFloor) {
  const lf = floor.lilyOverFloor as J;
  const bound = "the floor of W3: design.md's rules and nothing else (side by side, medians of the rounds)";
  rows.push(
    {
      figure: 'W3 runs/s, 64 in flight, side by side with the floor',
      value: n(lf.runsPerSec.a),
      target: '',
      bound,
      raw: n(lf.runsPerSec.b),
      ratio: n(lf.runsPerSec.ratio, 2),
    },
    {
      figure: 'W3 one at a time, p50 ms, side by side with the floor',
      value: n(lf.p50.a, 1),
      target: '',
      bound,
      raw: n(lf.p50.b, 2),
      ratio: n(lf.p50.ratio, 2),
    },
    {
      figure: "W3 one at a time, p99 ms, side by side with the floor (all rounds' runs)",
      value: n(s.sideBySide?.oneAtATime?.pooled?.lily?.p99Ms, 1),
      target: '≤ 6',
      bound: 'the floor of W3 (as above)',
      raw: n(floor.pooled?.p99Ms, 1),
      ratio: ratio(s.sideBySide?.oneAtATime?.pooled?.lily?.p99Ms, floor.pooled?.p99Ms),
    },
  );
}
const ledger = p.ledger ?? {};
for (const kind of ['lmdb', 'nats'] as const) {
  const l = ledger[kind] ?? {};
  rows.push({
    figure: `W3 over a side-effecting step, ${kind === 'nats' ? 'KV' : 'LMDB'} ledger: runs/s at 64 (p50 ${n(l.oneAtATime?.p50Ms, 1)} ms one at a time)`,
    value: n(l.at64?.runsPerSec),
    target: '',
    bound:
      kind === 'nats'
        ? 'one KV compare-and-set (ms), 6 per run'
        : 'one flushed LMDB compare-and-set (ms), 6 per run',
    raw: n(
      kind === 'nats' ? ledger.rawLimits?.kvCompareAndSetMs : ledger.rawLimits?.lmdbFlushedCompareAndSetMs,
      2,
    ),
    ratio: kind === 'nats' ? n(ledger.ratios?.kvVsLmdbRunsPerSecAt64, 2) : '',
  });
}
const es = s.eventstore ?? {};
rows.push(
  {
    figure: 'W3 one at a time, p50 ms',
    value: n(p.oneAtATime?.p50Ms, 1),
    target: '< BullMQ-AOF p50',
    bound: 'one flushed LMDB put p50 (ms) × appends per run',
    raw: n((p.rawLimits?.lmdbFlushedPut?.p50Ms ?? Number.NaN) * (appendsPerRunOf(p) ?? Number.NaN), 2),
    ratio: ratio(
      p.oneAtATime?.p50Ms,
      (p.rawLimits?.lmdbFlushedPut?.p50Ms ?? Number.NaN) * (appendsPerRunOf(p) ?? Number.NaN),
    ),
  },
  {
    figure: 'W3 one at a time, p99 ms',
    value: n(p.oneAtATime?.p99Ms, 1),
    target: '≤ 6',
    bound: '',
    raw: '',
    ratio: '',
  },
  {
    figure: 'step-to-step p50 / p99 ms',
    value: `${n(p.stepToStepP50Ms)} / ${n(p.stepToStepP99Ms)}`,
    target: '',
    bound: 'NATS round trip p50 (ms)',
    raw: n((s.nats?.raw?.requestReply?.sequentialP50Us ?? Number.NaN) / 1000, 2),
    ratio: '',
  },
  {
    figure: 'time to first step p50 / p99 ms',
    value: `${n(p.timeToFirstStepP50Ms)} / ${n(p.timeToFirstStepP99Ms)}`,
    target: '',
    bound: '',
    raw: '',
    ratio: '',
  },
  {
    figure: 'engine heap per active run (bytes)',
    value: n(p.memory?.bytesPerActiveRun),
    target: '< 50,000',
    bound: '',
    raw: '',
    ratio: '',
  },
  {
    figure: 'durable appends/s, one at a time',
    value: n(es.eventStore?.appendsPerSecOneAtATimeDurable),
    target: '',
    bound: 'raw LMDB flushed puts/s',
    raw: n(es.rawLmdb?.putsPerSecOneAtATimeFlushed),
    ratio: n(es.ratios?.oneAtATimeVsRawFlushedPut, 2),
  },
  {
    figure: 'durable appends/s, 64 in flight (group commit)',
    value: n(es.eventStore?.appendsPerSec64InFlightDurable),
    target: '',
    bound: 'raw LMDB batched flushed puts/s',
    raw: n(es.rawLmdb?.putsPerSecBatchedFlushed),
    ratio: n(es.ratios?.inFlight64VsRawBatchedFlushedPuts, 2),
  },
);
const m = s.machines ?? {};
rows.push(
  {
    figure: 'replay events/s (fold, W3)',
    value: n(m.w3?.foldEventsPerSec),
    target: '≥ 200,000',
    bound: 'bare XState live send/s',
    raw: n(m.bareXState?.liveSendPerSec),
    ratio: ratio(m.w3?.foldEventsPerSec, m.bareXState?.liveSendPerSec),
  },
  {
    figure: 'XState transition() events/s (W3 machine)',
    value: n(m.w3?.xstateTransitionEventsPerSec),
    target: '',
    bound: 'bare XState transition()/s',
    raw: n(m.bareXState?.pureTransitionPerSec),
    ratio: ratio(m.w3?.xstateTransitionEventsPerSec, m.bareXState?.pureTransitionPerSec),
  },
  {
    figure: 'receipt rebuild events/s',
    value: n(es.receiptRebuild?.eventsPerSec),
    target: '≥ 100,000',
    bound: '',
    raw: '',
    ratio: '',
  },
  {
    figure: 'compile a 1,000-step plan (ms)',
    value: n(m.plan1000Steps?.compileMs, 1),
    target: '',
    bound: '',
    raw: '',
    ratio: '',
  },
);
const c = s.cli ?? {};
rows.push({
  figure: `\`lily --help\` cold start (ms${typeof c.note === 'string' ? `; ${c.note}` : ''})`,
  value: n(c.helpColdMedianMs, 1),
  target: '< 150',
  bound: '`node -e 0` (ms)',
  raw: n(c.nodeStartMedianMs, 1),
  ratio: ratio(c.helpColdMedianMs, c.nodeStartMedianMs),
});

const table = [
  '| figure | measured | target | bounded by | raw limit (same run) | ratio |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.bound} | ${r.raw} | ${r.ratio} |`),
].join('\n');

// A horizontal bar chart: W3 throughput at each level next to the NATS-bound ceiling.
const bars = [1, 16, 64, 256].map((k) => ({ label: `${k} in flight`, value: Number(at(k).runsPerSec ?? 0) }));
const ceiling = Number((rr.natsRequestReply64InFlightPerSec ?? 0) / 3);
const max = Math.max(ceiling, ...bars.map((b) => b.value), 1);
const W = 640;
const barW = (v: number) => Math.max(1, Math.round((v / max) * (W - 200)));
const svgRows = [...bars, { label: 'NATS ceiling', value: ceiling }]
  .map((b, i) => {
    const y = 40 + i * 36;
    const fill = b.label === 'NATS ceiling' ? '#9aa5b1' : '#2f6fde';
    return `<text x="10" y="${y + 17}" font-size="13">${b.label}</text><rect x="120" y="${y}" width="${barW(b.value)}" height="24" fill="${fill}"/><text x="${126 + barW(b.value)}" y="${y + 17}" font-size="13">${Math.round(b.value)} runs/s</text>`;
  })
  .join('\n');
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${60 + 5 * 36}" font-family="sans-serif" role="img">
<title>W3 runs per second at 1, 16, 64 and 256 runs in flight, next to the NATS-bound ceiling</title>
<text x="10" y="22" font-size="15" font-weight="bold">W3 runs/s through engine + worker over NATS (${report.machine?.cpus} cores)</text>
${svgRows}
</svg>
`;
writeFileSync(join(docs, 'benchmarks.svg'), svg);

const t = s.trust ?? {};
const trustSection = t.engine
  ? `
## The cost of authentication per message

Every dispatch is sealed by the engine (Ed25519 over its claims and a sha256 digest of what it
carries) and verified by the worker before it runs; every reply carries an HMAC-SHA256 proof
under its dispatch's reply key, checked by the run host (docs/decisions/030). Measured in the
same run (\`bench/trust.bench.ts\`, median µs per call, one core):

| per message                               | µs                                  | what a message costs anyway (same run)           |
| ----------------------------------------- | ----------------------------------- | ------------------------------------------------ |
| engine: seal a dispatch (sign)            | ${n(t.engine.sealDispatchUs, 1)}    | canonical JSON of the dispatch: ${n(t.rawLimits?.canonicalJsonOfDispatchUs, 1)} |
| engine: seal a dispatch, ${n(t.batch?.size)} in one turn (one signature) | ${n(t.engine.sealInFullBatchUs, 1)} |                                      |
| worker: verify a seal                     | ${n(t.worker.verifySealUs, 1)}      |                                                  |
| worker: verify a seal, all ${n(t.batch?.size)} of a turn received | ${n(t.worker.verifyInFullBatchUs, 1)} |                                      |
| worker: prove a reply (HMAC)              | ${n(t.worker.proveReplyUs, 1)}      |                                                  |
| run host: screen a reply (HMAC; reply key kept from the seal) | ${n(t.engine.screenReplyUs, 1)} | JSON.parse of the reply: ${n(t.rawLimits?.jsonParseOfReplyUs, 1)} |
| run host: screen a reply, deriving its reply key again | ${n(t.engine.screenReplyDerivingKeyUs, 1)} |                                      |
| per W3 step (1 dispatch, 2 replies): engine / worker | ${n(t.engine.perStepUs, 1)} / ${n(t.worker.perStepUs, 1)} | one W3 run one at a time, p50: ${n(p.oneAtATime?.p50Ms, 1)} ms (3 steps) |

A seal adds ${n(t.sealBytes)} bytes to a dispatch (${n(t.batch?.sealBytes)} when it shares its signature with
${n(t.batch?.size)} dispatches: the list of their claims' hashes, docs/decisions/034). Ed25519 verification is the largest part; it
buys verification by workers that hold only the engine's public key (a shared HMAC key would
cost ~2 µs but would let every worker mint dispatches).
`
  : '';

// ---------------------------------------------------------------- peers (same sitting)
const peers = s.peers ?? {};
const bull = peers['bullmq.chain.aof_always'] as J | undefined;
/** CPU ms per run of one process at a level, the receipts' wait included (the usage table's last column). */
const cpuPerRun = (k: number, proc: 'engineProcess' | 'worker' | 'natsServer'): number => {
  const t = at(k);
  return (10 * (t.cpuPctOfOneCore?.[proc] ?? Number.NaN)) / (t.runsPerSecWithReceipts ?? t.runsPerSec);
};
/** CPU ms per W3 run at 64 in flight of every process on its path (engine process, worker, nats-server). */
const lilyCpuPerRun64 = (): number =>
  cpuPerRun(64, 'engineProcess') + cpuPerRun(64, 'worker') + cpuPerRun(64, 'natsServer');
/** The same for the peer: its Node process (driver, Worker, QueueEvents) and redis-server. */
const bullCpu = bull?.throughput?.cpuMsPerWorkflow as { node: number; redis: number } | undefined;
const bullCpuPerRun = bullCpu ? bullCpu.node + bullCpu.redis : Number.NaN;
const peerTable = bull
  ? [
      '| W3 | Lily | BullMQ 6.7 chain, Redis AOF `appendfsync always` | Lily ÷ BullMQ | target |',
      '|---|---|---|---|---|',
      `| runs/s, 64 in flight | ${n(at(64).runsPerSec)} | ${n(bull.throughput?.workflowsPerSec)} | ${ratio(at(64).runsPerSec, bull.throughput?.workflowsPerSec)} | ≥ 3 |`,
      ...(at(64).runsPerSecWithReceipts === undefined
        ? []
        : [
            `| runs/s, 64 in flight, until the last receipt is written | ${n(at(64).runsPerSecWithReceipts)} | ${n(bull.throughput?.workflowsPerSec)} | ${ratio(at(64).runsPerSecWithReceipts, bull.throughput?.workflowsPerSec)} | ≥ 3 |`,
          ]),
      `| one at a time, p50 ms | ${n(p.oneAtATime?.p50Ms, 2)} | ${n(bull.latency?.p50Ms, 2)} | ${ratio(p.oneAtATime?.p50Ms, bull.latency?.p50Ms)} | < 1 |`,
      `| one at a time, p99 ms | ${n(p.oneAtATime?.p99Ms, 2)} | ${n(bull.latency?.p99Ms, 2)} | ${ratio(p.oneAtATime?.p99Ms, bull.latency?.p99Ms)} | Lily ≤ 6 ms |`,
      ...(bullCpu
        ? [
            `| CPU per run at 64 in flight, ms, every process (Lily: engine process, worker, nats-server; BullMQ: its Node process, redis-server) | ${n(lilyCpuPerRun64(), 2)} | ${n(bullCpuPerRun, 2)} (Node ${n(bullCpu.node, 2)}, redis ${n(bullCpu.redis, 2)}) | ${ratio(lilyCpuPerRun64(), bullCpuPerRun)} | |`,
          ]
        : []),
    ].join('\n')
  : 'Not run: `npm run bench -- --peers` adds it (needs `redis-server` and the `bullmq`/`ioredis` dev dependencies).';
const peerNote = bull
  ? `BullMQ ${peers.versions?.bullmq}, ioredis ${peers.versions?.ioredis}, Redis ${peers.versions?.redis} with \`appendonly ${peers.redis?.appendonly}\`, \`appendfsync ${peers.redis?.appendfsync}\` (its own redis-server, started and stopped by this bench); ${n(peers.params?.N)} workflows with ${n(peers.params?.CONC)} in flight, ${n(peers.params?.LAT_N)} one at a time, ${n(peers.params?.WARMUP)} warm-up workflows first (the harness in \`../shared/peers\`). Lily's 64-in-flight figure is a ${n(p.levelSeconds)}-second closed loop after its own warm-up, and the second row also counts the wait until the projector has written those runs' receipts (${n(at(64).receiptsCatchUpMs)} ms); its latency figures are ${n(p.oneAtATime?.runs)} runs one at a time${p.warmUp ? `, after a warm-up of ${n(p.warmUp.oneAtATimeRuns)} runs one at a time and ${n(p.warmUp.at64Ms / 1000)} s at 64 in flight (the peer measures its latency after its throughput phase)` : ''}. Load average before / after the peer: ${(peers.loadavgBeforeAfter ?? []).map((l: number[]) => l?.[0]).join(' / ')}.`
  : '';

/** A warning when the two sides warmed the pipeline up differently before their one-at-a-time runs. */
const warmUpChanged = (earlier: J): string => {
  const w = (r: J) => JSON.stringify(r.sections?.pipeline?.warmUp ?? null);
  if (w(earlier) === w(report)) return '';
  const say = (r: J) => {
    const x = r.sections?.pipeline?.warmUp;
    return x
      ? `${n(x.oneAtATimeRuns)} runs one at a time and ${n(x.at64Ms / 1000)} s at 64 in flight`
      : '50 runs one at a time';
  };
  return `\nThe two sides warmed the pipeline up differently before their one-at-a-time runs (before: ${say(earlier)}; after: ${say(report)}; decision 042), so the one-at-a-time figures and the budget compare the two warm-ups as much as the two builds.\n`;
};

// ---------------------------------------------------------------- latency budget
const b = p.budget ?? {};
const appendsPerRun = appendsPerRunOf(p);
const raw = p.rawLimits ?? {};
const segs: J[] = b.segments ?? [];
const seg = (name: string) => segs.find((x) => x.name === name) ?? {};
const budgetTable = [
  '| segment of one W3 run (one at a time) | per run | p50 ms | mean ms | share of the mean |',
  '|---|---|---|---|---|',
  ...segs.map(
    (x) => `| ${x.name} | ${x.perRun} | ${n(x.p50Ms, 2)} | ${n(x.meanMs, 2)} | ${n(x.sharePct, 1)} % |`,
  ),
  `| **client request → client sees \`run.completed\`** | | **${n(b.totalP50Ms, 2)}** | **${n(b.totalMeanMs, 2)}** | 100 % |`,
].join('\n');
const tail: J | undefined = b.tail;
/** The slowest runs' budget against the typical run's: where the p99 comes from. */
const tailSection = (): string => {
  if (!tail) return '';
  const rows = (tail.segments as J[])
    .filter((x) => Math.abs(x.excessMs) >= 0.005)
    .map((x) => `| ${x.name} | ${n(x.typicalMeanMs, 2)} | ${n(x.slowMeanMs, 2)} | ${n(x.excessMs, 2)} |`);
  const c = tail.committingInDispatches;
  const excess = (tail.slowMeanMs ?? 0) - (tail.typicalMeanMs ?? 0);
  const commitExcess = c ? c.slowMeanMs - c.typicalMeanMs : 0;
  const committing = c
    ? ` Inside "dispatch: NATS hops", the engine's thread was still in the synchronous commit and fsync of the append that recorded a dispatch for ${n(c.typicalMeanMs, 2)} ms of a typical run and ${n(c.slowMeanMs, 2)} ms of a slow one, counted from each dispatch leaving: an answer that arrives meanwhile waits in the socket. The commit's extra time is ${n(commitExcess, 2)} ms of the slow runs' ${n(excess, 2)} ms excess (${n((100 * commitExcess) / Math.max(1e-9, excess))} %): the fsync's tail on the engine's thread (decisions 037, 040, 041).`
    : '';
  const gc = tail.gc
    ? ` Garbage collection paused the engine's process for ${n(tail.gc.typicalMeanMs, 2)} ms in a typical run and ${n(tail.gc.slowMeanMs, 2)} ms in a slow one (inside the segments below, whichever was running).`
    : '';
  return [
    '### The tail: where the slowest runs lose their time',
    '',
    `The ${n(tail.slowRuns)} slowest of these ${n(b.runs)} runs (${n(tail.fromMs, 2)} ms or more, their p95) took ${n(tail.slowMeanMs, 2)} ms on average; the runs at or below the median, ${n(tail.typicalMeanMs, 2)} ms.${committing}${gc}`,
    '',
    'Per segment, mean ms per run, largest excess first:',
    '',
    '| segment | typical run (≤ p50) | slow run (≥ p95) | excess |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
};
const perAppend = b.perAppendP50Ms ?? {};
const flushPut = raw.lmdbFlushedPut ?? {};
const WRITE_SEGMENT = 'append: write (read heads, encode, put)';
const mc = raw.machines ?? {};
const xp = raw.natsCrossProcess;
const perDispatchHops = (seg('dispatch: NATS hops to the worker and back').p50Ms ?? Number.NaN) / 3;
const rawTable = [
  '| raw limit, measured in the same run | value | the budget segment it bounds |',
  '|---|---|---|',
  `| one flushed LMDB put (put, then \`flushed\`), p50 / p99 ms | ${n(flushPut.p50Ms, 3)} / ${n(flushPut.p99Ms, 3)} | append: commit and fsync, p50 per append ${n(perAppend['append: commit and fsync (write thread)'], 3)} ms (× ${n(appendsPerRun)} appends per run) |`,
  `| ${flushPut.encoding === 'json' ? 'JSON' : 'msgpack'} encoding of a W3 event as the log stores it, µs (bytes) | ${n(flushPut.encodeUsPerEvent ?? flushPut.msgpackEncodeUsPerEvent, 1)} (${n(flushPut.bytesPerEvent ?? flushPut.msgpackBytesPerEvent)}) | append: write, p50 per append ${n(perAppend[WRITE_SEGMENT] ?? perAppend['append: write (read heads, msgpack encode, put)'], 3)} ms (${n((b.eventsPerRun ?? 0) / Math.max(1, appendsPerRun ?? 1), 1)} events per append) |`,
  `| NATS request/reply one at a time, p50 ms: bare client / through Lily's bus | ${n(raw.natsRequestReplySequentialP50Ms, 3)} / ${n(raw.busRequestReplySequentialP50Ms, 3)} | dispatch: NATS hops, p50 per dispatch ${n(perDispatchHops, 3)} ms |`,
  ...(xp
    ? [
        `| NATS request/reply one at a time to another process (bare client), p50 / p99 ms: back to back / after ${n(xp.pauseMs)} ms idle | ${n(xp.p50Ms, 3)} / ${n(xp.p99Ms, 3)} · ${n(xp.afterPauseP50Ms, 3)} / ${n(xp.afterPauseP99Ms, 3)} | dispatch: NATS hops, p50 per dispatch ${n(perDispatchHops, 3)} ms (engine and worker are two processes; one at a time, each waits idle between steps) |`,
      ]
    : []),
  `| run program \`apply\` (the host's fold), µs per fact | ${n(mc.runProgramApplyUs, 1)} | run host: decode, validate, decide, p50 ${n(seg('run host: decode, validate, decide').p50Ms, 2)} ms for ${n(seg('run host: decode, validate, decide').perRun)} facts |`,
  `| XState \`transition()\`, µs per event: W3 machine / bare two-state machine | ${n(mc.w3XStateTransitionUs, 1)} / ${n(mc.bareXStateTransitionUs, 1)} | (the host folds with \`apply\`; XState runs in replay verification) |`,
].join('\n');

// ---------------------------------------------------------------- CPU profile at 64 in flight
const prof = p.profile ?? {};
const pe = prof.engine ?? {};
const pw = prof.worker ?? {};
const catNames = [
  ...new Set([...(pe.byCategory ?? []), ...(pw.byCategory ?? [])].map((c: J) => c.name as string)),
].filter((c) => c !== 'idle');
const pctOf = (list: J[] | undefined, name: string) => list?.find((c) => c.name === name)?.pctBusy;
const catTable = [
  '| self time by package (share of busy time) | engine process | worker |',
  '|---|---|---|',
  ...catNames
    .map((c) => ({ c, e: pctOf(pe.byCategory, c) ?? 0, w: pctOf(pw.byCategory, c) ?? 0 }))
    .filter((r) => r.e >= 0.5 || r.w >= 0.5)
    .sort((x, y) => y.e - x.e)
    .map((r) => `| ${r.c} | ${n(r.e, 1)} % | ${n(r.w, 1)} % |`),
  `| busy / profiled wall time, ms | ${n(pe.busyMs)} / ${n(pe.wallMs)} | ${n(pw.busyMs)} / ${n(pw.wallMs)} |`,
].join('\n');
const dirTable = [
  "| Lily's own code, by directory (share of busy time) | engine process | worker |",
  '|---|---|---|',
  ...[...new Set([...(pe.byLilyDir ?? []), ...(pw.byLilyDir ?? [])].map((c: J) => c.name as string))]
    .map((d) => ({ d, e: pctOf(pe.byLilyDir, d) ?? 0, w: pctOf(pw.byLilyDir, d) ?? 0 }))
    .filter((r) => r.e >= 0.5 || r.w >= 0.5)
    .sort((x, y) => y.e - x.e)
    .map((r) => `| ${r.d} | ${n(r.e, 1)} % | ${n(r.w, 1)} % |`),
].join('\n');
const fnTable = (fns: J[] | undefined, k: number) =>
  [
    '| function (self time) | where | package | share of busy |',
    '|---|---|---|---|',
    ...(fns ?? [])
      .slice(0, k)
      .map(
        (f) =>
          `| \`${f.name}\` | ${f.where ? `\`${f.where}\`` : ''} | ${f.category} | ${n(f.pctBusy, 1)} % |`,
      ),
  ].join('\n');
const u64 = at(64);
const usage = (t: J) =>
  t.cpuPctOfOneCore
    ? `engine process ${n(t.cpuPctOfOneCore.engineProcess)} % of a core (event loop ${n(100 * (t.eventLoopUtilization?.engineProcess ?? Number.NaN))} % busy), worker ${n(t.cpuPctOfOneCore.worker)} % (event loop ${n(100 * (t.eventLoopUtilization?.worker ?? Number.NaN))} %), nats-server ${n(t.cpuPctOfOneCore.natsServer)} %`
    : 'not measured';
const usageTable = [
  '| in flight | runs/s | runs/s until the receipts are written (wait after the loop) | engine process CPU | engine event loop busy | worker CPU | worker event loop busy | nats-server CPU | engine / worker CPU per run, ms |',
  '|---|---|---|---|---|---|---|---|---|',
  ...[1, 16, 64, 256].map((k) => {
    const t = at(k);
    const c = t.cpuPctOfOneCore ?? {};
    const e = t.eventLoopUtilization ?? {};
    const perRun = (pct: number | undefined) =>
      n((10 * (pct ?? Number.NaN)) / (t.runsPerSecWithReceipts ?? t.runsPerSec), 2);
    return `| ${k} | ${n(t.runsPerSec)} | ${n(t.runsPerSecWithReceipts)} (${n(t.receiptsCatchUpMs)} ms) | ${n(c.engineProcess)} % | ${n(100 * (e.engineProcess ?? Number.NaN))} % | ${n(c.worker)} % | ${n(100 * (e.worker ?? Number.NaN))} % | ${n(c.natsServer)} % | ${perRun(c.engineProcess)} / ${perRun(c.worker)} |`;
  }),
].join('\n');
const loads = p.loadavg ?? {};
const loadLine = Object.entries(loads)
  .map(([k, v]) => `${k} ${(v as number[])[0]}`)
  .join(', ');
/** What bounds W3 at 64 in flight, from how busy the engine's event loop was and how much CPU it got. */
/**
 * The whole machine's CPU per W3 run at 64 in flight (engine process, worker, nats-server) against
 * what the issue's target leaves: the machine's cores divided by 3× the peer's runs/s.
 */
const cpuBudget = (): string => {
  const c = u64.cpuPctOfOneCore;
  const peer = bull?.throughput?.workflowsPerSec;
  const cores = report.machine?.cpus;
  if (!c || typeof peer !== 'number' || typeof cores !== 'number') return '';
  const perRun = lilyCpuPerRun64();
  const allowed = (1000 * cores) / (3 * peer);
  const peerCpu = Number.isFinite(bullCpuPerRun)
    ? ` BullMQ's own workflow cost ${n(bullCpuPerRun, 2)} ms in the same sitting (its Node process ${n(bullCpu?.node, 2)}, redis-server ${n(bullCpu?.redis, 2)}): Lily's run costs ${ratio(perRun, bullCpuPerRun)} times its CPU, so the gap in runs/s at 64 in flight is a gap in work per run, not in waiting.`
    : '';
  const side = s.sideBySide?.at64 as J | undefined;
  const sideBySide = side?.runsPerSec
    ? ` Side by side, in alternating windows of this sitting (its section above), Lily's run cost ${n(side.cpuMsPerRun?.ratio, 2)} times BullMQ's CPU and Lily reached ${n(side.runsPerSec.ratio, 2)} of its runs/s (medians of ${n(s.sideBySide.rounds)} rounds).`
    : '';
  return (
    `- **The CPU arithmetic of the target.** At 64 in flight a W3 run costs ${n(perRun, 2)} ms of CPU on this machine ` +
    `(engine process, worker and nats-server together). Three times the peer's ${n(peer)} runs/s on ${cores} cores leaves ` +
    `${n(allowed, 2)} ms per run for all three, even with every core busy and nothing else running: a run would have ` +
    `to cost ${n(perRun / allowed, 1)} times less CPU than it does now. Every cut so far has taken a few percent. The ` +
    'target needs a run to make a fraction of the messages, encodings and signatures it makes now (a dispatch and a ' +
    'reply per step, 18 events republished), not a faster way to make each of them.' +
    peerCpu +
    sideBySide
  );
};

const bound64 = (): string => {
  const elu = u64.eventLoopUtilization?.engineProcess;
  const cpu = u64.cpuPctOfOneCore?.engineProcess;
  if (typeof elu !== 'number' || typeof cpu !== 'number') return '';
  if (elu < 0.9)
    return (
      `The engine's event loop was idle ${n(100 * (1 - elu))} % of the time: its runs were waiting on the group ` +
      'commit (fsync), the wire or the worker, not on its CPU' +
      (cpu / 100 < 0.7 * elu
        ? `; and while it had work its process got ${n(cpu)} % of a core for ${n(100 * elu)} % busy: the machine was oversubscribed (load average ${loads.afterThroughput?.[0] ?? '—'} on ${report.machine?.cpus} cores).`
        : '.')
    );
  if (cpu / 100 < 0.7 * elu)
    return (
      `The engine's event loop always had work (${n(100 * elu)} % busy) but its process got only ${n(cpu)} % of a core: ` +
      `it was runnable and waiting for a CPU. The machine was oversubscribed (load average ${loads.afterThroughput?.[0] ?? '—'} ` +
      `on ${report.machine?.cpus} cores), so on this run W3 throughput is bound by the CPU the engine's main thread gets; ` +
      'on an idle machine the same profile says the engine is CPU-bound on its one thread, spending it as the profile shows.'
    );
  return (
    `The engine's event loop is saturated (${n(100 * elu)} % busy, ${n(cpu)} % of a core): W3 throughput is bound ` +
    "by the engine's main thread, spent as the profile shows, not by the disk or the wire."
  );
};
const incl = (mod: string) => n(pctOf(pe.inclusiveLilyModules, mod), 1);
const topSegs = [...segs].sort((x, y) => y.meanMs - x.meanMs).slice(0, 3);

const md = `# Benchmarks

Numbers from one \`npm run bench -- --peers\` on this machine (${report.machine?.cpus} cores, Node ${report.machine?.node},
${report.startedAt}). Each figure stands next to the raw limit of the part that bounds it,
measured in the same run, so the ratio means the same on any machine. The machine was shared
while this ran: load average ${report.machine?.loadavgAtStart?.[0]} at the start and ${report.machine?.loadavgAtEnd?.[0]} at the end
(during the pipeline: ${loadLine}) on ${report.machine?.cpus} cores, so absolute numbers are low and
noisy; read the ratios, which were measured side by side.

To redo it:

\`\`\`sh
npm run bench -- --peers > /tmp/bench.json   # JSON report on stdout, progress on stderr
npx tsx bench/report.ts /tmp/bench.json       # rewrites this page and benchmarks.svg
# with --before bench/baselines/<file>.json: a before/after section against an earlier report
# one change against the build before it, in one sitting: bench/ab.ts (alternating rounds;
# medians, each side's range, and whether the ranges are apart: its header says how)
\`\`\`

![W3 throughput](benchmarks.svg)

${table}

## Against the peer, same sitting

${peerTable}

${peerNote}

${sideBySideSection(s.sideBySide, report.machine?.cpus ?? 1)}

${stepsSection(s.steps, s.sideBySide?.at64?.runsPerSec?.b ?? bull?.throughput?.workflowsPerSec, report.machine?.cpus ?? 1)}

${
  before
    ? `## Before and after

${beforeAfter(before, report, { before: before.label ?? 'before', after: report.label ?? 'after' })}
${warmUpChanged(before)}
`
    : ''
}## Latency budget: where each millisecond of one W3 run goes

One W3 run at a time, ${n(b.runs)} runs, with every probe on (src/contracts/probe.ts: an append's
phases, each bus publish and delivery, the projector; off by default, one branch each). The
points of a run, in time order, form a chain from the client's request to its sight of
\`run.completed\`; each gap between two points is one segment, so the segments add up to the
run (coverage ${n(b.coverage, 3)}). A dispatch's round trip, timed by the engine, is split into the
worker's own time (receive to reply, on its clock) and the NATS hops. A run records
${n(b.probeCost?.pointsPerRun)} points in the two processes at ${n(b.probeCost?.nsPerPoint)} ns each: the probes add about
${n(b.probeCost?.usPerRun, 1)} µs to a run. These ${n(b.runs)} runs had a p50 of ${n(b.probedP50Ms, 2)} ms and a p99 of ${n(b.probedP99Ms, 2)} ms; the
${n(p.oneAtATime?.runs)} runs just before them, probes off, ${n(p.oneAtATime?.p50Ms, 2)} / ${n(p.oneAtATime?.p99Ms, 2)} ms: the difference is
the machine's load moving between the two phases.

${budgetTable}

p50 of one append's phases: ${Object.entries(perAppend)
  .map(([k, v]) => `${String(k).replace('append: ', '')} ${n(v, 3)} ms`)
  .join(', ')}. The group commit is synchronous on the engine's thread and returns once its fsync is done
(decision 037), so the commit and the flush are one segment. The projector (receipts, after \`run.completed\`, off the client's path) took
${n(b.projector?.p50Ms, 2)} ms p50 per run, from the moment it took \`run.completed\` to its last receipt file, and was
still running when the next request arrived in ${n(b.projector?.overlapsNextRequestPct)} % of the runs. ${
  p.projectorMode === 'thread'
    ? "In this run it ran in the engine's projector thread (the default of a long-lived engine), where it shares a core with that request, not the loop."
    : "In this run it ran on the engine's event loop (`projector: inline`), where it shares the loop with that request."
} Decision 032 measures both. "Outbox: dispatch before the flush" is a
dispatch leaving as soon as its append is written into the transaction, before the commit (decisions
033, 038, 039: a worker's answer's dispatches, and a launch's of effect-free steps). The engine's
thread then commits and waits for the fsync, so the answer can be read only after it: those
appends' commits and fsyncs are inside "dispatch: NATS hops" (the line "left once the answer is
back" counts what an fsync adds after an answer that was read first, which a synchronous commit
leaves at 0), and only the appends whose commands wait for the flush count in "commit and fsync".

${tailSection()}

${rawTable}

## CPU profile at 64 in flight

Both processes under the V8 sampling profiler (${n(prof.samplingIntervalUs)} µs) for one more
64-in-flight phase (${n(prof.runsPerSecUnderProfiler)} runs/s under the profiler). The engine's
process also holds the load client (its NATS connection and \`run.completed\` subscription), so
part of its \`nats\` share is the client's. Time in Node internals and native code (fs and socket
bindings, lmdb's addon, TextEncoder) counts for the package or Lily directory that called it.
The \`.cpuprofile\` files (open them in Chrome DevTools) go to a temp directory named in the
JSON (\`pipeline.profile.files\`), or to \`LILY_BENCH_PROFILE_DIR\`.

${catTable}

${dirTable}

Lily modules with everything they call (synchronous stacks; share of the engine's busy time):
${pe.inclusiveLilyModules
  ?.slice(0, 12)
  .map((c: J) => `\`${c.name}\` ${n(c.pctBusy, 1)} %`)
  .join(', ')}.

Top functions of the engine's process by self time:

${fnTable(pe.topFunctions, 15)}

Top functions of the worker by self time:

${fnTable(pw.topFunctions, 10)}

How busy each process was at each level (CPU of all threads, as a share of one core; event
loop utilization of the main thread). A level is a closed loop of its runs for its seconds, then
a wait until the projector has written every finished run's receipts (on the engine's loop it
falls behind under load); the usage figures and the CPU per run cover both:

${usageTable}

## What the numbers say

- **The budget.** The largest segments of a run one at a time are ${topSegs
  .map((x) => `${x.name} (${n(x.meanMs, 1)} ms mean, ${n(x.sharePct, 0)} %)`)
  .join(', ')}. A run makes ${n(appendsPerRun)} sequential flushed appends; at the raw flushed put
  measured in this run (${n(flushPut.p50Ms, 2)} ms p50) they would cost ${n((flushPut.p50Ms ?? Number.NaN) * (appendsPerRun ?? Number.NaN), 1)} ms end to end, against
  ${n(seg('append: commit and fsync (write thread)').p50Ms, 1)} ms measured on the path (the flushes that overlap a dispatch are inside its round trip, see the budget).
- **One at a time** the same run costs more CPU than at 64 in flight: ${n(cpuPerRun(1, 'engineProcess'), 1)} against ${n(cpuPerRun(64, 'engineProcess'), 1)} ms
  in the engine's process and ${n(cpuPerRun(1, 'worker'), 1)} against ${n(cpuPerRun(64, 'worker'), 1)} ms in the worker (usage table). Part of it is batching: at 64 in flight runs share write
  transactions, flushes and messages, so what each of those costs is spread over many runs. The rest is
  waking up: one at a time, every hop wakes a process that sat idle (the worker between its steps, the
  engine while a step runs), and on this virtual machine a process woken from idle runs slower.${
    xp
      ? ` The bare round trip to another process shows it: ${n(xp.p50Ms, 3)} ms p50 back to back, ${n(xp.afterPauseP50Ms, 3)} ms after ${n(xp.pauseMs)} ms idle, against ${n(perDispatchHops, 3)} ms per dispatch for the NATS hops of a run.`
      : ''
  }
- **At 64 in flight** W3 reaches ${n(u64.runsPerSec)} runs/s: ${usage(u64)}. ${bound64()} The NATS-bound ceiling (request/reply at 64 in flight ÷ 3) is ${n((rr.natsRequestReply64InFlightPerSec ?? 0) / 3)} runs/s.
- **What bounds W3 now.** One at a time, a run makes ${n(appendsPerRun)} flushed appends: the request with the
  run's start and first dispatch (one flush for the job's index and the run's stream), one per
  step answer, and the last answer with \`run.completed\`. W3's steps change nothing, so each of
  their dispatches leaves before the commit that records it (the launch's by decision 039, the
  answers' by 033, both ahead of the commit by 038): those flushes overlap the next step's round
  trip. The last append's flush stays on the path (${n(seg('append: commit and fsync (write thread)').meanMs, 2)} ms per run). Every commit is synchronous on the
  engine's thread (decision 037): while it waits for its fsync nothing else in the engine runs, so
  an answer that arrives meanwhile waits in the socket, and the overlap pays only where the fsync
  is longer than the round trip. At 64 in flight the engine's main thread is the
  bound (see the usage table): ${n(pctOf(pe.byCategory, 'lmdb/msgpackr'), 1)} % of it in lmdb-js and msgpackr (${incl('eventstore/lmdb-event-store')} % with
  everything the store calls, the fsyncs' waits included), ${incl('actors/trust/engine-seals')} % the engine's side of trust (sealing dispatches, one Ed25519 signature per turn's batch, and screening every reply's HMAC proof),
  ${incl('actors/engine/outbox')} % the outbox (every stored event republished on its \`evt\` subject, as the bytes the log stored: decision 036),
  ${n(pctOf(pe.byCategory, 'GC'), 1)} % GC and ${n(pctOf(pe.byCategory, 'zod'), 1)} % zod. The levers this page used to name were measured again as
  ceilings, builds that drop the work entirely (decision 043): with no fsync at all (the most a writer
  thread of Lily's own could give) W3 reached 1.07–1.15× the runs/s at 64 in flight and 0.73–0.94× the
  p50; with no event republished, nothing above the noise; with a third fewer events per run, about
  5 % of a step's CPU; the receipts cost the machine an estimated
  0.3–0.5 ms of CPU per run in the projector thread, and stay. \`noMetaSync\` with the meta page
  synced off the thread lost acknowledged appends with several writers (decision 041); one message
  per executor carrying a turn's dispatches gained inside the noise (decision 042); a commit rewrites
  about 12 pages, because an append touches 5 LMDB databases (decision 042). What bounds W3 is the CPU
  a run costs, spread over the whole path: the section on what a run costs once and per step gives
  the line, and the budget the target leaves.
${cpuBudget()}
${floorVerdict(s.sideBySide, report.machine?.cpus ?? 1)}- **Memory:** ${n(p.memory?.bytesPerActiveRun)} bytes of engine heap per active run (target < 50,000);
  replay ${n(m.w3?.foldEventsPerSec)} events/s (target ≥ 200,000); receipt rebuild
  ${n(es.receiptRebuild?.eventsPerSec)} events/s (target ≥ 100,000); \`lily --help\` ${n(c.helpColdMedianMs)} ms, of which
  ${n(c.nodeStartMedianMs)} ms is Node's own start.
- **Group commit works:** 64 concurrent durable appends reach ${n(es.eventStore?.appendsPerSec64InFlightDurable)}/s against
  ${n(es.eventStore?.appendsPerSecOneAtATimeDurable)}/s one at a time.

${trustSection}
The full JSON of the run this page was made from is reproduced by the command above; the
sections are ${Object.keys(s)
  .map((k) => `\`${k}\``)
  .join(', ')}.
`;
writeFileSync(join(docs, 'benchmarks.md'), md);
// Tables aligned as the format check wants them (npm run verify checks docs too).
spawnSync('npx', ['biome', 'format', '--write', join(docs, 'benchmarks.md')], { stdio: 'ignore' });
process.stdout.write('wrote docs/benchmarks.md and docs/benchmarks.svg\n');
