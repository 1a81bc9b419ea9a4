import type { StoredEvent } from '../../contracts/events/envelope.js';
import { formatDuration } from './format.js';
import { printable } from './printable.js';
import type { Colors } from './ui.js';

type Data = Record<string, unknown>;

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Where progress goes: a stream, and whether it is a terminal (spinner) or not (plain lines). */
export interface ProgressSink {
  write(text: string): void;
  tty: boolean;
  /** The time the spinner measures elapsed time against (the client's clock). */
  now: () => number;
  /** `lily <args>` as the user should type it (with their `--dir`), for the hints in the lines. */
  lily: (args: string) => string;
}

const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/**
 * Live progress of one run, fed its events in order: one line per step state change (started,
 * succeeded with its duration, failed, retry, timeout, indeterminate, policy and approvals),
 * and on a terminal a spinner line naming the steps at work, redrawn in place.
 */
export class RunProgress {
  readonly #c: Colors;
  readonly #sink: ProgressSink;
  readonly #running = new Map<string, number>();
  /** Dispatch ids of non-idempotent dispatches: a timeout leaves them indeterminate. */
  readonly #nonIdempotent = new Set<string>();
  #t0: number | undefined;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #spinnerShown = false;

  constructor(colors: Colors, sink: ProgressSink) {
    this.#c = colors;
    this.#sink = sink;
    if (sink.tty) this.#timer = setInterval(() => this.#draw(), 100);
  }

  /** Renders one event of the run (events must arrive in seq order). */
  event(e: StoredEvent): void {
    this.#t0 ??= e.at;
    const line = this.#line(e, (e.data ?? {}) as Data);
    if (line !== undefined)
      this.#print(`${this.#c.dim(`+${formatDuration(e.at - this.#t0).padStart(6)}`)}  ${line}`);
  }

  /** Stops the spinner and clears its line. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  #line(e: StoredEvent, d: Data): string | undefined {
    const c = this.#c;
    const step = c.bold(s(d.stepId));
    const attempt = d.attempt === undefined ? '' : `#${s(d.attempt)}`;
    const shard = d.shard === undefined ? '' : ` [${s(d.shard)}]`;
    switch (e.type) {
      case 'run.started':
        return `${c.cyan('▶')} run ${c.bold(s(d.runId ?? e.stream.slice(4)))} started`;
      case 'step.started':
        this.#running.set(`${s(d.stepId)}${shard}`, e.at);
        return `${c.yellow('▸')} ${step}${shard}  running ${attempt}${d.worker ? c.dim(`  worker ${s(d.worker)}`) : ''}`;
      case 'step.succeeded':
        this.#running.delete(`${s(d.stepId)}${shard}`);
        return `${c.green('✓')} ${step}${shard}  ${c.green('succeeded')} ${attempt}  ${formatDuration(Number(d.durationMs ?? 0))}`;
      case 'step.failed': {
        this.#running.delete(`${s(d.stepId)}${shard}`);
        const err = (d.error ?? {}) as Data;
        // Whether another attempt follows is the run's decision, not the executor's: the
        // `step.retry_scheduled` line right after says so, and the last attempt has none.
        return `${c.red('✗')} ${step}${shard}  ${c.red('failed')} ${attempt}  ${s(err.code)}: ${printable(s(err.message), { oneLine: true })}`;
      }
      case 'step.retry_scheduled':
        return `${c.yellow('↻')} ${step}${shard}  retry #${s(d.nextAttempt)} in ${formatDuration(Number(d.delayMs ?? 0))}`;
      case 'step.dispatched':
        if (d.idempotent === false) this.#nonIdempotent.add(s(d.dispatchId));
        return undefined;
      case 'step.timed_out': {
        this.#running.delete(`${s(d.stepId)}${shard}`);
        const line = `${c.red('⏱')} ${step}${shard}  timed out ${attempt} after ${formatDuration(Number(d.timeoutMs ?? 0))}`;
        return this.#nonIdempotent.has(s(d.dispatchId)) ? `${line}\n${this.#indeterminate(e, d)}` : line;
      }
      case 'step.indeterminate':
        return this.#indeterminate(e, d);
      case 'step.skipped':
        return `${c.dim('-')} ${step}  skipped${d.reason ? c.dim(`  ${s(d.reason)}`) : ''}`;
      case 'policy.decided':
        return this.#policy(d, step, attempt);
      case 'approval.requested': {
        const id = s(d.approvalId);
        const { lily } = this.#sink;
        return `${c.yellow('⏸')} ${step} ${attempt}  waiting for approval ${c.bold(id)} (${s(d.reason)}): \`${lily(`approvals grant ${id}`)}\` or \`${lily(`approvals deny ${id} --reason <text>`)}\``;
      }
      case 'approval.granted':
        return `${c.green('✓')} ${step}  approval ${s(d.approvalId)} granted by ${s(d.by)}`;
      case 'approval.denied':
        return `${c.red('✗')} ${step}  approval ${s(d.approvalId)} denied by ${s(d.by)}: ${s(d.reason)}`;
      case 'gate.passed':
        return `  ${c.green('✓')} ${step}  gate ${s(d.gateId)} passed`;
      case 'gate.failed':
        return `  ${c.red('✗')} ${step}  gate ${s(d.gateId)} failed`;
      case 'gate.skipped':
        return `  ${c.dim('-')} ${step}  gate ${s(d.gateId)} skipped${c.dim('  dry run: it has side effects')}`;
      case 'run.cancel_requested':
        return `${c.red('■')} cancel requested by ${s(d.by)}${d.reason ? `: ${s(d.reason)}` : ''}`;
      default:
        return undefined;
    }
  }

  #indeterminate(e: StoredEvent, d: Data): string {
    const run = e.stream.slice(4);
    return `${this.#c.magenta('?')} ${this.#c.bold(s(d.stepId))}  indeterminate (dispatch ${s(d.dispatchId)}): answer with \`${this.#sink.lily(`runs resolve ${run} ${s(d.dispatchId)} --succeeded | --failed --reason <text>`)}\``;
  }

  #policy(d: Data, step: string, attempt: string): string | undefined {
    const c = this.#c;
    const reasons = Array.isArray(d.reasons) ? d.reasons.map(String).join('; ') : '';
    if (d.decision === 'deny') {
      return `${c.red('✗')} ${step} ${attempt}  ${c.red('denied by policy')}${d.rule ? ` (rule ${s(d.rule)})` : ''}${reasons ? `: ${reasons}` : ''}`;
    }
    return undefined;
  }

  #print(text: string): void {
    this.#clear();
    this.#sink.write(`${text}\n`);
    this.#draw();
  }

  #clear(): void {
    if (this.#spinnerShown) this.#sink.write('\r\x1b[2K');
    this.#spinnerShown = false;
  }

  #draw(): void {
    if (!this.#timer || this.#running.size === 0) {
      this.#clear();
      return;
    }
    const names = [...this.#running.keys()];
    const since = Math.min(...this.#running.values());
    const frame = FRAMES[this.#frame++ % FRAMES.length] ?? '';
    const text = `${this.#c.cyan(frame)} ${names.length} running: ${names.join(', ')}  ${this.#c.dim(formatDuration(this.#sink.now() - since))}`;
    this.#sink.write(`\r\x1b[2K${text}`);
    this.#spinnerShown = true;
  }
}
