/** What the console shows of an event in one line: the words a person scans for. Pure. */

type Data = Record<string, unknown>;

const str = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;

/** `fetch#2`, `shard=s1`, `worker=1`, `allow`, `blueprint_execution_failed`, ... */
export const eventWords = (type: string, data: unknown): string[] => {
  const d = (data ?? {}) as Data;
  const words: string[] = [];
  const step = str(d.stepId);
  if (step !== undefined) words.push(d.attempt === undefined ? step : `${step}#${str(d.attempt)}`);
  if (d.shard !== undefined) words.push(`shard=${str(d.shard)}`);
  if (d.gateId !== undefined) words.push(`gate=${str(d.gateId)}`);
  if (d.executor !== undefined) words.push(`executor=${str(d.executor)}`);
  if (d.worker !== undefined) words.push(`worker=${str(d.worker)}`);
  if (d.decision !== undefined) words.push(String(d.decision));
  if (d.status !== undefined) words.push(String(d.status));
  if (d.jobId !== undefined && type.startsWith('run.')) words.push(`job=${str(d.jobId)}`);
  if (d.purpose !== undefined) words.push(`timer ${str(d.purpose)}`);
  if (d.by !== undefined) words.push(`by ${str(d.by)}`);
  if (typeof d.delayMs === 'number') words.push(`in ${d.delayMs}ms`);
  if (typeof d.durationMs === 'number') words.push(`${d.durationMs}ms`);
  const error = d.error as { code?: unknown } | undefined;
  if (error?.code !== undefined) words.push(String(error.code));
  if (d.retryable === true) words.push('retryable');
  if (typeof d.reason === 'string' && type !== 'step.skipped') words.push(`“${d.reason}”`);
  const ref = d.ref as { name?: unknown; sha256?: unknown } | undefined;
  if (ref?.sha256 !== undefined) words.push(`${str(ref.name)} ${String(ref.sha256).slice(0, 12)}`);
  return words;
};

/** The family of an event type, for its color: `run`, `step`, `policy`, `approval`, `gate`, `timer`, ... */
export const eventFamily = (type: string): string => type.split('.')[0] ?? type;

/** True for the events that end or fail something, which a history highlights. */
export const isTrouble = (type: string, data: unknown): boolean => {
  const d = (data ?? {}) as Data;
  return (
    type === 'step.failed' ||
    type === 'step.timed_out' ||
    type === 'step.indeterminate' ||
    type === 'gate.failed' ||
    type === 'approval.denied' ||
    (type === 'policy.decided' && d.decision === 'deny') ||
    (type === 'run.completed' && d.status !== 'succeeded')
  );
};
