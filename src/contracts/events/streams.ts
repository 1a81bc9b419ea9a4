import { LilyError } from '../errors.js';
import type { JobId, RunId } from '../ids.js';

/** Stream names: `run/<runId>`, `job/<jobId>`, `approval/<id>`, `system`. */
export const runStream = (runId: RunId): string => `run/${runId}`;
export const jobStream = (jobId: JobId): string => `job/${jobId}`;
export const approvalStream = (approvalId: string): string => `approval/${approvalId}`;
export const SYSTEM_STREAM = 'system';

export type StreamKind = 'run' | 'job' | 'approval' | 'system';

export const parseStream = (stream: string): { kind: StreamKind; id: string } => {
  if (stream === SYSTEM_STREAM) return { kind: 'system', id: '' };
  const slash = stream.indexOf('/');
  const kind = stream.slice(0, slash);
  const id = stream.slice(slash + 1);
  if (slash > 0 && id.length > 0 && (kind === 'run' || kind === 'job' || kind === 'approval')) {
    return { kind, id };
  }
  throw new LilyError('id_invalid', `invalid stream name ${JSON.stringify(stream)}`, {
    kind: 'stream',
    value: stream,
  });
};
