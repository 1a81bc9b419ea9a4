/**
 * Telemetry settings and the OpenTelemetry adapter: where traces go (environment over
 * `.lily/config.yaml`, OTEL_SDK_DISABLED respected), that tracing off is the no-op tracer and
 * never builds an exporter, and that the adapter honours chosen ids, parents and past times.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/actors/logger.js';
import { formatTraceparent, noopTracer, parseTraceparent } from '../../../src/contracts/tracing.js';
import { createOtelTracer } from '../../../src/deployment/otel-tracer.js';
import { type OtlpSettings, otlpSettings } from '../../../src/deployment/otlp-settings.js';
import { startTelemetry } from '../../../src/deployment/telemetry.js';
import { parseConfig } from '../../../src/project/config.js';

const config = (endpoint: string, headers?: Record<string, string>) => ({
  otlp: { endpoint, ...(headers ? { headers } : {}) },
});

describe('otlpSettings: whether and where traces go', () => {
  it('is off when nothing is configured', () => {
    expect(otlpSettings(undefined, {})).toBeUndefined();
    expect(otlpSettings({}, { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeUndefined();
  });

  it('takes the config endpoint, appending /v1/traces unless it is there, with its headers', () => {
    expect(otlpSettings(config('http://c:4318', { 'x-api-key': 'k' }), {})).toEqual({
      url: 'http://c:4318/v1/traces',
      headers: { 'x-api-key': 'k' },
      source: 'config',
    });
    expect(otlpSettings(config('https://c/otlp/'), {})?.url).toBe('https://c/otlp/v1/traces');
    expect(otlpSettings(config('https://c/otlp/v1/traces'), {})?.url).toBe('https://c/otlp/v1/traces');
  });

  it('lets the standard variables override the config (the config headers stay with the config endpoint)', () => {
    const fromFile = config('http://file:4318', { 'x-api-key': 'k' });
    expect(otlpSettings(fromFile, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318/' })).toEqual({
      url: 'http://env:4318/v1/traces',
      headers: {},
      source: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    });
    expect(
      otlpSettings(fromFile, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom',
      }),
    ).toEqual({
      url: 'http://traces:9999/custom',
      headers: {},
      source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    });
  });

  it('respects OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none whatever else is set', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' };
    expect(otlpSettings(config('http://c:4318'), { ...env, OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
    expect(otlpSettings(config('http://c:4318'), { ...env, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(otlpSettings(config('http://c:4318'), { OTEL_SDK_DISABLED: 'false' })?.source).toBe('config');
  });

  it('is checked in config.yaml: an http(s) endpoint, header names, no unknown keys', () => {
    expect(
      parseConfig(
        'telemetry: { otlp: { endpoint: "http://127.0.0.1:4318", headers: { x-key: v } } }\n',
        'c.yaml',
      ).telemetry,
    ).toEqual({ otlp: { endpoint: 'http://127.0.0.1:4318', headers: { 'x-key': 'v' } } });
    for (const bad of [
      'telemetry: { otlp: { endpoint: "grpc://c:4317" } }',
      'telemetry: { otlp: { endpoint: "http://c", headers: { "a b": v } } }',
      'telemetry: { otlp: { url: "http://c" } }',
    ])
      expect(() => parseConfig(`${bad}\n`, 'c.yaml'), bad).toThrow(/telemetry\.otlp/);
  });
});

describe('startTelemetry', () => {
  it('with tracing off is the no-op tracer and never builds an exporter', async () => {
    const built: OtlpSettings[] = [];
    const exporter = (s: OtlpSettings): SpanExporter => {
      built.push(s);
      return new InMemorySpanExporter();
    };
    const log = memoryLogger();
    const cases = [
      { config: {}, env: {} },
      { config: { telemetry: config('http://c:4318') }, env: { OTEL_SDK_DISABLED: 'true' } },
      { config: {}, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' } },
    ];
    for (const c of cases) {
      const tracer = await startTelemetry({ service: 'lily-engine', log, exporter, ...c });
      expect(tracer).toBe(noopTracer);
      expect(tracer.enabled).toBe(false);
      const span = tracer.startSpan({ name: 'x' });
      span.end({ code: 'ok' });
      await tracer.shutdown();
    }
    expect(built).toEqual([]);
    expect(log.entries).toEqual([]);
  });

  it('with an endpoint exports spans with the service name, once flushed', async () => {
    const exporter = new InMemorySpanExporter();
    const built: OtlpSettings[] = [];
    const log = memoryLogger();
    const tracer = await startTelemetry({
      service: 'lily-worker',
      instance: 'w7',
      config: { telemetry: config('http://collector:4318') },
      env: {},
      log,
      exporter: (s) => {
        built.push(s);
        return exporter;
      },
    });
    expect(tracer.enabled).toBe(true);
    expect(built.map((s) => s.url)).toEqual(['http://collector:4318/v1/traces']);
    tracer
      .startSpan({
        name: 'execute a',
        kind: 'consumer',
        attributes: { 'lily.step_id': 'a', gone: undefined },
      })
      .end({
        code: 'error',
        message: 'boom',
      });
    await tracer.flush();
    const [span] = exporter.getFinishedSpans() as [ReadableSpan];
    expect(span.name).toBe('execute a');
    expect(span.attributes).toEqual({ 'lily.step_id': 'a' });
    expect(span.status).toEqual({ code: 2, message: 'boom' });
    expect(span.resource.attributes).toMatchObject({
      'service.name': 'lily-worker',
      'service.instance.id': 'w7',
    });
    expect(log.entries).toMatchObject([
      { event: 'telemetry.started', url: 'http://collector:4318/v1/traces' },
    ]);
  });
});

describe('the OpenTelemetry adapter', () => {
  const settings: OtlpSettings = { url: 'http://c:4318/v1/traces', headers: {}, source: 'config' };

  it('uses the ids, parent and times it is given (times before the process started included)', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = createOtelTracer({ service: 'lily-engine', settings, log: memoryLogger(), exporter });
    const traceId = 'a'.repeat(32);
    const root = tracer.startSpan({
      name: 'run',
      ids: { traceId, spanId: 'b'.repeat(16) },
      startTime: Date.UTC(2001, 0, 1),
    });
    expect(root.context).toEqual({ traceId, spanId: 'b'.repeat(16), sampled: true });
    const child = tracer.startSpan({
      name: 'step',
      ids: { traceId: 'f'.repeat(32), spanId: 'c'.repeat(16) },
      parent: root.context,
      startTime: Date.UTC(2001, 0, 1, 0, 0, 1),
    });
    // A parent's trace id wins over a chosen one.
    expect(child.context.traceId).toBe(traceId);
    child.addEvent('step.started', { 'lily.worker': 'w1' }, Date.UTC(2001, 0, 1, 0, 0, 2));
    child.end({ code: 'ok' }, Date.UTC(2001, 0, 1, 0, 0, 3, 250));
    root.addLink({ traceId: 'd'.repeat(32), spanId: 'e'.repeat(16), sampled: true });
    root.end({ code: 'unset' }, Date.UTC(2001, 0, 1, 0, 0, 4));
    // Random ids again once chosen ones were used.
    const free = tracer.startSpan({ name: 'free' });
    expect(free.context.spanId).not.toBe('c'.repeat(16));
    free.end({ code: 'ok' });
    await tracer.flush();
    const spans = exporter.getFinishedSpans();
    const step = spans.find((s) => s.name === 'step') as ReadableSpan;
    expect(step.parentSpanContext?.spanId).toBe('b'.repeat(16));
    expect(step.startTime).toEqual([Date.UTC(2001, 0, 1, 0, 0, 1) / 1000, 0]);
    expect(step.endTime).toEqual([Date.UTC(2001, 0, 1, 0, 0, 3) / 1000, 250_000_000]);
    expect(step.events).toMatchObject([
      { name: 'step.started', time: [Date.UTC(2001, 0, 1, 0, 0, 2) / 1000, 0] },
    ]);
    const run = spans.find((s) => s.name === 'run') as ReadableSpan;
    expect(run.links.map((l) => l.context.traceId)).toEqual(['d'.repeat(32)]);
    expect(run.status.code).toBe(0);
    await tracer.shutdown();
  });

  it('logs a failed export once, and its recovery', async () => {
    let fail = true;
    const inner = new InMemorySpanExporter();
    const flaky: SpanExporter = {
      export: (spans, done) => {
        if (fail) done({ code: ExportResultCode.FAILED, error: new Error('ECONNREFUSED') });
        else inner.export(spans, done);
      },
      shutdown: () => inner.shutdown(),
    };
    const log = memoryLogger();
    const tracer = createOtelTracer({ service: 'lily-engine', settings, log, exporter: flaky });
    for (const name of ['one', 'two']) {
      tracer.startSpan({ name }).end({ code: 'ok' });
      await tracer.flush();
    }
    fail = false;
    tracer.startSpan({ name: 'three' }).end({ code: 'ok' });
    await tracer.flush();
    expect(log.entries.map((e) => [e.level, e.event])).toEqual([
      ['warn', 'telemetry.export_failed'],
      ['info', 'telemetry.export_recovered'],
    ]);
    expect(inner.getFinishedSpans().map((s) => s.name)).toEqual(['three']);
    await tracer.shutdown();
  });
});

describe('W3C traceparent', () => {
  const ctx = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: true };

  it('formats and parses back', () => {
    expect(formatTraceparent(ctx)).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(parseTraceparent(formatTraceparent(ctx))).toEqual(ctx);
    expect(parseTraceparent(formatTraceparent({ ...ctx, sampled: false }))).toEqual({
      ...ctx,
      sampled: false,
    });
  });

  it('refuses what is not one: bad lengths, upper case, zero ids, version ff, extra fields in version 00', () => {
    for (const bad of [
      undefined,
      '',
      '00-abc-def-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      `00-${'0'.repeat(32)}-b7ad6b7169203331-01`,
      `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`,
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    ])
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    // A later version may add fields: the first four are read.
    expect(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03-more')).toEqual(ctx);
  });
});
