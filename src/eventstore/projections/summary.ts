import { canonicalJson } from '../../contracts/canonical-json.js';
import type { RunReceipt, StepReceipt } from './receipt-types.js';

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
const duration = (ms: number | null): string => {
  if (ms === null) return '-';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(3)} s`;
};
/** Table cells: no pipes or line breaks may escape the cell. */
const cell = (text: string): string =>
  text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

/** Relative link from `.lily/runs/<job>/<ts>-<run>/summary.md` to the blob in `.lily/artifacts/`. */
export const artifactLink = (sha256: string): string =>
  `../../../artifacts/sha256/${sha256.slice(0, 2)}/${sha256}`;

const header = (r: RunReceipt): string[] => [
  `# Run ${r.runId ?? '(unknown)'}: ${r.status}`,
  '',
  '| | |',
  '|---|---|',
  `| Job | ${cell(r.jobId ?? '-')} |`,
  `| Blueprint | ${r.blueprint ? cell(`${r.blueprint.id}@${r.blueprint.version}`) : '-'} |`,
  `| Plan hash | ${r.planHash ? code(r.planHash) : '-'} |`,
  `| Kernel | ${cell(r.kernelVersion ?? '-')} |`,
  `| Environment | ${r.env ? code(r.env.fingerprint.slice(0, 16)) : '-'} |`,
  `| Principal | ${cell(r.principal ?? '-')}${r.dryRun ? ' (dry run)' : ''} |`,
  `| Requested | ${iso(r.timestamps.requestedAt)} |`,
  `| Completed | ${iso(r.timestamps.completedAt)} |`,
  `| Duration | ${duration(r.timestamps.durationMs)} |`,
  ...(r.parent
    ? [
        `| Forked from | ${cell(r.parent.runId)}${r.parent.fromStep ? ` at ${cell(r.parent.fromStep)}` : ''} |`,
      ]
    : []),
];

const gatesText = (s: StepReceipt): string =>
  s.gates.length === 0
    ? '-'
    : s.gates
        .map((g) => `${g.gateId}: ${g.outcome}${g.skipReason === 'dry_run' ? ' (dry run)' : ''}`)
        .join(', ');

const steps = (r: RunReceipt): string[] =>
  r.steps.length === 0
    ? []
    : [
        '',
        '## Steps',
        '',
        '| Step | Status | Attempts | Duration | SLO | Gates |',
        '|---|---|---|---|---|---|',
        ...r.steps.map(
          (s) =>
            `| ${cell(s.stepId)} | ${s.status} | ${s.attempts.length} | ${duration(s.durationMs)} | ${sloText(s)} | ${cell(gatesText(s))} |`,
        ),
      ];

/** The step's timeout, and whether an attempt broke it. */
const sloText = (s: StepReceipt): string => {
  if (s.timeoutMs === null) return '-';
  return s.sloBreached ? `**breached** (${duration(s.timeoutMs)})` : duration(s.timeoutMs);
};

const failure = (r: RunReceipt): string[] => {
  if (!r.error) return [];
  const failed = r.steps.filter((s) => ['failed', 'timed_out', 'indeterminate', 'denied'].includes(s.status));
  return [
    '',
    '## What failed',
    '',
    `${code(r.error.code)}: ${r.error.message}`,
    ...(failed.length > 0 ? ['', `Steps: ${failed.map((s) => `${s.stepId} (${s.status})`).join(', ')}`] : []),
    ...(Object.keys(r.error.data).length > 0 ? ['', '```json', canonicalJson(r.error.data), '```'] : []),
  ];
};

/** The dry runs that required-dry-run checks relied on, once per proof. */
const dryRunProofs = (r: RunReceipt): string[] => {
  const steps = new Map<string, Set<string>>();
  for (const p of r.policy) {
    if (p.dryRunProof === null) continue;
    const set = steps.get(p.dryRunProof) ?? new Set<string>();
    set.add(p.stepId);
    steps.set(p.dryRunProof, set);
  }
  return [...steps].map(
    ([runId, ids]) => `- dry run ${cell(runId)} proved ${[...ids].map(cell).join(', ')} (required dry run)`,
  );
};

/** What the policy allowed each step (and gate) to run: the real file and its digest. */
const allowedPrograms = (r: RunReceipt): string[] =>
  r.policy.flatMap((p) =>
    p.programs.map(
      (x) =>
        `- ${cell(p.stepId)}#${p.attempt}${x.gateId === null ? '' : ` gate ${cell(x.gateId)}`}: ${code(x.program)} is ${code(x.path)}${x.sha256 === null ? '' : ` (sha256 ${x.sha256.slice(0, 16)})`}`,
    ),
  );

const governance = (r: RunReceipt): string[] => {
  const lines = [
    ...allowedPrograms(r),
    ...r.policy
      .filter((p) => p.decision !== 'allow')
      .map(
        (p) => `- policy ${p.decision} for ${p.stepId}#${p.attempt}: ${cell(p.reasons.join('; ') || '-')}`,
      ),
    ...dryRunProofs(r),
    ...r.approvals.map(
      (a) => `- approval ${a.approvalId} for ${a.stepId}: ${a.status}${a.by ? ` by ${cell(a.by)}` : ''}`,
    ),
  ];
  if (r.cancel)
    lines.push(
      `- cancel requested by ${cell(r.cancel.by)}${r.cancel.reason ? `: ${cell(r.cancel.reason)}` : ''}`,
    );
  return lines.length === 0 ? [] : ['', '## Policy and approvals', '', ...lines];
};

const artifacts = (r: RunReceipt): string[] =>
  r.artifacts.length === 0
    ? []
    : [
        '',
        '## Artifacts',
        '',
        ...r.artifacts.map(
          (a) =>
            `- [${cell(a.name).replace(/[[\]]/g, '')}](${artifactLink(a.sha256)}) ${a.mediaType}, ${a.size} bytes`,
        ),
      ];

/** `summary.md`: a person's view of the receipt: what ran, what failed and why, links to artifacts. Pure. */
export const renderSummary = (r: RunReceipt): string =>
  `${[...header(r), ...steps(r), ...failure(r), ...governance(r), ...artifacts(r)].join('\n')}\n`;
