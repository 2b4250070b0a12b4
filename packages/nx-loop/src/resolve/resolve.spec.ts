import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoopError } from '../errors';
import { validateManifestFile } from '../manifest/load';
import { resolveApp } from './resolve';

const repo = path.resolve(__dirname, '../../../..');

let dir: string;
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};
const errorsOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof LoopError) return e.message;
    throw e;
  }
  throw new Error('expected a LoopError');
};

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-resolve-'));
  write('c/core.wat', '(component $core)\n');
  write('c/basic.wat', '(component $basic)\n');
  write('c/fancy.wat', '(component $fancy)\n');
  write(
    'app/app.loop.toml',
    `[app]
name = "demo"
entry = "main"

[components.main]
source = "../c/core.wat"
class = "core"
trust = "trusted"

[components.fmt]
source = "../c/basic.wat"
capabilities = ["loop:log", "loop:kv"]

[plugins]
dir = "plugins"

[capabilities."loop:fs"]
provider = { native = "host-dir", web = "opfs" }
root = "data"

[profiles.fancy.components.fmt]
source = "../c/fancy.wat"
`,
  );
});

describe('resolveApp', () => {
  it('hashes each component file and records its path relative to the graph', () => {
    const g = resolveApp(path.join(dir, 'app'), { platform: 'native' });
    const main = g.components.find((c) => c.name === 'main')!;
    expect(main.path).toBe('../c/core.wat');
    expect(main.sha256).toBe(createHash('sha256').update('(component $core)\n').digest('hex'));
  });

  it('rewrites paths relative to the directory the graph is written to', () => {
    const g = resolveApp(path.join(dir, 'app'), { platform: 'native', outDir: path.join(dir, 'dist/native') });
    expect(g.components[0].path).toBe('../../c/core.wat');
    expect(g.capabilities['loop:fs'].root).toBe('../../app/data');
    expect(g.plugins!.dir).toBe('../../app/plugins');
  });

  it('narrows a component to what it asks for, within its trust class and the app grants', () => {
    const g = resolveApp(path.join(dir, 'app'), { platform: 'native' });
    expect(g.components.find((c) => c.name === 'fmt')!.allow).toEqual(['loop:app', 'loop:kv', 'loop:log']);
    const main = g.components.find((c) => c.name === 'main')!.allow;
    expect(main).toContain('loop:fs'); // configured
    expect(main).not.toContain('loop:http'); // never configured: closed by default
    expect(main).not.toContain('loop:dom'); // no native provider
  });

  it('gives untrusted plugins neither processes nor the DOM', () => {
    const g = resolveApp(path.join(dir, 'app'), { platform: 'web' });
    expect(g.plugins!.allow).not.toContain('loop:process');
    expect(g.plugins!.allow).not.toContain('loop:dom');
    expect(g.plugins!.allow).toContain('loop:log');
  });

  it('picks providers per platform', () => {
    expect(resolveApp(path.join(dir, 'app'), { platform: 'native' }).capabilities['loop:fs'].provider).toBe('host-dir');
    expect(resolveApp(path.join(dir, 'app'), { platform: 'web' }).capabilities['loop:fs'].provider).toBe('opfs');
  });

  it('applies a profile to default components', () => {
    const g = resolveApp(path.join(dir, 'app'), { platform: 'native', profile: 'fancy' });
    expect(g.profile).toBe('fancy');
    expect(g.components.find((c) => c.name === 'fmt')!.path).toBe('../c/fancy.wat');
  });

  it('applies --set to default components and parses TOML values', () => {
    const g = resolveApp(path.join(dir, 'app'), {
      platform: 'native',
      set: ['components.fmt.source=../c/fancy.wat', 'components.fmt.limits.deadline-ms=750', 'components.fmt.config.greeting=hi there'],
    });
    const fmt = g.components.find((c) => c.name === 'fmt')!;
    expect(fmt.path).toBe('../c/fancy.wat');
    expect(fmt.limits['deadline-ms']).toBe(750);
    expect(fmt.config.greeting).toBe('hi there');
  });

  it('refuses --set on a core component and a --set value the schema rejects', () => {
    expect(errorsOf(() => resolveApp(path.join(dir, 'app'), { platform: 'native', set: ['components.main.source=../c/fancy.wat'] }))).toContain(
      'error[LOOP212] --set components.main.source=../c/fancy.wat: "main" is a core component and cannot be replaced',
    );
    expect(errorsOf(() => resolveApp(path.join(dir, 'app'), { platform: 'native', set: ['components.fmt.class=pinned'] }))).toMatch(
      /LOOP103\] components\.fmt\.class: "pinned" is not allowed here.*after applying --set components\.fmt\.class=pinned/,
    );
  });

  it('hashes files larger than its read buffer (1 MiB) and of exactly its size the same as their bytes', () => {
    const sizes = { big: 2.5 * 1024 * 1024 + 3, exact: 1024 * 1024, empty: 0 };
    let toml = '[app]\nname = "sizes"\nentry = "big"\n';
    const bytes: Record<string, Buffer> = {};
    for (const [name, size] of Object.entries(sizes)) {
      bytes[name] = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[name][i] = (i * 31 + size) & 0xff;
      fs.mkdirSync(path.join(dir, 'sizes'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'sizes', `${name}.wasm`), bytes[name]);
      toml += `[components.${name}]\nsource = "${name}.wasm"\n`;
    }
    write('sizes/app.loop.toml', toml);
    const g = resolveApp(path.join(dir, 'sizes'), { platform: 'native' });
    for (const name of Object.keys(sizes)) {
      expect(g.components.find((c) => c.name === name)!.sha256, name).toBe(createHash('sha256').update(bytes[name]).digest('hex'));
    }
  });

  it('uses the built output of a component project', () => {
    write('proj/loop.component.toml', '[component]\nname = "proj"\nlanguage = "js"\nworld = "plugin"\n');
    write('proj/dist/proj.wasm', 'not really wasm, but hashed as-is');
    write('app2/app.loop.toml', '[app]\nname = "two"\nentry = "proj"\n[components.proj]\nsource = "../proj"\n');
    const g = resolveApp(path.join(dir, 'app2'), { platform: 'native' });
    expect(g.components[0].path).toBe('../proj/dist/proj.wasm');
  });

  it("grants a custom native host's own package like a Loop capability, natively only", () => {
    write('host/loop.host.json', JSON.stringify({ template: 'native-wasmtime', app: '../app' }));
    write(
      'app/app.loop.toml',
      `[app]
name = "demo"
entry = "main"

[components.main]
source = "../c/core.wat"
capabilities = ["loop:log", "acme:greeting"]

[components.other]
source = "../c/basic.wat"

[capabilities."acme:greeting"]
provider = "host"
greeting = "hello"

[trust.untrusted]
allow = ["loop:log", "acme:greeting"]

[targets]
native-host = "../host"
`,
    );
    const g = resolveApp(path.join(dir, 'app'), { platform: 'native' });
    expect(g.capabilities['acme:greeting']).toEqual({ provider: 'host', greeting: 'hello' });
    expect(g.components.find((c) => c.name === 'main')!.allow).toEqual(['loop:app', 'acme:greeting', 'loop:log']);
    expect(g.trust.untrusted.allow).toEqual(['acme:greeting', 'loop:log']);
    expect(g.trust.trusted.allow).toContain('acme:greeting');

    // Without the host, or when the app also targets the web, the package has no provider.
    const toml = fs.readFileSync(path.join(dir, 'app/app.loop.toml'), 'utf8');
    write('app/app.loop.toml', toml.replace('native-host = "../host"\n', 'native = ["linux-x64"]\n'));
    expect(errorsOf(() => resolveApp(path.join(dir, 'app'), { platform: 'native' }))).toMatch(/error\[LOOP219\] capabilities\."acme:greeting": .*names none[\s\S]*hint: add \[targets\] native-host/);
    write('app/app.loop.toml', toml.replace('native-host = "../host"\n', 'native-host = "../host"\nweb = {}\n'));
    expect(errorsOf(() => resolveApp(path.join(dir, 'app'), { platform: 'native' }))).toMatch(/LOOP219.*also targets the web/);
    // A wasi: or unknown loop: name is still an unknown capability.
    write('app/app.loop.toml', toml.replace('"acme:greeting"]\n\n[components.other]', '"wasi:greeting"]\n\n[components.other]'));
    expect(errorsOf(() => resolveApp(path.join(dir, 'app'), { platform: 'native' }))).toMatch(/LOOP103\] components\.main\.capabilities\[1\]: unknown capability "wasi:greeting"/);
  });

  // Without overrides the resolver skips the checker's stat of each component source and opens
  // it instead; whatever goes wrong, the diagnostics are the checker's, all of them at once.
  it('reports exactly what validate reports, for every invalid manifest of the corpus', () => {
    const invalid = path.join(repo, 'spec/manifests/invalid');
    for (const name of fs.readdirSync(invalid)) {
      const app = path.join(invalid, name);
      let thrown: unknown;
      try {
        resolveApp(app, { platform: 'native', cwd: repo });
      } catch (e) {
        thrown = e;
      }
      expect(thrown, name).toBeInstanceOf(LoopError);
      expect((thrown as LoopError).diagnostics, name).toEqual(validateManifestFile(app, repo));
    }
  });

  it('reports sources that do not open as components with the checks of validate, with the other errors', () => {
    write('c/notes.txt', 'not a component');
    fs.mkdirSync(path.join(dir, 'c/empty-dir'), { recursive: true });
    const base = fs.readFileSync(path.join(dir, 'app/app.loop.toml'), 'utf8');
    const cases: [string, RegExp][] = [
      ['"../c/missing.wasm"', /LOOP206\] components\.fmt\.source: source "\.\.\/c\/missing\.wasm" does not exist/],
      ['"../c/missing/x.wasm"', /LOOP206\] components\.fmt\.source/],
      ['"../c/core.wat/x.wasm"', /LOOP206\] components\.fmt\.source/],
      // Node refuses such a path before any system call (ERR_INVALID_ARG_VALUE): still LOOP206.
      ['"../c/a\\u0000.wasm"', /LOOP206\] components\.fmt\.source: source "\.\.\/c\/a\\u0000\.wasm" contains a NUL character/],
      ['"../c/empty-dir"', /LOOP207\] components\.fmt\.source: "\.\.\/c\/empty-dir" is a directory without loop\.component\.toml/],
      ['"../c/notes.txt"', /LOOP207\] components\.fmt\.source: "\.\.\/c\/notes\.txt" is neither a component project nor a \.wasm\/\.wat file/],
    ];
    for (const [source, expected] of cases) {
      write('app/app.loop.toml', base.replace('source = "../c/basic.wat"', `source = ${source}`));
      const message = errorsOf(() => resolveApp(path.join(dir, 'app'), { platform: 'native' }));
      expect(message, source).toMatch(expected);
      expect(message.split('\n').filter((l) => l.includes('error[')), source).toHaveLength(1);
      expect(validateManifestFile(path.join(dir, 'app')).map((d) => d.code), source).toEqual([expected.source.match(/LOOP\d+/)![0]]);
      // With another error in the file, both are reported in one run.
      write('app/app.loop.toml', base.replace('source = "../c/basic.wat"', `source = ${source}\ntrust = "nobody"`));
      const both = errorsOf(() => resolveApp(path.join(dir, 'app'), { platform: 'native' }));
      expect(both, source).toMatch(expected);
      expect(both, source).toMatch(/LOOP203\] components\.fmt\.trust: unknown trust class "nobody"/);
    }
  });
});
