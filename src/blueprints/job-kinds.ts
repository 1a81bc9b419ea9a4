import { z } from 'zod';
import { LilyError } from '../contracts/errors.js';
import type { Plan } from './plan.js';

/**
 * A job kind (HXO Blueprint Contract): which partitioners and executors its stages may use,
 * its safety policy, its default SLO and the schemas of a stage's input and result. A pack
 * contributes kinds (`jobKinds`); a blueprint (or its plan) names one with `kind`, and the
 * compile boundary refuses a step that breaks it (`stage_partitioner_not_allowed`,
 * `stage_executor_not_allowed`, `stage_non_idempotent_denied`; `job_kind_unknown` when the
 * kind is not registered).
 *
 * @example
 * const deployPack: JobKind = {
 *   id: 'deploy.pack', version: 1, description: 'Pack the backend',
 *   partitioners: ['by_filesize'], executors: ['pack_backend'],
 *   safety: { allowNonIdempotent: false, requireDryRun: false },
 *   defaultSloMs: 120_000,
 * };
 */
export interface JobKind {
  id: string;
  /** Kinds evolve: a plan may name `kind@version`; an old version keeps working with a warning. */
  version: number;
  description: string;
  partitioners: readonly string[];
  executors: readonly string[];
  safety: { allowNonIdempotent: boolean; requireDryRun: boolean };
  /** Capability a non-idempotent stage must declare (and the principal must hold). */
  nonIdempotentCapability?: string;
  /** Default SLO: becomes the step timeout when a stage sets none. */
  defaultSloMs: number;
  input?: z.ZodType;
  output?: z.ZodType;
  deprecated?: { message: string; replacedBy?: string };
}

export const jobKindSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  version: z.number().int().positive(),
  description: z.string().min(1),
  partitioners: z.array(z.string().min(1)),
  executors: z.array(z.string().min(1)).min(1),
  safety: z.object({ allowNonIdempotent: z.boolean(), requireDryRun: z.boolean() }),
  nonIdempotentCapability: z.string().optional(),
  defaultSloMs: z.number().int().positive(),
  input: z.custom<z.ZodType>((v) => v instanceof z.ZodType).optional(),
  output: z.custom<z.ZodType>((v) => v instanceof z.ZodType).optional(),
  deprecated: z.object({ message: z.string(), replacedBy: z.string().optional() }).optional(),
});

/** `deploy.pack` or `deploy.pack@2`. */
export const parseKindRef = (ref: string): { id: string; version?: number } => {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { id: ref };
  return { id: ref.slice(0, at), version: Number(ref.slice(at + 1)) };
};

/** Finds the kind a plan names; `job_kind_unknown` when there is none. */
export const resolveJobKind = (kinds: ReadonlyMap<string, JobKind[]>, ref: string): JobKind => {
  const { id, version } = parseKindRef(ref);
  const versions = kinds.get(id) ?? [];
  const kind = version === undefined ? versions[0] : versions.find((k) => k.version === version);
  if (kind) return kind;
  throw new LilyError('job_kind_unknown', `no job kind ${JSON.stringify(ref)} is registered`, {
    kind: ref,
    known: [...kinds.values()].flat().map((k) => `${k.id}@${k.version}`),
  });
};

/**
 * Stage validation: every step of a plan of this kind uses an allowed partitioner and executor,
 * and a non-idempotent step is allowed by the kind's safety policy and declares its capability.
 */
export const validateStages = (plan: Plan, kind: JobKind): void => {
  for (const step of plan.steps) {
    const base = { kind: `${kind.id}@${kind.version}`, step: step.id };
    if (step.partition && !kind.partitioners.includes(step.partition.partitioner)) {
      throw new LilyError(
        'stage_partitioner_not_allowed',
        `step "${step.id}": job kind ${kind.id} does not allow partitioner ${step.partition.partitioner}`,
        { ...base, partitioner: step.partition.partitioner, allowed: [...kind.partitioners] },
      );
    }
    if (!kind.executors.includes(step.executor)) {
      throw new LilyError(
        'stage_executor_not_allowed',
        `step "${step.id}": job kind ${kind.id} does not allow executor ${step.executor}`,
        { ...base, executor: step.executor, allowed: [...kind.executors] },
      );
    }
    if (!step.idempotent) validateNonIdempotent(step.id, step.capabilities, kind, base);
  }
};

const validateNonIdempotent = (
  stepId: string,
  capabilities: readonly string[],
  kind: JobKind,
  base: Record<string, string>,
): void => {
  if (!kind.safety.allowNonIdempotent) {
    throw new LilyError(
      'stage_non_idempotent_denied',
      `step "${stepId}" is not idempotent, which job kind ${kind.id} forbids`,
      { ...base, reason: 'kind_forbids_non_idempotent' },
    );
  }
  const needed = kind.nonIdempotentCapability;
  if (needed && !capabilities.includes(needed)) {
    throw new LilyError(
      'stage_non_idempotent_denied',
      `step "${stepId}" is not idempotent and must declare capability ${needed}`,
      { ...base, reason: 'capability_not_declared', capability: needed },
    );
  }
};
