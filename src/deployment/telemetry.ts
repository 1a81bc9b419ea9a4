import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../actors/logger.js';
import { noopTracer, type Tracer } from '../contracts/tracing.js';
import type { LilyConfig } from '../project/config.js';

/** Where traces go, once resolved from the environment and `.lily/config.yaml`. */
export interface OtlpSettings {
  /** The URL spans are POSTed to (`…/v1/traces`). */
  url: string;
  /** Headers from the config (the exporter adds `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` itself). */
  headers: Record<string, string>;
  source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'config';
}

type Env = Readonly<Record<string, string | undefined>>;

const TRACES_PATH = 'v1/traces';

/** A base endpoint with the traces path appended (`http://c:4318` -> `http://c:4318/v1/traces`). */
const withTracesPath = (base: string): string =>
  base.replace(/\/+$/, '').endsWith(`/${TRACES_PATH}`) ? base : `${base.replace(/\/+$/, '')}/${TRACES_PATH}`;

const set = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
};

/**
 * Whether and where to export traces. Off (undefined) when `OTEL_SDK_DISABLED` is `true` or
 * `OTEL_TRACES_EXPORTER` is `none`; else the first of `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used
 * as it is), `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended) and the config's
 * `telemetry.otlp.endpoint` (`/v1/traces` appended unless it ends so); off when none is set.
 * The environment wins over the file, as for every OpenTelemetry SDK; the config's headers go
 * with the config's endpoint only.
 *
 * @example
 * otlpSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
 * // { url: 'http://127.0.0.1:4318/v1/traces', headers: {}, source: 'OTEL_EXPORTER_OTLP_ENDPOINT' }
 */
export const otlpSettings = (telemetry: LilyConfig['telemetry'], env: Env): OtlpSettings | undefined => {
  if (set(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') return undefined;
  if (set(env.OTEL_TRACES_EXPORTER)?.toLowerCase() === 'none') return undefined;
  const traces = set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (traces !== undefined) return { url: traces, headers: {}, source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' };
  const base = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (base !== undefined)
    return { url: withTracesPath(base), headers: {}, source: 'OTEL_EXPORTER_OTLP_ENDPOINT' };
  const otlp = telemetry?.otlp;
  if (otlp === undefined) return undefined;
  return { url: withTracesPath(otlp.endpoint), headers: { ...otlp.headers }, source: 'config' };
};

export interface TelemetryOptions {
  /** `service.name` of the spans: `lily-engine` or `lily-worker`. */
  service: 'lily-engine' | 'lily-worker';
  /** `service.instance.id` (a worker's id); default: none. */
  instance?: string;
  config: Pick<LilyConfig, 'telemetry'>;
  log: Logger;
  /** Default: `process.env`. */
  env?: Env;
  /** The exporter to send spans with (default: OTLP/HTTP JSON to `settings.url`); called only when tracing is on. */
  exporter?: (settings: OtlpSettings) => SpanExporter;
}

/**
 * The tracer of a process: `noopTracer` when tracing is off (nothing of the OpenTelemetry SDK is
 * even loaded), else one over the SDK exporting to the configured collector. Never throws for
 * an unreachable collector: exports that fail are logged (`telemetry.export_failed`) and dropped.
 * The caller shuts it down when the process stops (`shutdown()` flushes what is buffered).
 */
export const startTelemetry = async (o: TelemetryOptions): Promise<Tracer> => {
  const settings = otlpSettings(o.config.telemetry, o.env ?? process.env);
  if (settings === undefined) return noopTracer;
  const { createOtelTracer } = await import('./otel-tracer.js');
  const tracer = createOtelTracer({
    service: o.service,
    ...(o.instance === undefined ? {} : { instance: o.instance }),
    settings,
    log: o.log,
    ...(o.exporter ? { exporter: o.exporter(settings) } : {}),
  });
  o.log.info(
    { event: 'telemetry.started', service: o.service, url: settings.url, source: settings.source },
    'exporting traces over OTLP/HTTP',
  );
  return tracer;
};
