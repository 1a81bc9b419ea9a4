import type { z } from 'zod';
import type { JobKind } from './job-kinds.js';
import { BlueprintRegistry } from './registry.js';
import { SchemaRegistry } from './schema-registry.js';
import type { RoutingPolicy, StepTemplate } from './templates.js';

/**
 * What an executor is, as far as compile and policy need to know. The code runs in workers.
 *
 * @example
 * const info: ExecutorInfo = { name: 'echo', summary: 'Returns its input', sideEffects: 'none', owner: 'core' };
 */
export interface ExecutorInfo {
  name: string;
  summary: string;
  /** The worst a dispatch of this executor may do; the policy gate decides on it. */
  sideEffects: 'none' | 'read' | 'write' | 'external';
  /** Schema of a step's `with` for this executor, checked at compile. */
  with?: z.ZodType;
  owner: string;
  /** The implementation, opaque here: only workers call it. */
  run?: unknown;
}

/** What a partitioner is, as far as compile needs to know: its name and its `with` schema. The code runs in workers. */
export interface PartitionerInfo {
  name: string;
  summary: string;
  with?: z.ZodType;
  owner: string;
  run?: unknown;
}

/** A reusable gate (seed kernel layer 3): a name for an executor + `with` a plan can refer to. */
export interface GateTemplate {
  name: string;
  executor: string;
  with: Record<string, unknown>;
  owner: string;
}

/** A pack installed into a catalog, and where it was loaded from. */
export interface PackInfo {
  name: string;
  version: string;
  source: string;
}

/**
 * Everything the compile boundary checks plans against: blueprints, executor and partitioner
 * names, job kinds, artifact/output schemas and gate templates. Built from the built-ins plus
 * every pack listed in `.lily/config.yaml`. Make one with `createBuiltinCatalog()` and grow it
 * with `installPack` or `catalog.blueprints.register`.
 *
 * @example
 * const catalog = createBuiltinCatalog();
 * installPack(catalog, myPack, 'my-pack');
 * [...catalog.executors.keys()]; // ['command', 'echo', ...the pack's]
 */
export interface Catalog {
  blueprints: BlueprintRegistry;
  executors: Map<string, ExecutorInfo>;
  partitioners: Map<string, PartitionerInfo>;
  /** Kind id -> versions, newest first. */
  jobKinds: Map<string, JobKind[]>;
  schemas: SchemaRegistry;
  gateTemplates: Map<string, GateTemplate>;
  stepTemplates: Map<string, StepTemplate>;
  routingPolicies: Map<string, RoutingPolicy>;
  packs: PackInfo[];
}

/** An empty catalog (no built-ins). Internal: `createBuiltinCatalog` is what users want. */
export const createCatalog = (): Catalog => ({
  blueprints: new BlueprintRegistry(),
  executors: new Map(),
  partitioners: new Map(),
  jobKinds: new Map(),
  schemas: new SchemaRegistry(),
  gateTemplates: new Map(),
  stepTemplates: new Map(),
  routingPolicies: new Map(),
  packs: [],
});
