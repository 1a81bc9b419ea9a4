import type { Bus } from '../../actors/bus/bus.js';
import { LilyError } from '../../contracts/errors.js';
import type { ProjectSettings } from '../connection/live-target.js';

/** How long after a disconnect the project's NATS is looked for before a tail gives up. */
const GRACE_MS = 2_000;

/**
 * Resolves when the project's own NATS is gone for good while `bus` is disconnected: its managed
 * nats-server stopped (`lily down`, or the ephemeral engine that ran it ended) and no deployment
 * records another. A tail ends then instead of waiting silently for a server that will not come
 * back. An explicit NATS (`--nats`, `LILY_NATS_URL`, `nats.url`) is never given up on: the client
 * keeps reconnecting. `stop()` removes the watch.
 */
export const watchProjectNatsGone = (
  bus: Bus,
  settings: ProjectSettings,
  nats: string | undefined,
): { gone: Promise<LilyError>; stop(): void } => {
  let off: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<LilyError>((resolve) => {
    const check = async () => {
      const { findProjectNats } = await import('../connection/live-target.js');
      const target = await findProjectNats(settings, nats).catch(() => undefined);
      if (target !== undefined) return;
      off();
      resolve(
        new LilyError(
          'bus_unavailable',
          "the project's NATS stopped (`lily down`, or the end of an ephemeral run): nothing more to tail",
          { hint: 'lily up' },
        ),
      );
    };
    off = bus.onStatus((s) => {
      if (s.type !== 'disconnected' && s.type !== 'reconnecting' && s.type !== 'closed') return;
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void check();
      }, GRACE_MS);
      timer.unref();
    });
  });
  return {
    gone,
    stop: () => {
      off();
      if (timer) clearTimeout(timer);
    },
  };
};
