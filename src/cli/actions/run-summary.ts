import type { RunReceipt } from '../../client/index.js';
import { colorStatus, formatDuration } from '../render/format.js';
import { renderFields, renderTable } from '../render/table.js';
import type { Colors } from '../render/ui.js';

/** The end of `jobs run --follow`: the steps table, the outcome, where the receipt is, what next. */
export const renderRunSummary = (
  c: Colors,
  r: RunReceipt,
  receiptDir: string | undefined,
  lily: (args: string) => string,
): string => {
  const ok = r.steps.filter((s) => s.status === 'succeeded').length;
  const rows = r.steps.map((s) => [
    c.bold(s.stepId),
    colorStatus(c, s.status),
    String(s.attempts.length),
    formatDuration(s.durationMs),
    s.attempts[s.attempts.length - 1]?.error?.code ?? s.skipReason ?? '',
  ]);
  const lines = [
    '',
    renderTable(c, ['STEP', 'STATUS', 'ATTEMPTS', 'DURATION', 'ERROR'], rows),
    renderFields(c, [
      ['run', c.bold(r.runId ?? '')],
      ['status', colorStatus(c, r.status)],
      ['duration', formatDuration(r.timestamps.durationMs) || undefined],
      ['steps', `${ok}/${r.steps.length} succeeded`],
      ['error', r.error ? `${c.red(r.error.code)} ${r.error.message}` : undefined],
      ['receipt', receiptDir],
    ]),
    c.dim(`next: ${lily(`runs show ${r.runId}`)}    ${lily(`runs replay ${r.runId} --verify`)}`),
  ];
  return lines.join('\n');
};
