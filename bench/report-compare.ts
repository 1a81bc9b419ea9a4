/**
 * The "before and after" section of docs/benchmarks.md: two `npm run bench -- --peers` reports
 * (the pipeline and peers sections), figure by figure, each side with its own BullMQ-AOF peer
 * measured in its own sitting, so the ratios to the peer compare and the absolute numbers only
 * roughly (the machine's load differs between the two sittings; both are stated).
 */

import { appendsPerRunOf, type J, n, ratio } from './report-format.js';

const pipe = (r: J): J => r.sections?.pipeline ?? {};
const bull = (r: J): J => r.sections?.peers?.['bullmq.chain.aof_always'] ?? {};
const at = (r: J, k: number): J => (pipe(r).throughput ?? []).find((t: J) => t.inFlight === k) ?? {};
/** Segments renamed since a baseline was taken: old name -> current name. */
const RENAMED: Record<string, string> = {
  'append: write (read heads, msgpack encode, put)': 'append: write (read heads, encode, put)',
};
const segsOf = (r: J): J[] =>
  (pipe(r).budget?.segments ?? []).map((x: J) => ({ ...x, name: RENAMED[x.name] ?? x.name }));
const catOf = (r: J, name: string) =>
  (pipe(r).profile?.engine?.byCategory ?? []).find((c: J) => c.name === name)?.pctBusy;
/** Engine CPU per run at 64 in flight, ms: its share of a core over the runs per second. */
const cpuPerRun = (r: J, who: 'engineProcess' | 'worker') => {
  const t = at(r, 64);
  const pct = t.cpuPctOfOneCore?.[who];
  return typeof pct === 'number' && t.runsPerSec > 0 ? (10 * pct) / t.runsPerSec : undefined;
};

export const beforeAfter = (before: J, after: J, labels: { before: string; after: string }): string => {
  const rows: [string, string, string, string][] = [];
  const add = (figure: string, a: unknown, b: unknown, digits = 0) =>
    rows.push([figure, n(a, digits), n(b, digits), ratio(b, a)]);
  add('one at a time, p50 ms', pipe(before).oneAtATime?.p50Ms, pipe(after).oneAtATime?.p50Ms, 2);
  add('one at a time, p99 ms', pipe(before).oneAtATime?.p99Ms, pipe(after).oneAtATime?.p99Ms, 2);
  for (const k of [1, 16, 64, 256])
    add(`runs/s, ${k} in flight`, at(before, k).runsPerSec, at(after, k).runsPerSec);
  add(
    'engine CPU per run at 64 in flight, ms',
    cpuPerRun(before, 'engineProcess'),
    cpuPerRun(after, 'engineProcess'),
    2,
  );
  add('worker CPU per run at 64 in flight, ms', cpuPerRun(before, 'worker'), cpuPerRun(after, 'worker'), 2);
  add("flushed appends on a run's path", appendsPerRunOf(pipe(before)), appendsPerRunOf(pipe(after)));
  add(
    'BullMQ-AOF runs/s at 64 (same sitting)',
    bull(before).throughput?.workflowsPerSec,
    bull(after).throughput?.workflowsPerSec,
  );
  add(
    'BullMQ-AOF one at a time p50 ms (same sitting)',
    bull(before).latency?.p50Ms,
    bull(after).latency?.p50Ms,
    2,
  );
  const peerRows: [string, string, string][] = [
    [
      'runs/s at 64 ÷ BullMQ-AOF (target ≥ 3)',
      ratio(at(before, 64).runsPerSec, bull(before).throughput?.workflowsPerSec),
      ratio(at(after, 64).runsPerSec, bull(after).throughput?.workflowsPerSec),
    ],
    [
      'one at a time p50 ÷ BullMQ-AOF (target < 1)',
      ratio(pipe(before).oneAtATime?.p50Ms, bull(before).latency?.p50Ms),
      ratio(pipe(after).oneAtATime?.p50Ms, bull(after).latency?.p50Ms),
    ],
  ];
  const names = [...new Set([...segsOf(before), ...segsOf(after)].map((x: J) => x.name as string))];
  const segOf = (r: J, name: string) => segsOf(r).find((x: J) => x.name === name) ?? {};
  const budget = [
    `| segment of one W3 run (one at a time), mean ms per run | ${labels.before} | ${labels.after} |`,
    '|---|---|---|',
    ...names.map((name) => {
      const a = segOf(before, name);
      const b = segOf(after, name);
      const cell = (x: J) => (x.meanMs === undefined ? '—' : `${n(x.meanMs, 2)} (× ${n(x.perRun)})`);
      return `| ${name} | ${cell(a)} | ${cell(b)} |`;
    }),
    `| **total, mean** | **${n(pipe(before).budget?.totalMeanMs, 2)}** | **${n(pipe(after).budget?.totalMeanMs, 2)}** |`,
  ].join('\n');
  const cats = ['lily', 'lmdb/msgpackr', 'GC', 'zod', 'nats', 'node internals'];
  const profile = [
    `| engine self time at 64 in flight, share of busy | ${labels.before} | ${labels.after} |`,
    '|---|---|---|',
    ...cats.map((c) => `| ${c} | ${n(catOf(before, c), 1)} % | ${n(catOf(after, c), 1)} % |`),
  ].join('\n');
  const load = (r: J) => `${r.machine?.loadavgAtStart?.[0] ?? '—'} → ${r.machine?.loadavgAtEnd?.[0] ?? '—'}`;
  return [
    `Before: ${labels.before} (${before.startedAt}, load average ${load(before)}). After: ${labels.after}`,
    `(${after.startedAt}, load average ${load(after)}). Each side was measured with its peer in its own`,
    'sitting, so read the ratios to the peer; absolute numbers move with the load.',
    '',
    [
      '| figure | before | after | after ÷ before |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n'),
    '',
    [
      '| against the peer | before | after |',
      '|---|---|---|',
      ...peerRows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n'),
    '',
    budget,
    '',
    profile,
  ].join('\n');
};
