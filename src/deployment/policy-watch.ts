import { unwatchFile, watchFile } from 'node:fs';
import { errorInfo } from '../actors/error-info.js';
import type { Logger } from '../actors/logger.js';
import { loadPolicy, type Policy } from '../project/policy.js';

/**
 * Applies `.lily/policy.yaml` again whenever it changes (polled once a second), so a worker
 * enforces the same policy as the gate without a restart. A file that no longer parses keeps
 * the previous policy (logged at error level). Returns the function that stops watching.
 */
export const watchPolicy = (file: string, log: Logger, apply: (policy: Policy) => void): (() => void) => {
  const reload = () => {
    loadPolicy(file)
      .then((policy) => {
        apply(policy);
        log.info({ event: 'policy.reloaded', file }, 'policy reloaded');
      })
      .catch((e) =>
        log.error(
          { event: 'policy.reload_failed', file, error: errorInfo(e) },
          'policy.yaml is invalid; keeping the previous policy',
        ),
      );
  };
  watchFile(file, { interval: 1_000, persistent: false }, reload);
  return () => unwatchFile(file, reload);
};
