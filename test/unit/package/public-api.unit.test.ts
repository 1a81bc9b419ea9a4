/**
 * The public API (`src/index.ts`, imported as `lily`, and `src/testing/index.ts`, imported as
 * `lily/testing`): what a blueprint or pack author needs is there, and every export is
 * documented where it is declared: a doc comment, an `@example` for every value, and the
 * failure semantics (`@throws` with the codes, or "never throws") for every function and class.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRIES = { lily: join(ROOT, 'src/index.ts'), 'lily/testing': join(ROOT, 'src/testing/index.ts') };

/** Files whose exports the rules below do not hold (none: every public export is documented). */
const DOCUMENTED_ELSEWHERE = new Set<string>();

/** What an author cannot do without (docs/package.md): removing one of these is a breaking change. */
const REQUIRED = {
  lily: [
    'defineBlueprint',
    'definePack',
    'installPack',
    'compileBlueprint',
    'createBuiltinCatalog',
    'BUILTIN_BLUEPRINTS',
    'commandBlueprint',
    'pipelineBlueprint',
    'councilBlueprint',
    'LilyError',
    'isLilyError',
    'hasErrorCode',
    'toLilyError',
    'ERROR_CODES',
    'isErrorCode',
    'StepError',
    'isStepError',
    'canonicalJson',
    'hashJson',
    'sha256Hex',
    'jsonSchema',
    'EVENT_TYPES',
    // types
    'Blueprint',
    'AnyBlueprint',
    'PlanBody',
    'Plan',
    'PlanStep',
    'InputRef',
    'Catalog',
    'JobKind',
    'LilyPack',
    'StepTemplate',
    'RoutingPolicy',
    'CompileTools',
    'ExecutorFn',
    'PartitionerFn',
    'ExecutionContext',
    'ExecutionRequest',
    'ExecutionResult',
    'ArtifactStore',
    'Logger',
    'ErrorCode',
    'StoredEvent',
    'EventType',
    'EventData',
    'BlueprintRunEnvelope',
    'RunReceipt',
    'StepReceipt',
    'Json',
    'JsonObject',
  ],
  'lily/testing': ['checkBlueprint', 'checkRun', 'planArb', 'outcomesArb', 'simulate', 'eventBound'],
} as const;

interface ExportDoc {
  name: string;
  file: string;
  isValue: boolean;
  isCallable: boolean;
  text: string;
  tags: string[];
}

const programOf = (entries: string[]) => {
  const program = ts.createProgram(entries, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  return { program, checker: program.getTypeChecker() };
};

const exportsOf = ({ program, checker }: ReturnType<typeof programOf>, entry: string): ExportDoc[] => {
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`${entry} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : (exported as ts.Symbol);
    const declaration = symbol.declarations?.[0];
    // `export type { C }` of a class exports only its type.
    const typeOnly = exported.declarations?.some(
      (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
    );
    const isValue = !typeOnly && (symbol.flags & ts.SymbolFlags.Value) !== 0;
    const type = declaration ? checker.getTypeOfSymbolAtLocation(symbol, declaration) : undefined;
    return {
      name: exported.name,
      file: declaration ? relative(ROOT, declaration.getSourceFile().fileName) : '?',
      isValue,
      isCallable:
        isValue &&
        type !== undefined &&
        (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0),
      text: ts.displayPartsToString(symbol.getDocumentationComment(checker)),
      tags: symbol.getJsDocTags(checker).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`),
    };
  });
};

const undocumented = (exported: ExportDoc[]): string[] =>
  exported
    .filter((e) => e.text.trim() === '' && !DOCUMENTED_ELSEWHERE.has(e.file))
    .map((e) => `${e.name} (${e.file})`);

const missingExamplesAndFailures = (exported: ExportDoc[]): string[] => {
  const problems: string[] = [];
  for (const e of exported) {
    if (!e.isValue || DOCUMENTED_ELSEWHERE.has(e.file)) continue;
    if (!e.tags.some((t) => t.startsWith('@example'))) problems.push(`${e.name} (${e.file}): no @example`);
    const failure = e.tags.some((t) => t.startsWith('@throws')) || /never throws/i.test(e.text);
    if (e.isCallable && !failure) problems.push(`${e.name} (${e.file}): neither @throws nor "never throws"`);
  }
  return problems;
};

const api = programOf(Object.values(ENTRIES));

describe.each(Object.entries(ENTRIES))('%s', (name, entry) => {
  const exported = exportsOf(api, entry);

  it('exports what an author needs', () => {
    const names = new Set(exported.map((e) => e.name));
    const missing = REQUIRED[name as keyof typeof REQUIRED].filter((n) => !names.has(n));
    expect(missing).toEqual([]);
  });

  it('documents every export at its declaration', () => {
    expect(undocumented(exported)).toEqual([]);
  });

  it('gives every value an @example, and every function and class its failure semantics', () => {
    expect(missingExamplesAndFailures(exported)).toEqual([]);
  });
});

describe('the documentation rules', () => {
  it('refuse an undocumented export, a value without @example and a function without failure semantics', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lily-api-rules-'));
    try {
      const file = join(dir, 'mod.ts');
      writeFileSync(
        file,
        [
          'export type Bare = 1;',
          '/** A doc. */',
          'export const noExample = 1;',
          '/**',
          ' * A function.',
          ' * @example',
          ' * f();',
          ' */',
          'export const f = (): number => 1;',
          '/**',
          ' * Fine. Never throws.',
          ' * @example',
          ' * g();',
          ' */',
          'export const g = (): number => 1;',
        ].join('\n'),
      );
      const exported = exportsOf(programOf([file]), file);
      expect(undocumented(exported).map((p) => p.split(' ')[0])).toEqual(['Bare']);
      expect(missingExamplesAndFailures(exported)).toEqual([
        expect.stringMatching(/^noExample .*: no @example$/),
        expect.stringMatching(/^f .*: neither @throws nor "never throws"$/),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
