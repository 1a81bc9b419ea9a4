import { errorInfo } from '../error-info.js';
import type { DispatchLedger } from '../ledger/dispatch-ledger.js';
import type { Logger } from '../logger.js';

/**
 * Keeps a worker's ledger claims alive (`heartbeat()` every `everyMs`), so that an adapter
 * judging owners by heartbeat age (NATS KV) does not take over work this worker still runs. A
 * claim another owner took anyway (this worker was taken for dead) is logged. Returns `stop`.
 */
export const startLedgerHeartbeat = (ledger: DispatchLedger, everyMs: number, log: Logger): (() => void) => {
  const beat = () => {
    ledger.heartbeat().then(
      ({ lost }) => {
        if (lost.length > 0)
          log.warn(
            { event: 'dispatch.claim_lost', dispatchIds: lost },
            'another worker took over dispatches this worker runs',
          );
      },
      (e) => log.warn({ event: 'dispatch.heartbeat_failed', error: errorInfo(e) }),
    );
  };
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};
