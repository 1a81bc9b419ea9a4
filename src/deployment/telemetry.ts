import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../actors/logger.js';
import { noopTracer, type Tracer } from '../contracts/tracing.js';
import type { LilyConfig } from '../project/config.js';
import { type Env, type OtlpSettings, otlpSettings } from './otlp-settings.js';

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
