import type { Bus, BusSubscription } from '../bus/bus.js';
import type { PingReply } from '../messages.js';
import { sysSubject } from '../subjects.js';

/**
 * Answers `lily.<ns>.sys.ping` (every process answers: `lily status` collects the replies) and
 * `lily.<ns>.sys.ping.<actor>` (one process).
 */
export const answerPings = (
  bus: Bus,
  ns: string,
  actor: string,
  info: () => PingReply,
): BusSubscription[] => {
  const reply = (msg: { respond(p: unknown): boolean }) => {
    msg.respond(info());
  };
  return [bus.subscribe(sysSubject(ns, 'ping'), reply), bus.subscribe(sysSubject(ns, 'ping', actor), reply)];
};
