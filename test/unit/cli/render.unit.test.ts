import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit.js';
import { errorJson, renderJson } from '../../../src/cli/render/json.js';
import { isBlueprintDiagnostic, renderErrorPanel } from '../../../src/cli/render/panel.js';
import { renderFields, renderTable } from '../../../src/cli/render/table.js';
import { colorEnabled } from '../../../src/cli/render/ui.js';
import { LilyError } from '../../../src/contracts/errors.js';

const plain = pc.createColors(false);
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

describe('error panel', () => {
  it('frames blueprint_* codes as a Blueprint Diagnostic with code, message, data and hint', () => {
    const error = new LilyError('blueprint_compile_failed', 'x@1.0.0: compile returned an invalid plan', {
      blueprint: 'x@1.0.0',
      reason: 'plan_invalid',
    });
    const text = renderErrorPanel(plain, error);
    expect(text.split('\n')[0]).toContain('Blueprint Diagnostic');
    expect(text).toContain('blueprint_compile_failed (input, exit 2)');
    expect(text).toContain('x@1.0.0: compile returned an invalid plan');
    expect(text).toContain('reason: plan_invalid');
    expect(text).toContain('The blueprint produced an invalid plan.');
    expect(text).not.toMatch(ANSI);
  });

  it('frames other codes as an Error and lists issues as file:line:column path message', () => {
    const error = new LilyError('job_invalid_spec', 'bad', {
      file: '/p/j.job.yaml',
      issues: [{ path: 'trigger.cron', message: 'bad cron', line: 9, column: 9 }],
    });
    const text = renderErrorPanel(plain, error);
    expect(text.split('\n')[0]).toContain(' Error ');
    expect(text).toContain('✗ /p/j.job.yaml:9:9  trigger.cron  bad cron');
  });

  it('colors only when asked', () => {
    const error = new LilyError('internal_error', 'boom');
    expect(renderErrorPanel(pc.createColors(true), error)).toMatch(ANSI);
    expect(renderErrorPanel(plain, error)).not.toMatch(ANSI);
  });

  it('classifies compile-boundary codes', () => {
    expect(isBlueprintDiagnostic('blueprint_not_found')).toBe(true);
    expect(isBlueprintDiagnostic('stage_executor_not_allowed')).toBe(true);
    expect(isBlueprintDiagnostic('job_not_found')).toBe(false);
  });
});

describe('exit codes and JSON', () => {
  it('maps input errors to 2 and failures to 1', () => {
    expect(exitCodeFor(new LilyError('job_bindings_invalid', 'x'))).toBe(2);
    expect(exitCodeFor(new LilyError('usage_invalid', 'x'))).toBe(2);
    expect(exitCodeFor(new LilyError('job_execution_failed', 'x'))).toBe(1);
    expect(exitCodeFor(new LilyError('internal_error', 'x'))).toBe(1);
  });

  it('prints errors as {error: {code, message, data}} without a stack', () => {
    const text = renderJson(errorJson(new LilyError('job_not_found', 'no job', { id: 'x' })));
    expect(JSON.parse(text)).toEqual({
      error: { code: 'job_not_found', message: 'no job', data: { id: 'x' } },
    });
    expect(text).not.toContain('stack');
  });
});

describe('colors', () => {
  const tty = { isTTY: true, write: () => true };
  const pipe = { isTTY: false, write: () => true };
  it('are on for a terminal, off for a pipe', () => {
    expect(colorEnabled(tty, true, {})).toBe(true);
    expect(colorEnabled(pipe, true, {})).toBe(false);
  });
  it('honour NO_COLOR, FORCE_COLOR, TERM=dumb and --no-color', () => {
    expect(colorEnabled(tty, true, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, true, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled(pipe, true, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(pipe, true, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled(tty, true, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled(tty, false, { FORCE_COLOR: '1' })).toBe(false);
  });
});

describe('tables', () => {
  it('renders a header and rows', () => {
    const text = renderTable(plain, ['ID', 'TITLE'], [['hello', 'Hello, Lily']]);
    expect(text).toMatch(/ID\s+│ TITLE/);
    expect(text).toMatch(/hello\s+│ Hello, Lily/);
  });
  it('aligns fields and drops undefined ones', () => {
    expect(
      renderFields(plain, [
        ['id', 'x'],
        ['description', undefined],
        ['title', 'T'],
      ]),
    ).toBe('id     x\ntitle  T');
  });
});
