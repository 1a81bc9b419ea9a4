import type { LilyConfig } from '../project/config.js';

/** Where traces go, once resolved from the environment and `.lily/config.yaml`. */
export interface OtlpSettings {
  /** The URL spans are POSTed to (`…/v1/traces`). */
  url: string;
  /** Headers from the config (the exporter adds `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` itself). */
  headers: Record<string, string>;
  source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'config';
}

export type Env = Readonly<Record<string, string | undefined>>;

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
