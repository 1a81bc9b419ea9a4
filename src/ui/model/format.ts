/** How the console writes durations, times, sizes and ids. Pure. */

/** `0ms`, `340ms`, `1.25s`, `12.3s`, `2m 03s`, `1h 04m`. */
export const formatDuration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 10_000) return `${(v / 1000).toFixed(2)}s`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)}s`;
  const s = Math.floor(v / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-12-01 01:40:38` in UTC (what the CLI prints), or `—`. */
export const formatTime = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}Z`;
};

/** `01:40:38.453` UTC: event times within a run. */
export const formatClock = (ms: number): string => {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
};

/** `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`; `in 5m` for the future. */
export const formatAgo = (ms: number | null | undefined, now: number): string => {
  if (ms === null || ms === undefined) return '—';
  const delta = now - ms;
  const abs = Math.abs(delta);
  const unit =
    abs < 5_000
      ? ''
      : abs < 60_000
        ? `${Math.round(abs / 1000)}s`
        : abs < 3_600_000
          ? `${Math.round(abs / 60_000)}m`
          : abs < 86_400_000
            ? `${Math.round(abs / 3_600_000)}h`
            : `${Math.round(abs / 86_400_000)}d`;
  if (unit === '') return 'just now';
  return delta >= 0 ? `${unit} ago` : `in ${unit}`;
};

/** `46 B`, `1.2 KiB`, `3.4 MiB`. */
export const formatBytes = (n: number): string => {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
};

/** The offset of `at` from `start`: `+0ms`, `+1.25s`. */
export const formatOffset = (at: number, start: number): string => `+${formatDuration(at - start)}`;

/** A nice tick step (ms) so that `span` gets about `target` ticks. */
export const tickStep = (span: number, target = 8): number => {
  const steps = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
    600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
  ];
  const ideal = span / Math.max(1, target);
  return steps.find((s) => s >= ideal) ?? 86_400_000 * Math.ceil(ideal / 86_400_000);
};
