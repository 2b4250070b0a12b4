/**
 * JS guests: bundle the entry module with rolldown (WIT imports stay external), then
 * componentize it with the componentize-js API (StarlingMonkey), WASI features off unless
 * the marker opts in.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, parse } from 'node:path';
import { LoopError } from '../errors';
import { CODES } from './codes';
import { JS_FEATURES, JsFeature } from './marker';
import { displayPath, isDir, WitTarget } from './workspace';
import { importEsm } from './esm';

/** A WIT import specifier such as `loop:log/logger@0.1.0` (not `node:fs`). */
export const WIT_IMPORT_RE = /^(?!node:)[a-z][a-z0-9-]*:[a-z][a-z0-9-]*\//;

export interface BundleInput {
  entry: string;
  outFile: string;
  /** Names the entry in messages (default: the entry path relative to cwd). */
  label?: string;
  cwd?: string;
}

/** Bundles `entry` and every relative/npm import into one ES module; returns the WIT imports it uses. */
export async function bundleGuest({ entry, outFile, label, cwd }: BundleInput): Promise<string[]> {
  const { rolldown } = await importEsm<typeof import('rolldown')>('rolldown');
  const warnings: string[] = [];
  let code: string;
  let witImports: string[];
  try {
    const bundle = await rolldown({
      input: entry,
      external: (id: string) => WIT_IMPORT_RE.test(id),
      platform: 'neutral',
      treeshake: true,
      onLog: (level: string, log: { message: string }) => {
        if (level === 'warn') warnings.push(log.message);
      },
    });
    const { output } = await bundle.generate({ format: 'esm', codeSplitting: false } as never);
    await bundle.close();
    code = output[0].code;
    witImports = output[0].imports.filter((id) => WIT_IMPORT_RE.test(id));
  } catch (e) {
    throw new LoopError({
      code: CODES.bundleFailed,
      file: label ?? displayPath(entry, cwd),
      message: `could not bundle the guest sources:\n${stripAnsi(errorText(e))}`,
      hint: 'fix the import or syntax error above; guests may import relative modules, npm packages and WIT interfaces',
    });
  }
  const unresolved = warnings.filter((w) => /could not (be )?resolve|unresolved/i.test(w));
  if (unresolved.length) {
    throw new LoopError({
      code: CODES.bundleFailed,
      file: label ?? displayPath(entry, cwd),
      message: `could not bundle the guest sources:\n${stripAnsi(unresolved.join('\n'))}`,
      hint: 'fix the import above; guests may import relative modules, npm packages and WIT interfaces',
    });
  }
  await writeFile(outFile, code);
  return [...new Set(witImports)].sort();
}

/**
 * The world narrowed to what the guest imports. componentize-js keeps every import of the
 * world, used or not; a plugin that only logs should import only `loop:log/logger`, so that
 * trust rules judge what it really uses. The world is printed by wasm-tools (via jco), its
 * unused interface imports are dropped (interfaces the exports depend on come back through
 * WIT elaboration), and it is written as `loop-build:guest/guest` beside copies of the
 * original packages.
 */
