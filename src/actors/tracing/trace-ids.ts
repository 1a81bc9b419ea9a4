import { sha256Hex } from '../../contracts/canonical-json.js';

/**
 * Trace and span ids derived from the ids in the log, so that whoever reads a run's log (the
 * engine that ran it, or one restarted halfway) names the same spans: a run's trace id is a
 * hash of its run id, a dispatch's span id a hash of its dispatch id. Nothing random: a
 * restarted engine continues the trace it began, and anyone can find a run's trace from its id
 * (`lily.run_id` is also an attribute of every span).
 */

/** sha256 never gives all zeros in practice; an invalid (all-zero) OpenTelemetry id is mapped away anyway. */
const nonZero = (hex: string): string => (/^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex);

/** The trace id of a run: the first 16 bytes of sha256(`lily/trace/<runId>`), in hex. */
export const runTraceId = (runId: string): string => nonZero(sha256Hex(`lily/trace/${runId}`).slice(0, 32));

/** The span id of a span of a run, by its key in the run (`run`, a dispatch id, ...): 8 bytes of sha256. */
export const runSpanId = (runId: string, key: string): string =>
  nonZero(sha256Hex(`lily/span/${runId}/${key}`).slice(0, 16));

/** The key of a run's root span (the span id is `runSpanId(runId, ROOT_KEY)`). */
export const ROOT_KEY = 'run';

/** The ids of a run's root span: what every entry logged about the run carries (`trace_id`, `span_id`). */
export const runLogContext = (runId: string): { trace_id: string; span_id: string } => ({
  trace_id: runTraceId(runId),
  span_id: runSpanId(runId, ROOT_KEY),
});
