import type { RunId } from '../../contracts/ids.js';
import type { CommandOf } from '../../machines/types.js';
import type { InboundEvent } from '../messages.js';
import type { Decision } from './decide-batch.js';
import type { RunSlot } from './run-slot.js';

/** A policy gate in the same process (the engine's): answers checks without the bus. */
export interface LocalPolicy {
  checkLocal(
    runId: RunId,
    data: CommandOf<'policy.check'>['data'],
    started?: RunSlot['started'],
  ): Promise<InboundEvent | undefined>;
}

/** Bounds the rounds of check -> decision -> the next checks it causes (a plan is finite; this is a guard). */
const MAX_ROUNDS = 100;

/**
 * Extends a decision with the local policy gate's answers (decision 002): the checks the
 * decision caused are asked in-process, their `policy.decided` facts decided in the same batch,
 * and so on while new checks appear. The checks the gate handled are removed from the commands
 * to publish, including those it returned nothing for (a run it does not know: it logged
 * that); those it failed on (`onFailure` is told) stay, and go out on the bus as usual.
 */
export const decideWithLocalPolicy = async (
  runId: RunId,
  first: Decision,
  local: LocalPolicy,
  decide: (facts: InboundEvent[], acc: Decision) => Decision,
  onFailure: (error: unknown) => void,
): Promise<Decision> => {
  let acc = first;
  const answered = new Set<unknown>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const checks = acc.commands.filter(
      (c): c is CommandOf<'policy.check'> => c.type === 'policy.check' && !answered.has(c),
    );
    if (checks.length === 0) break;
    const facts: InboundEvent[] = [];
    for (const check of checks) {
      answered.add(check);
      try {
        const fact = await local.checkLocal(runId, check.data, acc.next.started);
        if (fact) facts.push(fact);
      } catch (e) {
        onFailure(e);
        answered.delete(check);
      }
    }
    if (facts.length === 0) break;
    acc = decide(facts, acc);
  }
  return { ...acc, commands: acc.commands.filter((c) => !answered.has(c)) };
};
