/**
 * A minimal OTLP/HTTP trace receiver for tests: a node:http server on a random loopback port
 * taking `POST /v1/traces` in the OTLP JSON encoding (what @opentelemetry/exporter-trace-otlp-http
 * sends; ids are hex strings), flattening every span with its resource's `service.name`.
 * Anything else is answered 415/404 and counted in `refused`.
 *
 * @example
 * const otlp = await startOtlpReceiver();
 * // .lily/config.yaml: telemetry: { otlp: { endpoint: otlp.endpoint } }
 * expect(otlp.spans.filter((s) => s.service === 'lily-worker')).not.toHaveLength(0);
 * await otlp.stop();
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
  events?: { name: string; attributes?: KeyValue[] }[];
  links?: { traceId: string; spanId: string }[];
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

/** A received span, flattened. */
export interface ReceivedSpan {
  service: string;
  resource: Record<string, unknown>;
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  kind: number | undefined;
  /** Epoch ms. */
  start: number;
  end: number;
  attributes: Record<string, unknown>;
  /** 0 unset, 1 ok, 2 error. */
  status: number;
  statusMessage: string | undefined;
  events: string[];
  links: { traceId: string; spanId: string }[];
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: an OTLP endpoint (the exporter appends `/v1/traces`). */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Export requests received (accepted ones). */
  readonly requests: number;
  readonly refused: string[];
  stop(): Promise<void>;
}

const value = (v: AnyValue): unknown => {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
};
const record = (kvs: KeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));
const ms = (nanos: string | number): number => Number(BigInt(nanos) / 1_000_000n);

const received = (resource: Record<string, unknown>, s: OtlpSpan): ReceivedSpan => ({
  service: String(resource['service.name']),
  resource,
  traceId: s.traceId,
  spanId: s.spanId,
  parentSpanId: s.parentSpanId ? s.parentSpanId : undefined,
  name: s.name,
  kind: s.kind,
  start: ms(s.startTimeUnixNano),
  end: ms(s.endTimeUnixNano),
  attributes: record(s.attributes),
  status: s.status?.code ?? 0,
  statusMessage: s.status?.message,
  events: (s.events ?? []).map((e) => e.name),
  links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
});

/** Every span of an export request, with its resource. */
const flatten = (payload: OtlpTraces): ReceivedSpan[] =>
  (payload.resourceSpans ?? []).flatMap((rs) => {
    const resource = record(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => received(resource, s)));
  });

const body = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

export const startOtlpReceiver = async (): Promise<OtlpReceiver> => {
  const spans: ReceivedSpan[] = [];
  const refused: string[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await body(req);
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        refused.push(`${req.method} ${req.url}`);
        res.writeHead(404).end();
        return;
      }
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        refused.push(`content-type ${req.headers['content-type']}`);
        res.writeHead(415).end();
        return;
      }
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      requests += 1;
      spans.push(...flatten(JSON.parse(text) as OtlpTraces));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    })().catch((e: unknown) => {
      refused.push(`error ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    get requests() {
      return requests;
    },
    refused,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
