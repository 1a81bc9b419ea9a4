import { open } from 'node:fs/promises';

/** A message a process refused, as its log recorded it (a warn-level entry naming the reason). */
export interface Refusal {
  /** The process whose log holds it (`engine`, `worker-1`, ...). */
  process: string;
  at: number;
  /** `message.rejected`, `dispatch.refused`, `run.request_refused`, ... */
  event: string;
  /** The reason as logged (`reason`, else the error's message, else the log message). */
  reason: string;
  runId: string | null;
  subject: string | null;
}

/** Log events that record a refused message (design.md §8: a warn-level entry naming the reason). */
const REFUSAL = /(^|\.)(rejected|[a-z_]*refused)$/;

/** How much of the end of each log is read: refusals are recent news, and logs grow without bound. */
const TAIL_BYTES = 4 * 1024 * 1024;

const readTail = async (file: string): Promise<string> => {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    // Reading from the middle of the file: drop the partial first line.
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const refusalOf = (process: string, line: string): Refusal | undefined => {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const event = str(entry.event);
  if (event === null || !REFUSAL.test(event) || typeof entry.level !== 'number' || entry.level < 40)
    return undefined;
  const error = entry.error as { message?: unknown } | undefined;
  return {
    process,
    at: typeof entry.time === 'number' ? entry.time : 0,
    event,
    reason: str(entry.reason) ?? str(error?.message) ?? str(entry.msg) ?? event,
    runId: str(entry.runId),
    subject: str(entry.subject),
  };
};

/**
 * The refused messages in the logs of the given processes (the end of each log), newest first:
 * `total` counts them all, `refusals` keeps the newest `limit`.
 */
export const readRefusals = async (
  logs: readonly { process: string; file: string }[],
  limit: number,
): Promise<{ total: number; refusals: Refusal[] }> => {
  const all: Refusal[] = [];
  for (const { process, file } of logs) {
    for (const line of (await readTail(file)).split('\n')) {
      const r = line.length > 0 ? refusalOf(process, line) : undefined;
      if (r) all.push(r);
    }
  }
  all.sort((a, b) => b.at - a.at);
  return { total: all.length, refusals: all.slice(0, limit) };
};
