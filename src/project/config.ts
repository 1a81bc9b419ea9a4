import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseYaml, validateYaml } from '../blueprints/jobs/yaml-document.js';

const retentionSchema = z.strictObject({
  /** Keep at least the last N runs of each job. */
  keep_last: z.number().int().min(1).optional(),
  /** Remove runs older than this many days (beyond `keep_last`). */
  max_age_days: z.number().positive().optional(),
});

const credsPath = z.string().min(1);

/**
 * `{managed: true}` (lily starts nats-server under .lily/nats/) or `{url}` of a running server,
 * with `creds: {engine, worker, operator, observer}`: each role's credential file (`.creds` or an
 * nkey seed), relative to the project directory (docs/security.md "Roles and credentials").
 */
const natsSchema = z
  .strictObject({
    managed: z.boolean().optional(),
    /**
     * Copies JetStream keeps of the buckets Lily makes (`ledger: nats`): 1, 3 or 5. Default: 3 when
     * the server is part of a cluster of three or more, else 1.
     */
    replicas: z.union([z.literal(1), z.literal(3), z.literal(5)]).optional(),
    url: z
      .string()
      .regex(/^(nats|tls|ws|wss):\/\/\S+$/, 'a NATS url such as nats://127.0.0.1:4222')
      .optional(),
    creds: z
      .strictObject({
        engine: credsPath.optional(),
        worker: credsPath.optional(),
        operator: credsPath.optional(),
        observer: credsPath.optional(),
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.url !== undefined && v.managed === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['managed'],
        message: 'either `managed: true` or `url`, not both',
      });
    }
    if (v.creds !== undefined && v.url === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['creds'],
        message: '`creds` are for a NATS given by `url` (the managed server makes its own)',
      });
    }
  })
  .transform((v) => {
    const replicas = v.replicas === undefined ? {} : { replicas: v.replicas };
    return v.url === undefined
      ? { managed: true as const, ...replicas }
      : {
          managed: false as const,
          url: v.url,
          ...(v.creds === undefined ? {} : { creds: v.creds }),
          ...replicas,
        };
  });

/**
 * `telemetry: { otlp: { endpoint, headers? } }`: export traces over OTLP/HTTP (JSON) to a
 * collector (docs/telemetry.md). `endpoint` is the collector's base URL (`/v1/traces` is
 * appended, as for `OTEL_EXPORTER_OTLP_ENDPOINT`) or the full URL ending in `/v1/traces`.
 * The standard `OTEL_EXPORTER_OTLP_*` variables override it; `OTEL_SDK_DISABLED=true` turns it off.
 */
const telemetrySchema = z.strictObject({
  otlp: z
    .strictObject({
      endpoint: z
        .string()
        .regex(/^https?:\/\/[^\s/?#]+[^\s?#]*$/, 'an http(s) URL such as http://127.0.0.1:4318'),
      /** Sent with every export (an API key): names and values. */
      headers: z
        .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name'), z.string())
        .optional(),
    })
    .optional(),
});

/**
 * `.lily/config.yaml`: the project's runtime settings. Every key is optional; unknown keys are
 * refused with their line.
 */
export const configSchema = z.strictObject({
  /** NATS subject namespace (`lily.<namespace>.…`): letters, digits, `_`, `-`. */
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-" (it is a NATS subject token)')
    .default('default'),
  nats: natsSchema.prefault({}),
  /**
   * Where the workers' shared state lives: `lmdb` (the project's `.lily/db`: every worker on this
   * machine) or `nats` (JetStream KV and object store: workers anywhere, each with only NATS, a
   * credential and a directory). Default: `nats` when `lily up --listen` makes the deployment
   * reachable from other machines, else `lmdb` (docs/decisions/026).
   */
  ledger: z.enum(['lmdb', 'nats']).optional(),
  /**
   * Where the engine writes receipts: `thread`, in a worker thread with its own handle on the
   * log, or `inline`, on its event loop, behind the runs. Unset: `thread` for a long-lived
   * engine (`lily up`), `inline` for the short-lived one of a one-shot command (decision 032).
   */
  projector: z.enum(['inline', 'thread']).optional(),
  /** Worker processes the engine starts (0: the engine runs executors in-process). */
  workers: z.number().int().min(0).max(64).default(1),
  /** Packs to load: paths relative to the project directory (`./packs/x.js`) or package names. */
  packs: z.array(z.string().min(1)).default([]),
  /** Run retention defaults; a job's `output.retention` overrides them. */
  retention: retentionSchema.prefault({}),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** OpenTelemetry traces (off unless set, or unless the standard OTEL_EXPORTER_OTLP_* variables are). */
  telemetry: telemetrySchema.optional(),
});

export type LilyConfig = z.output<typeof configSchema>;

/** Validates config text. Throws `config_invalid` `{file, issues: [{path, message, line, column}]}`. */
export const parseConfig = (text: string, file: string): LilyConfig =>
  validateYaml(parseYaml(text, file, 'config_invalid'), configSchema, file, 'config_invalid');

/** Reads `.lily/config.yaml`; a missing file means every default. Throws `config_invalid`. */
export const loadConfig = async (file: string): Promise<LilyConfig> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ENOENT') return configSchema.parse({});
    throw e;
  }
  return parseConfig(text, file);
};
