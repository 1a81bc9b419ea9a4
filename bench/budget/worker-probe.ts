/**
 * Preloaded into the worker daemon by the pipeline bench (`node --import tsx --import
 * bench/budget/worker-probe.ts dist/deployment/daemon-main.js worker …`, with an IPC channel),
 * so the worker runs exactly as `lily worker` does while the bench reads its probe points and
 * profiles it. Messages from the bench:
 *   { type: 'probe', on }                  start or stop recording points
 *   { type: 'take' }                       answer { type: 'points', points, timeOrigin }
 *   { type: 'profile.start', intervalUs }  answer { type: 'profile.started' }
 *   { type: 'profile.stop', file }         write the .cpuprofile; answer { type: 'profile.written', file }
 *   { type: 'usage' }                      answer { type: 'usage', elu } (event loop utilization so far)
 */
import { type CpuProfiler, startCpuProfile } from './profiler.js';
import { Timeline } from './timeline.js';

const timeline = await new Timeline().install();
let profiler: CpuProfiler | undefined;

type Msg =
  | { type: 'probe'; on: boolean }
  | { type: 'take' }
  | { type: 'profile.start'; intervalUs?: number }
  | { type: 'profile.stop'; file: string }
  | { type: 'usage' };

const send = (m: object) => process.send?.(m);

process.on('message', (m: Msg) => {
  void (async () => {
    switch (m.type) {
      case 'probe':
        timeline.enable(m.on);
        send({ type: 'probe.ok' });
        return;
      case 'take':
        send({ type: 'points', points: timeline.take(), timeOrigin: performance.timeOrigin });
        return;
      case 'usage':
        send({ type: 'usage', elu: performance.eventLoopUtilization() });
        return;
      case 'profile.start':
        profiler = await startCpuProfile(m.intervalUs);
        send({ type: 'profile.started' });
        return;
      case 'profile.stop':
        await profiler?.stop(m.file);
        profiler = undefined;
        send({ type: 'profile.written', file: m.file });
        return;
    }
  })().catch((e: Error) => send({ type: 'error', message: e.message }));
});
// The IPC channel must not keep the daemon alive: it exits on SIGTERM as usual.
process.channel?.unref();
