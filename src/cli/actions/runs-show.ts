import type { RunReceipt, StepReceipt } from '../../client/index.js';
import { colorStatus, formatBytes, formatDuration, formatTime, shortSha } from '../render/format.js';
import { printable } from '../render/printable.js';
import { renderFields, renderTable } from '../render/table.js';
import type { Colors } from '../render/ui.js';

const gatesText = (c: Colors, step: StepReceipt): string =>
  step.gates.map((g) => `${g.gateId}:${colorStatus(c, g.outcome)}`).join(' ');

const stepRows = (c: Colors, r: RunReceipt) =>
  r.steps.map((s) => {
    const last = s.attempts[s.attempts.length - 1];
    return [
      c.bold(s.stepId),
      colorStatus(c, s.status),
      String(s.attempts.length),
      formatDuration(s.durationMs),
      last?.executor ?? '',
      whereText(last),
      gatesText(c, s),
      last?.error ? c.red(last.error.code) : (s.skipReason ?? ''),
    ];
  });

/** `worker@host`, and the commit its workspace was at (a worker of its own in a git directory). */
const whereText = (a: StepReceipt['attempts'][number] | undefined): string => {
  if (!a?.worker) return '';
  const commit = a.env?.commit && a.env.commit !== 'none' ? ` @${a.env.commit.slice(0, 8)}` : '';
  return `${a.worker}${a.host ? `@${a.host}` : ''}${commit}`;
};

const section = (title: string, body: string): string[] => ['', title, body];

/** `lily runs show`: fields, then steps, policy decisions, approvals and artifacts tables. */
export const renderRunDetails = (c: Colors, r: RunReceipt, steps: { ok: number; total: number }): string => {
  const lines = [
    renderFields(c, [
      ['run', c.bold(r.runId ?? '')],
      ['job', r.jobId ?? ''],
      ['status', colorStatus(c, r.status)],
      ['blueprint', r.blueprint ? `${r.blueprint.id}@${r.blueprint.version}` : undefined],
      ['plan hash', r.planHash ?? undefined],
      ['kernel', r.kernelVersion ?? undefined],
      ['principal', r.principal ?? undefined],
      ['trigger', r.trigger ? String(r.trigger.kind) : undefined],
      ['dry run', r.dryRun === null ? undefined : String(r.dryRun)],
      ['parent', r.parent ? `${r.parent.runId} from ${r.parent.fromStep ?? 'start'}` : undefined],
      ['requested', formatTime(r.timestamps.requestedAt) || undefined],
      ['completed', formatTime(r.timestamps.completedAt) || undefined],
      ['duration', formatDuration(r.timestamps.durationMs) || undefined],
      ['steps', `${steps.ok}/${steps.total} succeeded`],
      ['error', r.error ? `${c.red(r.error.code)} ${r.error.message}` : undefined],
      ['events', `${r.log.events} (seq 1..${r.log.lastSeq})`],
    ]),
  ];
  if (r.steps.length > 0) {
    lines.push(
      ...section(
        c.bold('Steps'),
        renderTable(
          c,
          ['STEP', 'STATUS', 'ATTEMPTS', 'DURATION', 'EXECUTOR', 'WORKER', 'GATES', 'ERROR'],
          stepRows(c, r),
        ),
      ),
    );
  }
  if (r.policy.length > 0) {
    const rows = r.policy.map((p) => [
      p.stepId,
      String(p.attempt),
      colorStatus(c, p.decision),
      p.rule ?? '',
      p.reasons.join('; '),
    ]);
    lines.push(
      ...section(c.bold('Policy'), renderTable(c, ['STEP', 'ATTEMPT', 'DECISION', 'RULE', 'REASONS'], rows)),
    );
  }
  if (r.approvals.length > 0) {
    const rows = r.approvals.map((a) => [
      a.approvalId,
      a.stepId,
      colorStatus(c, a.status),
      a.by ?? '',
      printable(a.reason),
      // The answer's own words: a grant's comment, a denial's reason; never the request's reason.
      a.comment === null ? '' : printable(a.comment),
    ]);
    lines.push(
      ...section(
        c.bold('Approvals'),
        renderTable(c, ['APPROVAL', 'STEP', 'STATUS', 'BY', 'REASON', 'NOTE'], rows),
      ),
    );
  }
  if (r.artifacts.length > 0) {
    const rows = r.artifacts.map((a) => [
      shortSha(a.sha256),
      a.name,
      a.type ?? a.mediaType,
      formatBytes(a.size),
      a.stepId ?? '',
    ]);
    lines.push(
      ...section(c.bold('Artifacts'), renderTable(c, ['SHA256', 'NAME', 'TYPE', 'SIZE', 'STEP'], rows)),
    );
  }
  lines.push('', c.dim('--json prints the whole receipt'));
  return lines.join('\n');
};
