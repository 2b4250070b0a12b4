/**
 * TS guests: generate the world's guest typings with jco, type-check and compile the entry
 * (and what it imports) with the TypeScript API, then hand the emitted JS to the JS path.
 * A type error fails with the compiler's own messages (`file:line:col - error TSxxxx: …`).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type * as TS from 'typescript';
import { LoopError } from '../errors';
import { CODES } from './codes';
import { displayPath, WitTarget } from './workspace';
import { importEsm } from './esm';

export interface CompileTsInput {
  projectDir: string;
  entry: string;
  markerFile: string;
  wit: WitTarget;
  /** Scratch dir; typings go to `<tmp>/types`, JS to `<tmp>/js`. */
  tmp: string;
  /** Base for paths in messages (default: cwd). */
  cwd?: string;
}

/** Writes `declare module 'ns:pkg/iface@x'` typings for the world; returns their paths. */
export async function writeGuestTypes(wit: WitTarget, outDir: string, markerFile: string): Promise<string[]> {
  const { types } = await importEsm<typeof import('@bytecodealliance/jco')>('@bytecodealliance/jco');
  let files: Record<string, Uint8Array>;
  try {
    files = (await types(wit.witDir, { worldName: wit.world, guest: true } as never)) as Record<string, Uint8Array>;
  } catch (e) {
    throw new LoopError({
      code: CODES.witMissing,
      file: displayPath(markerFile),
      field: 'component.world',
      message: `could not generate typings for world '${wit.world}' from ${displayPath(wit.witDir)}: ${e instanceof Error ? e.message : String(e)}`,
      hint: 'use a world defined in that WIT dir ("core", "plugin", or "<namespace>:<package>/<world>")',
    });
  }
  const out: string[] = [];
  for (const [name, bytes] of Object.entries(files)) {
    const p = join(outDir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
    out.push(p);
  }
  return out;
}

/** Type-checks and compiles; returns the emitted JS path of the entry. */
export async function compileTs(input: CompileTsInput): Promise<string> {
  const { projectDir, entry, markerFile, tmp } = input;
  const cwd = input.cwd ?? process.cwd();
  const ts: typeof TS = await import('typescript').then((m) => ((m as { default?: typeof TS }).default ?? m) as typeof TS);
  const typeFiles = await writeGuestTypes(input.wit, join(tmp, 'types'), markerFile);
  const outDir = join(tmp, 'js');

  let options: TS.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    skipLibCheck: true,
    types: [],
  };
  const tsconfig = join(projectDir, 'tsconfig.json');
  if (existsSync(tsconfig)) {
    const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
    if (read.error) throw tsFailure(ts, [read.error], cwd, tsconfig);
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectDir, undefined, tsconfig);
    const errs = parsed.errors.filter((d) => d.code !== 18003); // "no inputs found" is fine: we pass the entry
    if (errs.length) throw tsFailure(ts, errs, cwd, tsconfig);
    options = { ...options, ...parsed.options };
  }
  // What the build needs, whatever the tsconfig says.
  options = {
    ...options,
    noEmit: false,
    emitDeclarationOnly: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    inlineSourceMap: false,
    composite: false,
    incremental: false,
    tsBuildInfoFile: undefined,
    outFile: undefined,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    rootDir: projectDir,
    outDir,
    noEmitOnError: true,
  };

  const program = ts.createProgram({ rootNames: [entry, ...typeFiles], options });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length) throw tsFailure(ts, diagnostics, cwd);
  const emitted = program.emit();
  const emitErrors = emitted.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (emitErrors.length || emitted.emitSkipped) throw tsFailure(ts, emitErrors, cwd);

  const rel = relative(projectDir, entry).replace(/\.(m|c)?tsx?$/, (_m, k) => `.${k ?? ''}js`);
  const js = join(outDir, rel);
  if (!existsSync(js)) {
    throw new LoopError({
      code: CODES.typeError,
      file: displayPath(entry, cwd),
      message: `TypeScript emitted no ${rel}`,
      hint: 'the entry must be a .ts/.mts module inside the project',
    });
  }
  return js;
}

/** `file:line:col - error TS2322: message` for each diagnostic (the compiler's own text). */
export function formatTsDiagnostics(ts: typeof TS, diagnostics: readonly TS.Diagnostic[], cwd: string): string {
  return diagnostics
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file && d.start !== undefined) {
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
        return `${displayPath(d.file.fileName, cwd)}:${line + 1}:${character + 1} - error TS${d.code}: ${text}`;
      }
      return `error TS${d.code}: ${text}`;
    })
    .join('\n');
}

function tsFailure(ts: typeof TS, diagnostics: readonly TS.Diagnostic[], cwd: string, file?: string): LoopError {
  const first = diagnostics.find((d) => d.file);
  const n = diagnostics.length;
  const where = file ?? (first?.file ? displayPath(first.file.fileName, cwd) : undefined);
  let line: number | undefined;
  let col: number | undefined;
  if (first?.file && first.start !== undefined) {
    const lc = first.file.getLineAndCharacterOfPosition(first.start);
    line = lc.line + 1;
    col = lc.character + 1;
  }
  return new LoopError({
    code: CODES.typeError,
    file: where,
    line,
    col,
    message: `TypeScript found ${n} error${n === 1 ? '' : 's'}:\n${formatTsDiagnostics(ts, diagnostics, cwd)}`,
    hint: 'fix the errors above; WIT imports are typed from the world (`import { log } from "loop:log/logger@0.1.0"`)',
  });
}
