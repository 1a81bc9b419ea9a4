import type { Bus } from '../../src/actors/bus/bus.js';
import { policyMessageSchema } from '../../src/actors/messages.js';
import type { GrantSigner } from '../../src/actors/policy/grants.js';
import { inboxSubject, policySubject } from '../../src/actors/subjects.js';
import type { RunId } from '../../src/contracts/index.js';

/**
 * A stand-in policy gate for tests of the run host and workers: allows every step with a real
 * signed grant (the PolicyGate actor has its own tests). Returns the subscription.
 */
export const allowAllPolicy = (bus: Bus, ns: string, signer: GrantSigner) =>
  bus.subscribeTyped(policySubject(ns), policyMessageSchema, (m) => {
    if (m.command.type !== 'policy.check') return;
    const { stepId, attempt } = m.command.data;
    const grant = signer.sign({ runId: m.runId, stepId, dryRun: m.dryRun });
    bus.publish(inboxSubject(ns, m.runId as RunId), {
      runId: m.runId,
      events: [
        {
          id: `${m.runId}/${stepId}/${attempt}/policy`,
          type: 'policy.decided',
          at: 0,
          data: { stepId, attempt, decision: 'allow', reasons: [], grant },
          producer: 'test/policy',
        },
      ],
    });
  });
