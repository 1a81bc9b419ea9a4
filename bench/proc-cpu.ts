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

/**
 * CPU seconds so far of this process (all its threads) and then of each of `pids`, in that order
 * (NaN for a process whose CPU cannot be read).
 */
export const cpuSecondsOf = (pids: readonly (number | undefined)[]): number[] => {
  const own = process.cpuUsage();
  return [(own.user + own.system) / 1e6, ...pids.map((p) => processCpuSeconds(p))];
};
