/**
 * CPU profiling of a running process with the inspector's sampling profiler (what `--cpu-prof`
 * records), started and stopped around a bench phase, written as a `.cpuprofile` that
 * Chrome DevTools or speedscope open.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

export interface CpuProfiler {
  /** Stops sampling and writes the profile to `file`. */
  stop(file: string): Promise<void>;
}

const post = <T>(session: Session, method: string, params?: object): Promise<T> =>
  new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );

/** Starts sampling this process every `intervalUs` microseconds. */
export const startCpuProfile = async (intervalUs = 500): Promise<CpuProfiler> => {
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: intervalUs });
  await post(session, 'Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
      await post(session, 'Profiler.disable');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
    },
  };
};

/**
 * Allocation sampling of this process (the inspector's sampling heap profiler, every
 * `intervalBytes` allocated on average), written as a `.heapprofile` (Chrome DevTools opens it).
 */
export const startHeapProfile = async (intervalBytes = 16_384): Promise<CpuProfiler> => {
  const session = new Session();
  session.connect();
  await post(session, 'HeapProfiler.enable');
  await post(session, 'HeapProfiler.startSampling', {
    samplingInterval: intervalBytes,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop(file) {
      const { profile } = await post<{ profile: unknown }>(session, 'HeapProfiler.stopSampling');
      await post(session, 'HeapProfiler.disable');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
    },
  };
};
