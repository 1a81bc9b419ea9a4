import { type AnswerMessage, answerReplySchema } from '../../actors/messages.js';
import { answerSubject } from '../../actors/subjects.js';
import type { EngineLink } from '../context.js';
import { replyError } from '../errors.js';

/**
 * Sends a person's answer (an approval's grant or denial, a resolve) to the engine's answer
 * desk (`cmd.answer`) and returns what it recorded. The engine, not the client, writes the
 * answer to the log and hands it to the run. Throws what the engine refused with
 * (`approval_not_found`, `approval_answered`, `run_not_found`, `usage_invalid`), `bus_timeout`,
 * `bus_no_responders`.
 */
export const sendAnswer = async (
  link: EngineLink,
  message: AnswerMessage,
): Promise<Record<string, unknown>> => {
  const reply = await link.bus.requestTyped(answerSubject(link.ns), message, answerReplySchema, {
    timeoutMs: 15_000,
  });
  if (!reply.ok) throw replyError(reply.error);
  return reply.result;
};
