/**
 * A signal that follows `source` (aborts with its reason) until `unlink()`. What a dispatch
 * uses for the worker's shutdown signal: `AbortSignal.any([shutdown, ...])` on a signal that
 * lives as long as the worker leaves a `WeakRef` in that signal's set of dependants for every
 * call, and Node 20 never prunes it (measured: one per command dispatch, for the daemon's life).
 * A listener removed when the dispatch ends leaves nothing behind.
 */
export const linkedSignal = (source: AbortSignal): { signal: AbortSignal; unlink(): void } => {
  const controller = new AbortController();
  if (source.aborted) {
    controller.abort(source.reason);
    return { signal: controller.signal, unlink: () => {} };
  }
  const follow = () => controller.abort(source.reason);
  source.addEventListener('abort', follow, { once: true });
  return { signal: controller.signal, unlink: () => source.removeEventListener('abort', follow) };
};
