import type { Colors } from './ui.js';

/** `2024-01-02 03:04:05Z` (UTC, to the second); empty for null. */
export const formatTime = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '' : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;

/** `340ms`, `1.2s`, `2m03s`, `1h02m`; empty for null. */
export const formatDuration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return '';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`;
};

export { formatBytes } from '../../client/index.js';

/** A run or step status, colored: green for success, red for failure, yellow for in-between. */
export const colorStatus = (c: Colors, status: string): string => {
  if (
    status === 'succeeded' ||
    status === 'passed' ||
    status === 'allow' ||
    status === 'granted' ||
    status === 'ok'
  )
    return c.green(status);
  if (['failed', 'denied', 'deny', 'timed_out', 'fail', 'cancelled'].includes(status)) return c.red(status);
  if (['running', 'dispatched', 'requested', 'pending', 'warn'].includes(status)) return c.yellow(status);
  return status;
};

/** First 12 hex digits of a sha256 (what tables show; `artifacts get` accepts unique prefixes). */
export const shortSha = (sha: string): string => sha.slice(0, 12);