export async function narrowWorld(input: {
  wit: WitTarget;
  used: string[];
  tmp: string;
  markerFile: string;
  entryLabel: string;
}): Promise<WitTarget> {
  const { wit, used, tmp, markerFile, entryLabel } = input;
  const { componentEmbed, componentNew, componentWit } = await importEsm<typeof import('@bytecodealliance/jco')>('@bytecodealliance/jco');
  let printed: string;
  try {
    const core = await componentEmbed({ dummy: true, witPath: wit.witDir, world: wit.world });
    printed = await componentWit(await componentNew(core));
  } catch (e) {
    const text = stripAnsi(errorText(e));
    const missingWorld = /world .*not found|no world|does not contain/i.test(text);
    throw new LoopError({
      code: CODES.witMissing,
      file: displayPath(markerFile),
      field: missingWorld ? 'component.world' : 'component.wit',
      message: missingWorld
        ? `world '${wit.world}' is not in ${displayPath(wit.witDir)}: ${text}`
        : `the WIT in ${displayPath(wit.witDir)} could not be loaded: ${text}`,
      hint: missingWorld
        ? 'use a world defined in that WIT dir ("core", "plugin", or "<namespace>:<package>/<world>")'
        : 'fix the WIT package (`npx jco wit` on a component of it shows the problem)',
    });
  }
  const body = /world root \{\n([\s\S]*)\n\}\s*$/.exec(printed);
  if (!body) return wit; // unexpected shape: keep the whole world
  const IMPORT_LINE = /^ {2}import ([a-z][a-z0-9-]*:[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*)(@[^;\s]+)?;$/;
  const unversioned = (s: string) => s.replace(/@[^/]*$/, '');
  const usedSet = new Set(used.map(unversioned));
  const worldImports = new Set<string>();
  const kept: string[] = [];
  for (const line of body[1].split('\n')) {
    const m = IMPORT_LINE.exec(line);
    if (m) {
      worldImports.add(m[1]);
      if (!usedSet.has(m[1])) continue;
    }
    kept.push(line);
  }
  const foreign = used.filter((u) => !worldImports.has(unversioned(u)));
  if (foreign.length) {
    throw new LoopError({
      code: CODES.componentizeFailed,
      file: entryLabel,
      message: `the guest imports ${foreign.map((f) => `'${f}'`).join(', ')}, which world '${wit.world}' does not import`,
      hint: `world '${wit.world}' imports: ${[...worldImports].sort().join(', ') || 'nothing'}`,
    });
  }
  const root = join(tmp, 'wit');
  copyWitFiles(wit.witDir, join(root, 'deps', '__root'));
  const deps = join(wit.witDir, 'deps');
  if (isDir(deps)) {
    for (const entry of readdirSync(deps)) {
      const from = join(deps, entry);
      if (isDir(from)) copyWitFiles(from, join(root, 'deps', entry));
      else if (entry.endsWith('.wit')) copyFileSync(from, join(root, 'deps', entry));
    }
  }
  writeFileSync(join(root, 'guest.wit'), `package loop-build:guest;\n\nworld guest {\n${kept.join('\n')}\n}\n`);
  return { witDir: root, world: 'guest' };
}

function copyWitFiles(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) {
    if (f.endsWith('.wit')) copyFileSync(join(from, f), join(to, f));
  }
}

export interface ComponentizeInput {
  bundle: string;
  wit: WitTarget;
  features: readonly JsFeature[];
  /** Marker file, named in errors. */
  markerFile: string;
  entryLabel: string;
  /** The world as the marker names it (the narrowed world is called `guest`). */
  worldLabel: string;
}

/** Runs componentize-js 0.23 on a bundled module and returns the component bytes. */
export async function componentizeGuest(input: ComponentizeInput): Promise<Uint8Array> {
  const { componentize } = await importEsm<typeof import('@bytecodealliance/componentize-js')>('@bytecodealliance/componentize-js');
  const disableFeatures = JS_FEATURES.filter((f) => !input.features.includes(f));
  // componentize-js 0.23 maps the cwd into the guest when the source is below it, and cuts
  // one character too many when the cwd is the root (`/tmp/x.js` becomes `mp/x.js`):
  // build from the bundle's dir in that case.
  const cwd = process.cwd();
  const atRoot = cwd === parse(cwd).root;
  if (atRoot) process.chdir(dirname(input.bundle));
  try {
    const { component } = await componentize({
      sourcePath: input.bundle,
      witPath: input.wit.witDir,
      worldName: input.wit.world,
      disableFeatures: [...disableFeatures],
    });
    return component;
  } catch (e) {
    throw componentizeError(e, input);
  } finally {
    if (atRoot) process.chdir(cwd);
  }
}

function componentizeError(e: unknown, input: ComponentizeInput): LoopError {
  const text = stripAnsi(errorText(e)).trim();
  const witDir = displayPath(input.wit.witDir);
  if (/world .* not found|no world named|failed to find world|unknown world|does not contain a world/i.test(text)) {
    return new LoopError({
      code: CODES.witMissing,
      file: displayPath(input.markerFile),
      field: 'component.world',
      message: `world '${input.worldLabel}' is not in ${witDir}: ${firstLine(text)}`,
      hint: 'use a world defined in that WIT dir ("core", "plugin", or "<namespace>:<package>/<world>")',
    });
  }
  if (/failed to parse|expected .* found|reading file|package .* not found|unresolved|failed to resolve/i.test(text) && /wit/i.test(text)) {
    return new LoopError({
      code: CODES.witMissing,
      file: displayPath(input.markerFile),
      field: 'component.wit',
      message: `the WIT in ${witDir} could not be loaded:\n${text}`,
      hint: 'fix the WIT package (run `jco wit` on it to see the problem)',
    });
  }
  return new LoopError({
    code: CODES.componentizeFailed,
    file: input.entryLabel,
    message: `componentize-js failed:\n${text}`,
    hint: `the module must export what world '${input.worldLabel}' exports (an interface export is an object named after the interface, e.g. \`export const plugin = { info, handle }\`) and must not throw while loading`,
  });
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || String(e);
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

const firstLine = (s: string) => s.split('\n')[0];
// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

export const bundlePath = (tmp: string) => join(tmp, 'guest.bundle.js');
