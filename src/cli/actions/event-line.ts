import type { StoredEvent } from '../../contracts/events/envelope.js';
import { colorStatus, formatDuration } from '../render/format.js';
import type { Colors } from '../render/ui.js';

type Data = Record<string, unknown>;

const str = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;

/** The few fields of an event's data a person scans for, as `key=value` words. */
export const eventDetails = (c: Colors, e: StoredEvent): string[] => {
  const d = (e.data ?? {}) as Data;
  const words: string[] = [];
  const step = str(d.stepId);
  if (step !== undefined) words.push(c.bold(d.attempt === undefined ? step : `${step}#${str(d.attempt)}`));
  if (d.shard !== undefined) words.push(`shard=${str(d.shard)}`);
  if (d.gateId !== undefined) words.push(`gate=${str(d.gateId)}`);
  if (d.executor !== undefined) words.push(`executor=${str(d.executor)}`);
  if (d.worker !== undefined) words.push(`worker=${str(d.worker)}`);
  if (d.decision !== undefined) words.push(colorStatus(c, String(d.decision)));
  if (d.status !== undefined) words.push(colorStatus(c, String(d.status)));
  if (d.jobId !== undefined && e.type.startsWith('run.')) words.push(`job=${str(d.jobId)}`);
  if (d.timerId !== undefined) words.push(`timer=${str(d.timerId)}`);
  if (d.approvalId !== undefined) words.push(`approval=${str(d.approvalId)}`);
  if (typeof d.durationMs === 'number') words.push(formatDuration(d.durationMs));
  const error = d.error as { code?: unknown } | undefined;
  if (error?.code !== undefined) words.push(c.red(String(error.code)));
  if (d.retryable === true) words.push('retryable');
  const ref = d.ref as { name?: unknown; sha256?: unknown } | undefined;
  if (ref?.sha256 !== undefined) words.push(`${str(ref.name)} ${String(ref.sha256).slice(0, 12)}`);
  return words;
};

/** `  12  03:04:05.006  step.succeeded  fetch#2 9ms` */
export const eventLine = (c: Colors, e: StoredEvent): string => {
  const time = new Date(e.at).toISOString().slice(11, 23);
  return [String(e.seq).padStart(4), c.dim(time), e.type.padEnd(22), ...eventDetails(c, e)]
    .join('  ')
    .trimEnd();
};
