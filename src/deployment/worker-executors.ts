import type { Logger } from '../actors/logger.js';
import type { ExecutorFn, PartitionerFn } from '../contracts/executor.js';
import { type NatsCredentialSource, readCredentialFile } from './connect.js';
import { allowsExecutor } from './nats-auth/roles.js';

interface Fns {
  executors: Record<string, ExecutorFn>;
  partitioners: Record<string, PartitionerFn>;
}

const pick = <T>(all: Record<string, T>, keep: (name: string) => boolean): Record<string, T> =>
  Object.fromEntries(Object.entries(all).filter(([name]) => keep(name)));

/**
 * The executors and partitioners a worker serves: those its credential lets it subscribe to
 * (the server would refuse the others' queue subscriptions). A credential without subscribe
 * restrictions (an nkey seed, a token, none) or minted for this worker keeps them all. The
 * ones left out are logged once (`worker.executors_skipped`), so `lily status` and the log
 * agree with what the worker really takes.
 */
export const servableBy = (
  fns: Fns,
  credential: NatsCredentialSource | undefined,
  ns: string,
  log: Logger,
): Fns => {
  if (credential?.kind !== 'file') return fns;
  const { subAllow } = readCredentialFile(credential.file).info;
  if (subAllow.length === 0) return fns;
  const keep = (name: string) => allowsExecutor(subAllow, ns, name);
  const kept = { executors: pick(fns.executors, keep), partitioners: pick(fns.partitioners, keep) };
  const skipped = [...Object.keys(fns.executors), ...Object.keys(fns.partitioners)].filter((n) => !keep(n));
  if (skipped.length > 0) {
    log.info(
      {
        event: 'worker.executors_skipped',
        skipped: [...new Set(skipped)].sort(),
        credential: credential.file,
      },
      'the credential does not allow these executors: not serving them',
    );
  }
  return kept;
};
