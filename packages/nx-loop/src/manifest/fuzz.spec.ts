// Property-based fuzzing (fast-check) of the manifest reader, checker and resolver.
//
// Properties, for any input: `loop validate` / `loop resolve` only ever fail with LoopError;
// every diagnostic has a LOOPnnn code and a message, positions are inside the file, syntax
// errors and errors about fields that exist in the file carry line:col; a manifest that
// validates either resolves to a well-formed graph or fails with a LoopError, and a
// component of a trust class with keys only reaches the graph when it is the signed one.
// LOOP_FUZZ_DEBUG=1 prints which diagnostics the structured generator hits most.
//
// CI runs a fixed number of cases: 8000 + 6000 here and 45 000 in signing/fuzz.spec.ts,
// about 30 s of CPU together (60–95 s wall time on the shared 2-core machine). Longer run (LOOP_FUZZ_RUNS cases per property):
//   LOOP_FUZZ_RUNS=20000 npx vitest run packages/nx-loop/src/manifest/fuzz.spec.ts packages/nx-loop/src/signing/fuzz.spec.ts
// Reproduce a failure with the seed (and path) fast-check prints:
//   LOOP_FUZZ_SEED=<seed> LOOP_FUZZ_PATH=<path> npx vitest run packages/nx-loop/src/manifest/fuzz.spec.ts
import * as fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopError, type Diagnostic } from '../errors';
import { resolveApp, type ResolvedGraph } from '../resolve/resolve';
import { fuzzParams, fuzzTimeout } from '../signing/__fixtures__/fuzz-params';
import { generateKeyPair } from '../signing/keys';
import { signWasm } from '../signing/sign';
import { CAPABILITY_NAMES } from './capabilities';
import { validateManifestFile } from './load';

const timeout = fuzzTimeout;

const repo = path.resolve(__dirname, '../../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-fuzz-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const manifestFile = path.join(dir, 'app', 'app.loop.toml');
fs.mkdirSync(path.dirname(manifestFile), { recursive: true });

// Files the generated manifests point at: real components (text and binary, signed and not),
// a component project that is not built, a directory that is no project, a plugins dir.
const key = generateKeyPair();
const otherKey = generateKeyPair();
for (const f of fs.readdirSync(path.join(repo, 'spec/manifests/components'))) fs.copyFileSync(path.join(repo, 'spec/manifests/components', f), path.join(dir, f));
// `(component)` with a custom section, encoded by hand so the fuzz spec needs no WAT parser.
const emptyComponent = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x05, 0x04, 0x6e, 0x6f, 0x74, 0x65]);
fs.writeFileSync(path.join(dir, 'unsigned.wasm'), emptyComponent);
fs.writeFileSync(path.join(dir, 'signed.wasm'), signWasm(emptyComponent, key, { file: 'signed.wasm' }).bytes);
fs.writeFileSync(path.join(dir, 'garbage.wasm'), 'not wasm');
fs.mkdirSync(path.join(dir, 'project'), { recursive: true });
fs.writeFileSync(path.join(dir, 'project', 'loop.component.toml'), '[component]\nname = "project"\nlanguage = "js"\nworld = "plugin"\n');
fs.mkdirSync(path.join(dir, 'empty-dir'), { recursive: true });
fs.mkdirSync(path.join(dir, 'app', 'plugins'), { recursive: true });
fs.writeFileSync(path.join(dir, 'app', 'a-file'), 'x');

const SOURCES = ['../greeter.wat', '../upper.wat', '../formatter-basic.wat', '../unsigned.wasm', '../signed.wasm', '../garbage.wasm', '../project', '../empty-dir', '../missing.wasm', '', '/', '../../../../etc/passwd'];
const CAPS = [...CAPABILITY_NAMES, 'loop:app', 'loop:nope', 'wasi:http', '*', ''];
const PROVIDERS = ['stdout', 'file', 'jsonl', 'host-dir', 'memory', 'opfs', 'wasi-http', 'fetch', 'os', 'indexeddb', 'console', 'stub', 'registry', 'nope', ''];

const weird = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant([]), fc.constant({}), fc.array(fc.integer(), { maxLength: 2 }));
/** Mostly `good`, sometimes a value of the wrong kind. */
const v = <T>(good: fc.Arbitrary<T>, weirdWeight = 5) => fc.oneof({ arbitrary: good as fc.Arbitrary<unknown>, weight: 60 }, { arbitrary: weird as fc.Arbitrary<unknown>, weight: weirdWeight });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
/** Adds an unknown key now and then (1 in 16). */
const withUnknown = <T extends object>(a: fc.Arbitrary<T>, key: string) =>
  fc.tuple(a, fc.oneof({ arbitrary: fc.constant(undefined), weight: 15 }, { arbitrary: weird, weight: 1 })).map(([r, x]) => (x === undefined ? r : { ...r, [key]: x }));
