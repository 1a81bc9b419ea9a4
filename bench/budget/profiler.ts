/**
 * CPU profiling of a running process with the inspector's sampling profiler (what `--cpu-prof`
 * records), started and stopped around a bench phase, written as a `.cpuprofile` that
 * Chrome DevTools or speedscope open.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

export interface CpuProfiler {
  /** Stops recording and writes the profile (CPU or heap) to `file`. */
  stop(file: string): Promise<void>;
}

const post = <T>(session: Session, method: string, params?: object): Promise<T> =>
  new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );

/**
 * One inspector recording of this process: enables `domain`, runs the `start` calls, and on
 * `stop` takes the profile `stopMethod` returns, disables the domain and writes the profile.
 */
const record = async (
  domain: string,
  start: [string, object?][],
  stopMethod: string,
): Promise<CpuProfiler> => {
  const session = new Session();
  session.connect();
  await post(session, `${domain}.enable`);
  for (const [method, params] of start) await post(session, method, params);
  return {
    async stop(file) {
      const { profile } = await post<{ profile: unknown }>(session, stopMethod);
      await post(session, `${domain}.disable`);
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
    },
  };
};

/** Starts sampling this process every `intervalUs` microseconds. */
export const startCpuProfile = (intervalUs = 500): Promise<CpuProfiler> =>
  record(
    'Profiler',
    [['Profiler.setSamplingInterval', { interval: intervalUs }], ['Profiler.start']],
    'Profiler.stop',
  );

/**
 * Allocation sampling of this process (the inspector's sampling heap profiler, every
 * `intervalBytes` allocated on average), written as a `.heapprofile` (Chrome DevTools opens it).
 */
export const startHeapProfile = (intervalBytes = 16_384): Promise<CpuProfiler> =>
  record(
    'HeapProfiler',
    [
      [
        'HeapProfiler.startSampling',
        {
          samplingInterval: intervalBytes,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        },
      ],
    ],
    'HeapProfiler.stopSampling',
  );
