import type { LilyClient } from '../client/index.js';

let interrupted = false;

/** True once Ctrl-C stopped a command that waited on a run: its failures are not worth reporting. */
export const wasInterrupted = (): boolean => interrupted;

/**
 * While a command waits on a run: Ctrl-C (or SIGTERM) stops the ephemeral engine the client
 * started, saying so, before the process exits 130; the run resumes at the next engine start.
 * Returns the function that removes the handlers.
 */
export const stopEngineOnInterrupt = (client: LilyClient): (() => void) => {
  const stop = () => {
    interrupted = true;
    if (client.ephemeralEngineRunning) {
      process.stderr.write(
        '\ninterrupted: stopping the ephemeral engine (the run resumes at the next engine start)\n',
      );
    }
    void client.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
};
