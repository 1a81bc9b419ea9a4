/**
 * The Tracer port: spans with a parent, attributes, events and a status, in the shape
 * OpenTelemetry exports them. Actors trace through it; src/deployment adapts it to the
 * OpenTelemetry SDK (docs/telemetry.md). Tracing is off unless configured: the default is
 * `noopTracer`, whose `enabled` is false so callers skip building spans and their attributes
 * altogether (one branch, no allocation).
 */

/** A span's identity as W3C trace context carries it: 32 and 16 lowercase hex digits, and the sampled flag. */
export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

export type SpanAttributeValue = string | number | boolean;
/** Attributes of a span or span event; `undefined` values are left out. */
export type SpanAttributes = Readonly<Record<string, SpanAttributeValue | undefined>>;

/** How a span ended: `ok`, `error` (with a message) or `unset` (neither: cancelled, indeterminate). */
export type SpanStatus =
  | { readonly code: 'ok' }
  | { readonly code: 'error'; readonly message: string }
  | { readonly code: 'unset' };

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface SpanOptions {
  readonly name: string;
  /** The parent span (another process's, from a `traceparent`); none: a root span. */
  readonly parent?: SpanContext;
  /**
   * Ids chosen by the caller instead of random ones: spans derived from the log use ids derived
   * from the log's ids, so a restarted engine continues the same trace. With a parent, the
   * trace id is the parent's and `traceId` here is ignored.
   */
  readonly ids?: { readonly traceId: string; readonly spanId: string };
  readonly kind?: SpanKind;
  /** Epoch milliseconds; default: now. */
  readonly startTime?: number;
  readonly attributes?: SpanAttributes;
}

/** A started span. Every method is a no-op after `end`; none throws. */
export interface Span {
  readonly context: SpanContext;
  setAttributes(attributes: SpanAttributes): void;
  /** Relates this span to another that is not its parent (a fork's parent run). */
  addLink(context: SpanContext): void;
  /** `time`: epoch milliseconds, default now. */
  addEvent(name: string, attributes?: SpanAttributes, time?: number): void;
  /** `endTime`: epoch milliseconds, default now. */
  end(status: SpanStatus, endTime?: number): void;
}

/**
 * Starts spans and exports them once they end.
 *
 * @example
 * if (tracer.enabled) {
 *   const span = tracer.startSpan({ name: 'step build', parent: parseTraceparent(item.traceparent ?? '') });
 *   try { await work(); span.end({ code: 'ok' }); }
 *   catch (e) { span.end({ code: 'error', message: String(e) }); throw e; }
 * }
 */
export interface Tracer {
  /** False when tracing is off: callers skip building spans (and their attributes) altogether. */
  readonly enabled: boolean;
  startSpan(options: SpanOptions): Span;
  /** Exports every span ended so far; resolves when they are sent or failed to be (never rejects). */
  flush(): Promise<void>;
  /** Flushes, then stops exporting (never rejects). */
  shutdown(): Promise<void>;
}

const INVALID_CONTEXT: SpanContext = Object.freeze({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  sampled: false,
});

const NOOP_SPAN: Span = Object.freeze({
  context: INVALID_CONTEXT,
  setAttributes: () => {},
  addLink: () => {},
  addEvent: () => {},
  end: () => {},
});

/**
 * The tracer of a process with tracing off: `enabled` is false, `startSpan` returns one shared
 * span that records nothing.
 *
 * @example
 * const tracer: Tracer = configured ? otelTracer : noopTracer;
 */
export const noopTracer: Tracer = Object.freeze({
  enabled: false,
  startSpan: () => NOOP_SPAN,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`); undefined for anything
 * else, an all-zero id, or version `ff`. Never throws.
 *
 * @example
 * parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
 * // { traceId: '0af7…319c', spanId: 'b7ad6b7169203331', sampled: true }
 */
export const parseTraceparent = (value: string | undefined): SpanContext | undefined => {
  if (value === undefined || value.length > 512) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
};

/**
 * A span context as a W3C `traceparent` (version 00).
 *
 * @example
 * formatTraceparent({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: true });
 * // '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
 */
export const formatTraceparent = (ctx: SpanContext): string =>
  `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
