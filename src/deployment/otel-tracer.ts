/**
 * The Tracer port over the OpenTelemetry JS SDK: a BasicTracerProvider with a BatchSpanProcessor
 * and the OTLP/HTTP (JSON) trace exporter. Loaded only when tracing is on (`startTelemetry`).
 */
import {
  type Attributes,
  type HrTime,
  type Span as OtelSpan,
  type SpanContext as OtelSpanContext,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  RandomIdGenerator,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { errorInfo } from '../actors/error-info.js';
import type { Logger } from '../actors/logger.js';
import { LILY_VERSION } from '../actors/runtime/version.js';
import type {
  SpanKind as LilySpanKind,
  Span,
  SpanAttributes,
  SpanContext,
  SpanOptions,
  Tracer,
} from '../contracts/tracing.js';
import type { OtlpSettings } from './otlp-settings.js';

/**
 * Random ids, except for the span being started when the caller chose its ids (spans derived
 * from the log). The SDK asks for the ids synchronously inside `startSpan`, so setting `next`
 * just before and clearing it just after is exact.
 */
class ChosenIdGenerator implements IdGenerator {
  next: { readonly traceId: string; readonly spanId: string } | undefined;
  readonly #random = new RandomIdGenerator();
  generateTraceId(): string {
    return this.next?.traceId ?? this.#random.generateTraceId();
  }
  generateSpanId(): string {
    return this.next?.spanId ?? this.#random.generateSpanId();
  }
}

/** Exports through `inner` and logs failures: the first one, then once more after a success. */
class LoggingExporter implements SpanExporter {
  #failing = false;
  constructor(
    private readonly inner: SpanExporter,
    private readonly log: Logger,
    private readonly url: string,
  ) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.FAILED && !this.#failing) {
        this.#failing = true;
        this.log.warn(
          {
            event: 'telemetry.export_failed',
            url: this.url,
            spans: spans.length,
            error: errorInfo(result.error),
          },
          'traces could not be exported; they are dropped until the collector answers',
        );
      } else if (result.code === ExportResultCode.SUCCESS && this.#failing) {
        this.#failing = false;
        this.log.info({ event: 'telemetry.export_recovered', url: this.url }, 'traces are exported again');
      }
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const KINDS: Readonly<Record<LilySpanKind, SpanKind>> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

/** Epoch milliseconds as an OpenTelemetry HrTime (never read as a `performance.now()` offset). */
const hrTime = (ms: number): HrTime => {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
};

const attributes = (a: SpanAttributes | undefined): Attributes => {
  const out: Attributes = {};
  if (a) for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v;
  return out;
};

const toOtel = (c: SpanContext): OtelSpanContext => ({
  traceId: c.traceId,
  spanId: c.spanId,
  traceFlags: c.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  isRemote: true,
});

const wrap = (s: OtelSpan): Span => {
  const sc = s.spanContext();
  return {
    context: {
      traceId: sc.traceId,
      spanId: sc.spanId,
      sampled: (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
    },
    setAttributes: (a) => {
      s.setAttributes(attributes(a));
    },
    addLink: (c) => {
      s.addLink({ context: toOtel(c) });
    },
    addEvent: (name, a, time) => {
      s.addEvent(name, attributes(a), time === undefined ? undefined : hrTime(time));
    },
    end: (status, endTime) => {
      if (status.code === 'ok') s.setStatus({ code: SpanStatusCode.OK });
      else if (status.code === 'error') s.setStatus({ code: SpanStatusCode.ERROR, message: status.message });
      s.end(endTime === undefined ? undefined : hrTime(endTime));
    },
  };
};

export interface OtelTracerOptions {
  service: string;
  instance?: string;
  settings: OtlpSettings;
  log: Logger;
  /** Default: OTLPTraceExporter (http/json) to `settings.url` with `settings.headers`. */
  exporter?: SpanExporter;
}

/**
 * A Tracer exporting through the OpenTelemetry SDK. The resource is `service.name` (the
 * process's role), `service.version` (Lily's) and `service.instance.id`, overridable by
 * `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`; sampling and batching follow the standard
 * `OTEL_TRACES_SAMPLER*` and `OTEL_BSP_*` variables (default: every trace, batches every 5 s).
 */
export const createOtelTracer = (o: OtelTracerOptions): Tracer => {
  const exporter = o.exporter ?? new OTLPTraceExporter({ url: o.settings.url, headers: o.settings.headers });
  const resource = resourceFromAttributes({
    'service.name': o.service,
    'service.version': LILY_VERSION,
    ...(o.instance === undefined ? {} : { 'service.instance.id': o.instance }),
  }).merge(detectResources({ detectors: [envDetector] }));
  const ids = new ChosenIdGenerator();
  const provider = new BasicTracerProvider({
    resource,
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(new LoggingExporter(exporter, o.log, o.settings.url))],
  });
  const tracer = provider.getTracer('lily', LILY_VERSION);
  let stopped = false;
  return {
    enabled: true,
    startSpan(s: SpanOptions): Span {
      const parent = s.parent ? trace.setSpanContext(ROOT_CONTEXT, toOtel(s.parent)) : ROOT_CONTEXT;
      ids.next = s.ids;
      try {
        return wrap(
          tracer.startSpan(
            s.name,
            {
              kind: KINDS[s.kind ?? 'internal'],
              attributes: attributes(s.attributes),
              ...(s.startTime === undefined ? {} : { startTime: hrTime(s.startTime) }),
            },
            parent,
          ),
        );
      } finally {
        ids.next = undefined;
      }
    },
    flush: () => provider.forceFlush().catch(() => {}),
    shutdown: () => {
      if (stopped) return Promise.resolve();
      stopped = true;
      return provider.shutdown().catch(() => {});
    },
  };
};