const some = <T>(good: T[], bad: T[]) => fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 6 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });

const name = some(['greeter', 'formatter', 'upper', 'main'], ['a', 'b-c', 'Bad Name', '', '9x', 'trusted']);
const trustName = some(['trusted', 'untrusted', 'partner'], ['nobody', 'Bad Class', '']);
const limits = fc.record(
  { 'deadline-ms': v(fc.integer({ min: -5, max: 100_000 })), 'memory-mb': v(fc.integer({ min: -5, max: 100_000 })) },
  { requiredKeys: [] },
);
const keyText = some([key.publicKey.toString(), otherKey.publicKey.toString()], ['ed25519:AAAA', 'ed25519:', 'rsa:xyz', key.publicKey.toString().replace('ed25519:', '')]);
const capList = (good: string[]) => fc.uniqueArray(some(good, ['loop:app', 'loop:nope', 'wasi:http', '*', '', 'loop:fs', 'loop:http']), { maxLength: 3 });
const component = fc.record(
  {
    source: v(some(SOURCES.slice(0, 5), SOURCES.slice(5))),
    class: v(some(['core', 'default', 'plugin'], ['pinned'])),
    trust: v(trustName),
    capabilities: v(capList(['loop:log', 'loop:clock', 'loop:random', 'loop:kv'])),
    config: v(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 })),
    limits: v(limits),
  },
  { requiredKeys: ['source'] },
);
const providerName = some(PROVIDERS.slice(0, -2), PROVIDERS.slice(-2));
const provider = fc.oneof({ arbitrary: providerName, weight: 4 }, { arbitrary: fc.record({ native: providerName, web: providerName, fallback: providerName }, { requiredKeys: [] }), weight: 4 }, { arbitrary: weird, weight: 1 });
const setting = <K extends string>(k: K, values: fc.Arbitrary<unknown>) => withUnknown(fc.record({ provider, [k]: v(values) } as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }), 'bogus');
const capabilities = withUnknown(
  fc.record(
    {
      'loop:fs': setting('root', some(['data'], ['../outside', '/abs', ''])),
      'loop:http': setting('allow', fc.uniqueArray(some(['https://api.example.com', 'http://127.0.0.1:8080'], ['ftp://x', 'not a url', '']), { maxLength: 3 })),
      'loop:log': setting('path', some(['logs/x.jsonl'], [''])),
      'loop:kv': setting('path', some(['kv.json'], [''])),
      'loop:process': fc.record({ provider }, { requiredKeys: [] }),
      'loop:dom': fc.record({ provider }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  ),
  'loop:nope',
);
const trustClass = fc.record(
  { allow: v(capList([...CAPABILITY_NAMES, '*'] as string[])), keys: v(fc.uniqueArray(keyText, { maxLength: 3 })), description: v(fc.string({ maxLength: 10 })) },
  { requiredKeys: ['allow'] },
);
const trust = withUnknown(fc.record({ trusted: trustClass, untrusted: trustClass, partner: trustClass }, { requiredKeys: [] }), 'Bad Class');
const manifest = withUnknown(fc.record(
  {
    app: v(fc.record({ name: v(name), entry: v(name), version: v(fc.constantFrom('0.1.0', 'x')) }, { requiredKeys: ['name', 'entry'] }), 1),
    components: v(fc.dictionary(name, v(withUnknown(component, 'unknown'), 2), { minKeys: 1, maxKeys: 4 }), 1),
    plugins: v(fc.record({ dir: v(some(['plugins'], ['a-file', 'missing', '../..'])), trust: v(trustName), capabilities: v(fc.uniqueArray(some(['loop:log'], ['loop:nope']), { maxLength: 2 })), limits: v(limits) }, { requiredKeys: ['dir'] })),
    capabilities: v(capabilities),
    trust: v(trust),
    limits: v(limits),
    profiles: v(fc.dictionary(some(['fancy', 'dev'], ['']), fc.record({ components: fc.dictionary(name, fc.record({ source: v(some(SOURCES.slice(0, 5), SOURCES.slice(5))), config: v(fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 })), limits: v(limits) }, { requiredKeys: [] }), { maxKeys: 2 }) }, { requiredKeys: [] }), { maxKeys: 2 })),
    targets: v(fc.record({ native: v(fc.uniqueArray(some(['linux-x64', 'macos-arm64'], ['amiga']), { maxLength: 3 })), web: v(fc.record({ inline: v(fc.boolean()) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
  },
  { requiredKeys: ['app', 'components'] },
), 'extra');
/** A consistent manifest (entry, trust classes and capabilities agree), so the resolver's success path is exercised. */
const consistent = fc
  .record({
    names: fc.uniqueArray(fc.constantFrom('greeter', 'formatter', 'upper', 'main'), { minLength: 1, maxLength: 3 }),
    sources: fc.array(fc.constantFrom('../greeter.wat', '../upper.wat', '../formatter-basic.wat', '../signed.wasm', '../unsigned.wasm', '../project'), { minLength: 3, maxLength: 3 }),
    classes: fc.array(fc.constantFrom('core', 'default', 'plugin'), { minLength: 3, maxLength: 3 }),
    trusts: fc.array(fc.constantFrom('trusted', 'untrusted', 'partner', undefined), { minLength: 3, maxLength: 3 }),
    trustedKeys: fc.constantFrom([], [key.publicKey.toString()], [otherKey.publicKey.toString(), key.publicKey.toString()]),
    partnerKeys: fc.constantFrom(undefined, [key.publicKey.toString()], [otherKey.publicKey.toString()]),
    fs: fc.boolean(),
    http: fc.boolean(),
    plugins: fc.boolean(),
    profile: fc.boolean(),
    limits: fc.option(limits, { nil: undefined }),
  })
  .map((g) => {
    const components: Record<string, Record<string, unknown>> = {};
    g.names.forEach((n, i) => {
      components[n] = { source: g.sources[i], class: i === 0 ? 'core' : g.classes[i], ...(g.trusts[i] ? { trust: g.trusts[i] } : {}) };
    });
    const m: Record<string, unknown> = {
      app: { name: 'fuzz', entry: g.names[0] },
      components,
      trust: {
        trusted: { allow: ['*'], ...(g.trustedKeys.length ? { keys: g.trustedKeys } : {}) },
        untrusted: { allow: ['loop:log', 'loop:clock', 'loop:random', 'loop:kv', 'loop:fs'] },
        partner: { allow: ['loop:log', 'loop:http'], ...(g.partnerKeys ? { keys: g.partnerKeys } : {}) },
      },
      capabilities: {
        ...(g.fs ? { 'loop:fs': { provider: { native: 'host-dir', web: 'opfs', fallback: 'memory' }, root: 'data' } } : {}),
        ...(g.http ? { 'loop:http': { provider: { native: 'wasi-http', web: 'fetch' }, allow: ['https://api.example.com'] } } : {}),
      },
    };
    if (g.plugins) m.plugins = { dir: 'plugins', trust: 'untrusted' };
    if (g.limits) m.limits = g.limits;
    const replaceable = g.names.find((n, i) => i > 0 && components[n].class === 'default');
    if (g.profile && replaceable) m.profiles = { fancy: { components: { [replaceable]: { source: '../signed.wasm' } } } };
    return m;
  });

/** Damages a consistent manifest: sets (or deletes) 1–2 fields anywhere in it. */
const damaged = fc
  .tuple(consistent, fc.array(fc.tuple(fc.array(fc.nat(6), { minLength: 1, maxLength: 4 }), fc.oneof(weird, fc.constant(undefined))), { minLength: 1, maxLength: 2 }))
  .map(([m, edits]) => {
    const out = structuredClone(m);
    for (const [steps, value] of edits) {
      let node: Record<string, unknown> = out;
      for (let i = 0; i < steps.length; i++) {
        const keys = Object.keys(node);
        if (!keys.length) break;
        const k = keys[steps[i] % keys.length];
        const child = node[k];
        if (i === steps.length - 1 || !child || typeof child !== 'object' || Array.isArray(child)) {
          if (value === undefined) delete node[k];
          else node[k] = value;
          break;
        }
        node = child as Record<string, unknown>;
      }
    }
    return out;
  });

const runArgs = fc.record({
  platform: fc.constantFrom('native', 'web'),
  profile: maybe(fc.constantFrom('fancy', 'dev', 'nope')),
  set: fc.array(
    fc.oneof(
      fc.constantFrom('components.greeter.source=../upper.wat', 'components.formatter.source=../signed.wasm', 'components.main.class=core', 'greeter=1', '=', 'components..source=x', 'components.a.limits.deadline-ms=5'),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 2 },
  ),
});

// TOML-ish text: fragments of real syntax, shuffled and damaged.
const tomlish = fc
  .array(
    fc.oneof(
      fc.constantFrom('[app]', '[components.greeter]', '[[components]]', '[trust.trusted]', '[capabilities."loop:fs"]', '[profiles.fancy.components.formatter]', '[plugins]', '[limits]', '[', ']', '[a.b', '[[x]]'),
      fc.tuple(fc.constantFrom('name', 'entry', 'source', 'class', 'trust', 'keys', 'allow', 'provider', 'root', 'deadline-ms', '"quoted key"', "'lit'", 'a.b.c', '', '=', 'app.name'), fc.constantFrom(' = ', '=', ' '), fc.constantFrom('"greeter"', '"../greeter.wat"', '"core"', '["*"]', '[1, "x"]', '{ native = "host-dir", web = "opfs" }', '1', '-1', '1e400', 'true', 'nan', '"""multi\nline"""', "'''x'''", '"unterminated', '{', '[', '2024-01-01T00:00:00Z', '"\\u0000"', '"\\q"')).map((t) => t.join('')),
      fc.string({ maxLength: 12 }),
      fc.constantFrom('# comment', '', '\t', '\r', '\u0000', '\ufeff', '🦀 = 1'),
    ),
    { maxLength: 25 },
  )
  .map((lines) => lines.join('\n'));

const lineCount = (text: string) => text.split(/\r\n|\n/).length;

function checkDiagnostic(d: Diagnostic, text: string, data: unknown): void {
  expect(d.code, JSON.stringify(d)).toMatch(/^LOOP\d{3}$/);
  expect(typeof d.message, JSON.stringify(d)).toBe('string');
  expect(d.message.trim().length, JSON.stringify(d)).toBeGreaterThan(0);
  if (d.line !== undefined) {
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount(text) + 1, JSON.stringify(d)).toBe(true);
    expect(d.col !== undefined && Number.isInteger(d.col) && d.col >= 1, JSON.stringify(d)).toBe(true);
  }
  if (d.code === 'LOOP001') expect(d.line, `syntax error without a position: ${JSON.stringify(d)}`).toBeDefined();
  // An error about a field of a table the file has must point into the file.
  if (d.field && !d.field.startsWith('-') && data && typeof data === 'object') {
    const top = /^("([^"]*)"|[^.[]+)/.exec(d.field);
    const first = top?.[2] ?? top?.[1];
    if (first !== undefined && Object.hasOwn(data, first) && d.file?.endsWith('app.loop.toml')) {
      expect(d.line, `error about an existing field without a position: ${JSON.stringify(d)}\n--- manifest ---\n${text}`).toBeDefined();
    }
  }
}

/** Runs validate and resolve on `text`; returns what happened. Anything but a LoopError escapes. */
function exercise(text: string, args: { platform: 'native' | 'web'; profile?: string; set: string[] }, data?: unknown) {
  fs.writeFileSync(manifestFile, text);
  const diags = validateManifestFile(manifestFile, dir);
  for (const d of diags) checkDiagnostic(d, text, data);
  let graph: ResolvedGraph | undefined;
  try {
    graph = resolveApp(manifestFile, { ...args, cwd: dir });
  } catch (e) {
    if (!isLoopError(e)) throw e;
    expect(e.diagnostics.length).toBeGreaterThan(0);
    for (const d of e.diagnostics) checkDiagnostic(d, text, data);
  }
  if (graph) {
    // Validation and resolution agree: a graph only comes from a valid manifest.
    expect(diags, `resolved although validate reported:\n${diags.map((d) => d.message).join('\n')}`).toEqual([]);
    expect(graph.format).toBe('loop.app/1');
    for (const c of graph.components) {
      expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(c.allow[0]).toBe('loop:app');
      const keys = graph.trust[c.trust]?.keys ?? [];
      // Elevation by signature: a component of a keyed class is the signed file.
      if (keys.length) expect(path.basename(c.path), `unsigned component admitted into keyed class ${c.trust}`).toBe('signed.wasm');
    }
  }
  return { diags, graph };
}

describe('manifest fuzzing', () => {
  it(
    'arbitrary text: validate and resolve only ever fail with well-formed LoopErrors',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), tomlish), runArgs, (text, args) => {
          exercise(text, args);
        }),
        fuzzParams(8000),
      );
    },
    timeout(8000),
  );

  it(
    'structured manifests (valid and invalid fields, keys, profiles, --set): same, and graphs are well-formed',
    () => {
      let resolved = 0;
      const hist: Record<string, number> = {};
      fc.assert(
        fc.property(fc.oneof(consistent, damaged, manifest), runArgs, (m, args) => {
          let text: string;
          try {
            text = stringify(m);
          } catch {
            return; // not representable in TOML (e.g. a non-table at the root): nothing to test
          }
          const r = exercise(text, args, m);
          if (r.graph) resolved++;
          if (process.env.LOOP_FUZZ_DEBUG) for (const d of r.diags) hist[d.code + ' ' + d.message.slice(0, 50)] = (hist[d.code + ' ' + d.message.slice(0, 50)] ?? 0) + 1;
        }),
        fuzzParams(6000),
      );
      if (process.env.LOOP_FUZZ_DEBUG) console.log(Object.entries(hist).sort((a, b) => b[1] - a[1]).slice(0, 25));
      // The generator reaches the resolver's success path too, not only errors.
      expect(resolved).toBeGreaterThan(0);
    },
    timeout(6000),
  );
});
