import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system, all threads) a process has used, from `/proc/<pid>/stat` (Linux);
 * NaN when unknown (no such process, no /proc).
 */
export const processCpuSeconds = (pid: number | undefined): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
};
