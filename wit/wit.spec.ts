// Proves that the loop:* WIT contract parses with jco's real WIT parser (wit-parser,
// compiled to a component inside jco) and that it has the packages, worlds and functions
// the team brief promises. Run: node_modules/.bin/vitest run wit/
import { componentEmbed, componentNew, componentWit, types } from '@bytecodealliance/jco';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const WIT_DIR = __dirname;
const VERSION = '0.1.0';

/** jco `types` for one world: file name -> generated TypeScript declarations. */
async function typesFor(world: string, witDir = WIT_DIR): Promise<Record<string, string>> {
  const files = await types(witDir, { worldName: world, quiet: true });
  return Object.fromEntries(
    Object.entries(files).map(([name, bytes]) => [name, Buffer.from(bytes).toString('utf8')]),
  );
}

/** The world's WIT as printed back from a dummy component built against it. */
async function worldWit(world: string, witDir = WIT_DIR): Promise<string> {
  const core = await componentEmbed({ dummy: true, witPath: witDir, world });
  return componentWit(await componentNew(core));
}

/** Every function declared in a generated interface .d.ts. */
function functionsOf(dts: string): string[] {
  // reserved JS words come out as `function _delete(...)` + `export { _delete as delete };`
  const direct = [...dts.matchAll(/^export function (\w+)\(/gm)].map((m) => m[1]);
  const renamed = [...dts.matchAll(/^export \{ _\w+ as (\w+) \};$/gm)].map((m) => m[1]);
  return [...direct, ...renamed].sort();
}

function iface(files: Record<string, string>, pkg: string, name: string): string {
  const file = `interfaces/loop-${pkg}-${name}.d.ts`;
  const text = files[file];
  if (text === undefined) {
    throw new Error(`jco types produced no ${file}; got: ${Object.keys(files).join(', ')}`);
  }
  return text;
}

// package -> interface -> functions (as jco names them: camelCase)
const CAPABILITIES: Record<string, { world: string; interfaces: Record<string, string[]> }> = {
  log: { world: 'imports', interfaces: { logger: ['log'] } },
  fs: { world: 'imports', interfaces: { files: ['exists', 'list', 'read', 'remove', 'write'] } },
  http: { world: 'imports', interfaces: { client: ['fetch'] } },
  clock: { world: 'imports', interfaces: { clock: ['monotonic', 'now'] } },
  random: { world: 'imports', interfaces: { random: ['bytes', 'nextU64'] } },
  kv: { world: 'imports', interfaces: { store: ['delete', 'get', 'keys', 'set'] } },
  plugin: { world: 'imports', interfaces: { host: ['call', 'list'], types: [] } },
  process: { world: 'imports', interfaces: { spawn: ['run'] } },
  dom: { world: 'imports', interfaces: { document: ['getText', 'setText'] } },
  ui: { world: 'imports', interfaces: { view: ['render'] } },
  gfx: { world: 'imports', interfaces: { canvas: ['draw'] } },
  input: { world: 'receiver', interfaces: { source: ['subscribe'], handler: ['handle'], types: [] } },
  window: { world: 'imports', interfaces: { windows: ['close', 'open', 'setTitle'] } },
};

describe('wit/ layout', () => {
  it('has one directory per capability package under deps/, each with <name>.wit', () => {
    const dirs = readdirSync(join(WIT_DIR, 'deps')).sort();
    expect(dirs).toEqual(Object.keys(CAPABILITIES).sort());
    for (const name of dirs) {
      const src = readFileSync(join(WIT_DIR, 'deps', name, `${name}.wit`), 'utf8');
      expect(src, `deps/${name}/${name}.wit`).toMatch(
        new RegExp(`^package loop:${name}@${VERSION.replace(/\./g, '\\.')};$`, 'm'),
      );
    }
  });

  it('documents every interface, world and function with a /// comment', () => {
    const files = [
      ...readdirSync(WIT_DIR).filter((f) => f.endsWith('.wit')),
      ...readdirSync(join(WIT_DIR, 'deps')).map((d) => join('deps', d, `${d}.wit`)),
    ];
    const missing: string[] = [];
    for (const file of files) {
      const lines = readFileSync(join(WIT_DIR, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!/^\s*(interface|world)\s|^\s*%?[a-z][\w-]*:\s*func\b/.test(line)) return;
        let j = i - 1;
        while (j >= 0 && /^\s*\/\/(?!\/)/.test(lines[j])) j--; // skip plain // comments
        if (j < 0 || !/^\s*\/\/\//.test(lines[j])) missing.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(missing).toEqual([]);
  });
});

describe('loop:app worlds (jco WIT parser)', () => {
  it('world core imports the ordinary capabilities + config and exports entry', async () => {
    const files = await typesFor(`loop:app/core@${VERSION}`);
    const worldFiles = Object.keys(files).filter((f) => !f.startsWith('interfaces/'));
    expect(worldFiles).toHaveLength(1);
    const world = files[worldFiles[0]];
    const imports = [...world.matchAll(/\/\/ import (\S+)/g)].map((m) => m[1]).sort();
    const exports = [...world.matchAll(/\/\/ export (\S+)/g)].map((m) => m[1]);
    expect(imports).toEqual(
      [
        'loop:app/config', 'loop:clock/clock', 'loop:fs/files', 'loop:http/client', 'loop:kv/store',
        'loop:log/logger', 'loop:plugin/host', 'loop:plugin/types', 'loop:random/random',
      ].map((i) => `${i}@${VERSION}`),
    );
    expect(exports).toEqual([`loop:app/entry@${VERSION}`]);
    expect(functionsOf(iface(files, 'app', 'entry'))).toEqual(['run']);
    expect(functionsOf(iface(files, 'app', 'config'))).toEqual(['get']);
    expect(iface(files, 'app', 'config')).toContain('export function get(key: string): string | undefined;');
  });

  it('world plugin imports log, clock, random, kv, config and exports loop:plugin/plugin', async () => {
    const wit = await worldWit('loop:app/plugin');
    const imports = [...wit.matchAll(/^\s*import (\S+);/gm)].map((m) => m[1]).sort();
    const exports = [...wit.matchAll(/^\s*export (\S+);/gm)].map((m) => m[1]);
    expect(imports).toEqual(
      ['loop:app/config', 'loop:clock/clock', 'loop:kv/store', 'loop:log/logger', 'loop:plugin/types', 'loop:random/random']
        .map((i) => `${i}@${VERSION}`),
    );
    expect(exports).toEqual([`loop:plugin/plugin@${VERSION}`]);
    const files = await typesFor('loop:app/plugin');
    expect(functionsOf(iface(files, 'plugin', 'plugin'))).toEqual(['handle', 'info']);
  });

  it('core never imports process, dom or the drafted UI packages', async () => {
    const wit = await worldWit('loop:app/core');
    expect(wit).not.toMatch(/loop:(process|dom|ui|gfx|input|window)\//);
  });

  it('reports an unknown world by name', async () => {
    await expect(typesFor('loop:app/nope')).rejects.toThrow(/nope/);
  });
});

describe('capability packages (jco WIT parser)', () => {
  for (const [pkg, { world, interfaces }] of Object.entries(CAPABILITIES)) {
    it(`loop:${pkg} has ${Object.keys(interfaces).join(', ')} with the contracted functions`, async () => {
      const files = await typesFor(`loop:${pkg}/${world}@${VERSION}`);
      for (const [name, funcs] of Object.entries(interfaces)) {
        expect(functionsOf(iface(files, pkg, name)), `loop:${pkg}/${name}`).toEqual(funcs);
      }
    });
  }

  it('shapes: the types other helpers code against', async () => {
    const log = await typesFor('loop:log/imports');
    expect(iface(log, 'log', 'logger')).toMatch(/export type Level = 'trace' \| 'debug' \| 'info' \| 'warn' \| 'error';/);
    expect(iface(log, 'log', 'logger')).toContain('export function log(level: Level, message: string): void;');

    const fs = iface(await typesFor('loop:fs/imports'), 'fs', 'files');
    expect(fs).toContain('export function read(path: string): Uint8Array;');
    expect(fs).toContain('export function list(dir: string): Array<string>;');
    expect(fs).toContain('export function exists(path: string): boolean;');
    for (const tag of ['not-found', 'denied', 'io']) expect(fs).toContain(`tag: '${tag}'`);

    const http = iface(await typesFor('loop:http/imports'), 'http', 'client');
    expect(http).toContain('export function fetch(req: Request): Response;');
    for (const tag of ['denied', 'invalid-url', 'network', 'timeout']) expect(http).toContain(`tag: '${tag}'`);
    expect(http).toMatch(/status: number/);
    expect(http).toMatch(/body\?: Uint8Array/);

    const kv = iface(await typesFor('loop:kv/imports'), 'kv', 'store');
    expect(kv).toContain('export function get(key: string): Uint8Array | undefined;');
    for (const tag of ['denied', 'io', 'too-large']) expect(kv).toContain(`tag: '${tag}'`);

    const random = iface(await typesFor('loop:random/imports'), 'random', 'random');
    expect(random).toContain('export function bytes(len: number): Uint8Array;');
    expect(random).toContain('export function nextU64(): bigint;');

    const plugin = await typesFor('loop:plugin/imports');
    expect(iface(plugin, 'plugin', 'types')).toMatch(/export interface Info \{[^}]*name: string,[^}]*version: string,[^}]*description: string,/s);
    expect(iface(plugin, 'plugin', 'host')).toContain('export function call(name: string, input: string): string;');

    const proc = iface(await typesFor('loop:process/imports'), 'process', 'spawn');
    expect(proc).toContain('export function run(program: string, args: Array<string>): Output;');
    expect(proc).toMatch(/status: number,\s*(\/\*\*[^]*?\*\/\s*)?stdout: Uint8Array/);
  });

  it('drafted packages (ui, gfx, input, window) all have an `unsupported` error case', async () => {
    const drafted: Array<[string, string, string]> = [
      ['ui', 'imports', 'view'], ['gfx', 'imports', 'canvas'], ['input', 'imports', 'types'], ['window', 'imports', 'windows'],
    ];
    for (const [pkg, world, name] of drafted) {
      const text = iface(await typesFor(`loop:${pkg}/${world}`), pkg, name);
      expect(text, `loop:${pkg}/${name}`).toContain("tag: 'unsupported'");
    }
    const ui = iface(await typesFor('loop:ui/imports'), 'ui', 'view');
    expect(ui).toContain('export function render(tree: Tree): void;');
  });
});

describe('bad WIT is reported with the offending file', () => {
  it('a syntax error names the package directory and the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loop-wit-'));
    try {
      cpSync(WIT_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
      const broken = join(dir, 'deps', 'log', 'log.wit');
      writeFileSync(broken, readFileSync(broken, 'utf8').replace('log: func(', 'log: fnc('));
      await expect(typesFor('loop:app/core', dir)).rejects.toThrow(/deps\/log[^]*expected keyword `func`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
