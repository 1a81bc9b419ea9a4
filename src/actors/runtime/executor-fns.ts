import type { Catalog } from '../../blueprints/catalog.js';
import type { ExecutorFn, PartitionerFn } from '../../contracts/executor.js';
import { BUILTIN_EXECUTOR_FNS, BUILTIN_PARTITIONER_FNS } from '../executors/builtin-executors.js';

/** The implementations a worker runs: the built-ins plus every pack executor/partitioner with a `run`. */
export const executorFns = (
  catalog: Catalog,
): { executors: Record<string, ExecutorFn>; partitioners: Record<string, PartitionerFn> } => {
  const executors: Record<string, ExecutorFn> = { ...BUILTIN_EXECUTOR_FNS };
  const partitioners: Record<string, PartitionerFn> = { ...BUILTIN_PARTITIONER_FNS };
  for (const [name, info] of catalog.executors)
    if (typeof info.run === 'function') executors[name] = info.run as ExecutorFn;
  for (const [name, info] of catalog.partitioners)
    if (typeof info.run === 'function') partitioners[name] = info.run as PartitionerFn;
  return { executors, partitioners };
};
