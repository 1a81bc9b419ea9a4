import { z } from 'zod';
import { parseYaml, validateYaml } from '../blueprints/jobs/yaml-document.js';

const names = z.array(z.string().min(1)).default([]);

/** What a rule matches; every given field must match (AND), at least one field is required. */
const matcherShape = {
  job: z.string().min(1).optional(),
  step: z.string().min(1).optional(),
  executor: z.string().min(1).optional(),
  capability: z.string().min(1).optional(),
  side_effects: z.enum(['none', 'read', 'write', 'external']).optional(),
};
const hasMatcher = (rule: Record<string, unknown>): boolean =>
  Object.keys(matcherShape).some((k) => rule[k] !== undefined);
const MATCHER_REQUIRED = `a rule names at least one of ${Object.keys(matcherShape).join(', ')}`;

const approvalRuleSchema = z
  .strictObject({ ...matcherShape, reason: z.string().min(1).optional() })
  .refine(hasMatcher, MATCHER_REQUIRED);

const dryRunRuleSchema = z.strictObject(matcherShape).refine(hasMatcher, MATCHER_REQUIRED);

const principalSchema = z.strictObject({ capabilities: names });

/**
 * `.lily/policy.yaml`: what runs may do. Lists are allowlists; `"*"` allows anything.
 * Enforced by the PolicyGate actor before every side effect.
 */
export const policySchema = z
  .strictObject({
    /** The principal runs act as unless one is named (`lily jobs run --as`). */
    default_principal: z.string().min(1).default('operator'),
    principals: z.record(z.string().min(1), principalSchema).default({ operator: { capabilities: [] } }),
    /** Executor names steps may use. */
    executors: names,
    /**
     * Programs commands may run (argv[0] of any step or gate with `with.argv`): bare names
     * resolved on `path`, or paths relative to the project; compared by real path and name.
     */
    commands: names,
    /**
     * Directories bare program names are looked up in (relative ones are relative to the
     * project). Default: the engine's PATH when the policy loads. Never the step's own PATH.
     */
    path: z
      .array(
        z
          .string()
          .min(1)
          .refine((d) => !d.includes('\0') && !d.includes(':'), 'a directory (no NUL, no ":")'),
      )
      .optional(),
    /**
     * Environment variables steps and gates may set (`with.env`): names or globs; deny wins.
     * Variables that change which program runs or what it loads (PATH, LD_*, NODE_OPTIONS, …)
     * are refused unless `allow` names them exactly.
     */
    env: z.strictObject({ allow: z.array(z.string().min(1)).default(['*']), deny: names }).prefault({}),
    /** Workspace path globs (relative to the project): deny wins over allow. */
    workspace: z.strictObject({ allow: names, deny: names }).prefault({}),
    /** Ceilings for job runtimes: a job asking for more is refused. */
    caps: z
      .strictObject({
        timeout_ms: z.number().int().positive().optional(),
        max_attempts: z.number().int().min(1).optional(),
        concurrency: z.number().int().min(1).optional(),
      })
      .prefault({}),
    /** Steps matching a rule wait for a human approval. */
    approvals: z.array(approvalRuleSchema).default([]),
    /** Runs with a step matching a rule need a successful dry run of the same plan first. */
    require_dry_run: z.array(dryRunRuleSchema).default([]),
  })
  .superRefine((p, ctx) => {
    if (!Object.hasOwn(p.principals, p.default_principal)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default_principal'],
        message: `"${p.default_principal}" is not one of the principals (${Object.keys(p.principals).join(', ') || 'none'})`,
      });
    }
  });

export type Policy = z.output<typeof policySchema>;
export type ApprovalRule = Policy['approvals'][number];
export type DryRunRule = Policy['require_dry_run'][number];

/** Validates policy text. Throws `policy_invalid` `{file, issues: [{path, message, line, column}]}`. */
export const parsePolicy = (text: string, file: string): Policy =>
  validateYaml(parseYaml(text, file, 'policy_invalid'), policySchema, file, 'policy_invalid');
