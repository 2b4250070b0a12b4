// Builds the Rust example components with the real guest toolchain (Debian rustc-web +
// -Zbuild-std, installed by tools/setup/rust-guest.sh) through tools/rust-guest/build.sh,
// checks what they import/export, runs them, and checks the wrapper's errors.
// The first build compiles std for each wasm target (minutes on 2 cores); later builds reuse
// ${LOOP_CACHE_DIR:-~/.cache/loop}/guest-target.
import { componentWit, transpile } from '@bytecodealliance/jco';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const BUILD = join(ROOT, 'tools', 'rust-guest', 'build.sh');
const JCO = join(ROOT, 'node_modules', '.bin', 'jco');
const GREETER = join(ROOT, 'examples', 'components', 'greeter-rust');
const HELLO = join(ROOT, 'examples', 'components', 'hello-rust');
const BUILD_TIMEOUT = 1_800_000; // a cold std build on a busy 2-core machine

function build(project: string, ...flags: string[]) {
  const r = spawnSync('bash', [BUILD, project, ...flags], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// --release everywhere: the nx build-component executor builds Rust in release by default,
// so both share one std build per wasm target in the guest cache.
function mustBuild(project: string): string {
  const r = build(project, '--release');
  if (r.status !== 0) throw new Error(`build.sh ${project} failed (${r.status}):\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

function imports(wit: string): string[] {
  return [...wit.matchAll(/^\s*import ([^;]+);/gm)].map((m) => m[1]).sort();
}
function exportsOf(wit: string): string[] {
  return [...wit.matchAll(/^\s*export ([^;]+);/gm)].map((m) => m[1]).sort();
}

/** Transpiles a component with jco (async instantiation) and instantiates it with `imports`. */
async function instantiate(wasm: string, name: string, imports: Record<string, unknown>) {
  const out = tmp();
  const { files } = await transpile(readFileSync(wasm), { name, instantiation: 'async', quiet: true });
  for (const [file, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file), bytes);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  const mod = await import(pathToFileURL(join(out, `${name}.js`)).href);
  return mod.instantiate((p: string) => WebAssembly.compile(readFileSync(join(out, p))), imports);
}

const tmps: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'loop-rust-guest-'));
  tmps.push(d);
  return d;
}
afterAll(() => tmps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('greeter-rust (world example:hello/greeter)', () => {
  let wasm: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    wasm = mustBuild(GREETER);
    server = createServer((req, res) => {
      res.writeHead(req.url === '/hello' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/hello' ? 'hi over http\n' : 'nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello`;
  }, BUILD_TIMEOUT);
  afterAll(() => server?.close());

  it('writes dist/greeter.wasm, a component importing only what it uses', async () => {
    expect(wasm).toBe(join(GREETER, 'dist', 'greeter.wasm'));
    const wit = await componentWit(readFileSync(wasm));
    expect(imports(wit)).toEqual([
      'example:hello/formatter@0.1.0', 'loop:app/config@0.1.0', 'loop:fs/files@0.1.0', 'loop:http/client@0.1.0',
      'loop:log/logger@0.1.0', 'loop:plugin/host@0.1.0', 'loop:plugin/types@0.1.0',
    ]);
    expect(exportsOf(wit)).toEqual(['loop:app/entry@0.1.0']);
    expect(wit).not.toMatch(/wasi:/);
  });

  type Host = {
    files: Record<string, string>;
    config: Record<string, string>;
    http: Record<string, { status: number; body: string }>;
    plugins: Record<string, (s: string) => string>;
  };

  /** Transpiles the component and calls `run()`, with JS import objects acting as the host. */
  async function runGreeter(host: Host): Promise<{ logs: string[]; error?: unknown }> {
    const logs: string[] = [];
    const enc = new TextEncoder();
    // jco: a WIT `err` is thrown as a plain value (a string, or `{ tag, val }` for variants).
    const instance = await instantiate(wasm, 'greeter', {
      'loop:log/logger': { log: (level: string, msg: string) => logs.push(`${level}: ${msg}`) },
      'loop:fs/files': {
        read: (path: string) => {
          if (!(path in host.files)) throw { tag: 'not-found', val: path };
          return enc.encode(host.files[path]);
        },
      },
      'loop:http/client': {
        fetch: (req: { method: string; url: string }) => {
          const r = host.http[req.url];
          if (!r) throw { tag: 'network', val: `connection refused: ${req.url}` };
          return { status: r.status, headers: [['content-type', 'text/plain']], body: enc.encode(r.body) };
        },
      },
      'loop:app/config': { get: (key: string) => host.config[key] },
      'example:hello/formatter': { format: (t: string) => `*** ${t} ***` },
      'loop:plugin/host': {
        list: () => Object.keys(host.plugins).sort().map((name) => ({ name, version: '1.0.0', description: `${name} plugin` })),
        call: (name: string, input: string) => {
          const p = host.plugins[name];
          if (!p) throw `no plugin named '${name}'`;
          return p(input);
        },
      },
      'loop:plugin/types': {},
    });
    try {
      instance.entry.run();
      return { logs };
    } catch (error) {
      return { logs, error };
    }
  }

  const URL_ = 'http://127.0.0.1:8080/hello';
  const ok: Host = {
    files: { 'greeting.txt': 'Hello, Loop!\n' },
    config: { url: URL_ },
    http: { [URL_]: { status: 200, body: 'hi over http\n' } },
    plugins: {
      upper: (s) => s.toUpperCase(),
      broken: () => {
        throw 'plugin trapped';
      },
    },
  };

  it('run() logs the greeting, the fetch, the formatted text and every plugin result', async () => {
    const { logs, error } = await runGreeter(ok);
    expect(error).toBeUndefined();
    expect(logs).toEqual([
      'info: greeting: Hello, Loop!',
      'info: fetched 200: hi over http',
      'info: formatted: *** Hello, Loop! ***',
      'error: plugin broken failed: plugin trapped',
      'info: plugin upper: HELLO, LOOP!',
    ]);
  });

  it('run() logs provider errors and carries on', async () => {
    const { logs, error } = await runGreeter({ ...ok, http: {}, plugins: {} });
    expect(error).toBeUndefined();
    expect(logs).toContain(`error: fetch ${URL_} failed: network error (connection refused: ${URL_})`);
    expect(logs).toContain('info: formatted: *** Hello, Loop! ***');
  });

  it('run() without a `url` config key warns and skips the fetch', async () => {
    const { logs, error } = await runGreeter({ ...ok, config: {} });
    expect(error).toBeUndefined();
    expect(logs).toContain("warn: no `url` in this component's config; skipping fetch");
    expect(logs.some((l) => l.includes('fetched'))).toBe(false);
  });

  it('run() returns err with a clear message when greeting.txt is missing', async () => {
    const { logs, error } = await runGreeter({ ...ok, files: {} });
    const message = 'cannot read greeting.txt: not found (greeting.txt)';
    expect(String((error as { payload?: unknown })?.payload ?? error)).toContain(message);
    expect(logs).toEqual([`error: ${message}`]);
  });
});

describe('count-rust (world loop:app/plugin)', () => {
  const COUNT = join(ROOT, 'examples', 'components', 'count-rust');
  let wasm: string;
  beforeAll(() => {
    wasm = mustBuild(COUNT);
  }, BUILD_TIMEOUT);

  it('imports only loop:log (and the plugin types) and exports loop:plugin/plugin', async () => {
    const wit = await componentWit(readFileSync(wasm));
    expect(imports(wit)).toEqual(['loop:log/logger@0.1.0', 'loop:plugin/types@0.1.0']);
    expect(exportsOf(wit)).toEqual(['loop:plugin/plugin@0.1.0']);
  });

  it('answers info and handle, and returns err for empty input', async () => {
    const logs: string[] = [];
    const instance = await instantiate(wasm, 'count', {
      'loop:log/logger': { log: (level: string, msg: string) => logs.push(`${level}: ${msg}`) },
      'loop:plugin/types': {},
    });
    expect(instance.plugin.info()).toEqual({ name: 'count', version: '0.1.0', description: 'Counts characters and words' });
    expect(instance.plugin.handle('héllo big  world')).toBe('16 chars, 3 words');
    let err: unknown;
    try {
      instance.plugin.handle('  ');
    } catch (e) {
      err = e;
    }
    expect(String((err as { payload?: unknown })?.payload ?? err)).toContain('count: nothing to count');
    expect(instance.plugin.handle('a b')).toBe('3 chars, 2 words'); // still alive after an err
    expect(logs).toEqual(['info: count: 16 chars, 3 words', 'warn: count: empty input', 'info: count: 3 chars, 2 words']);
  });
});

describe('hello-rust (wasi:cli/command)', () => {
  let wasm: string;
  beforeAll(() => {
    wasm = mustBuild(HELLO);
  }, BUILD_TIMEOUT);

  it('writes dist/hello.wasm exporting wasi:cli/run and importing only WASI', async () => {
    expect(wasm).toBe(join(HELLO, 'dist', 'hello.wasm'));
    const wit = await componentWit(readFileSync(wasm));
    expect(exportsOf(wit)).toEqual([expect.stringMatching(/^wasi:cli\/run@0\.2\.\d+$/)]);
    for (const i of imports(wit)) expect(i).toMatch(/^wasi:(cli|io|clocks|filesystem|random)\//);
  });

  it('runs under jco run: args, env, stdin and stderr', () => {
    const dir = tmp();
    const r = spawnSync(JCO, ['run', wasm, '--', 'a', 'b c', '--env', 'LOOP_HELLO', '--env', 'LOOP_UNSET_VAR', '--stdin'], {
      encoding: 'utf8',
      cwd: dir,
      input: 'from stdin\n',
      env: { ...process.env, LOOP_HELLO: 'world', LOOP_UNSET_VAR: '' },
    });
    expect(r.stdout).toContain('hello from a Rust wasi:cli command\n');
    expect(r.stdout).toContain('args: ["a", "b c", "--env", "LOOP_HELLO", "--env", "LOOP_UNSET_VAR", "--stdin"]\n');
    expect(r.stdout).toContain('env LOOP_HELLO=world\n');
    expect(r.stdout).toContain('stdin: 11 bytes: from stdin\n');
    expect(r.stderr).toContain('hello-rust: this line goes to stderr');
    expect(r.status).toBe(0);
  });

  it('is linked with wasi-start: wasm-ld wrapped no export in the C constructors', () => {
    // With Debian's crt1-command.o alone, every export (cabi_realloc too) became
    // `<name>.command_export` re-running wasi-libc's constructors, and a preopened dir trapped
    // "cannot leave component instance" (tests of loop-host: tests/wasi_fs.rs, tests/parity.rs).
    const bytes = readFileSync(wasm);
    expect(bytes.includes('__original_main')).toBe(true);
    expect(bytes.includes('.command_export')).toBe(false);
  });

  it('fails with a non-zero status when asked to (jco run reports any failure as 1)', () => {
    const r = spawnSync(JCO, ['run', wasm, '--', '--exit', '7'], { encoding: 'utf8', cwd: tmp() });
    expect(r.status).not.toBe(0);
  });
});

describe('build.sh errors name the file and field', () => {
  const WIT = join(ROOT, 'wit');

  function project(marker: string | null, files: Record<string, string> = {}): string {
    const dir = tmp();
    if (marker !== null) writeFileSync(join(dir, 'loop.component.toml'), marker);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }
  const cargoToml = (name: string) =>
    `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2024"\n\n[lib]\ncrate-type = ["cdylib"]\n\n` +
    `[dependencies]\nwit-bindgen = "0.63"\n\n[workspace]\n`;
  const pluginSrc = (body: string) =>
    `wit_bindgen::generate!({ world: "loop:app/plugin", path: ${JSON.stringify(WIT)}, generate_all });\n` +
    `struct P;\nimpl exports::loop_::plugin::plugin::Guest for P {\n` +
    `    fn info() -> exports::loop_::plugin::plugin::PluginInfo {\n` +
    `        exports::loop_::plugin::plugin::PluginInfo { name: "t".into(), version: "0".into(), description: "t".into() }\n    }\n` +
    `    fn handle(input: String) -> Result<String, String> { ${body} }\n}\nexport!(P);\n`;

  it('usage without a project dir', () => {
    const r = build('--release');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('missing <component-project-dir>');
  });

  it('a dir without loop.component.toml', () => {
    const dir = project(null);
    const r = build(dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${join(dir, 'loop.component.toml')}: not found`);
  });

  it('a marker for another language', () => {
    const dir = project('[component]\nname = "x"\nlanguage = "js"\nworld = "core"\n');
    const r = build(dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("component.language is 'js'");
  });

  it('a marker with a missing or bad field', () => {
    let r = build(project('[component]\nlanguage = "rust"\nworld = "core"\n'));
    expect(r.stderr).toMatch(/loop\.component\.toml: component\.name must be a non-empty string \(missing\)/);
    r = build(project('[component]\nname = "x"\nlanguage = "rust"\nworld = "not a world"\n'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("component.world 'not a world' must be core, plugin, wasi:cli/command or <ns:pkg>/<world>");
    r = build(project('[component]\nname = "x"\nlanguage = "rust"\nworld = "core"\nwit = "nowhere"\n'));
    expect(r.stderr).toMatch(/component\.wit: WIT dir .*nowhere does not exist/);
  });

  it('a project without Cargo.toml', () => {
    const dir = project('[component]\nname = "x"\nlanguage = "rust"\nworld = "plugin"\n');
    const r = build(dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${join(dir, 'Cargo.toml')}: not found`);
  });

  it(
    "a compile error: the compiler's own message and a non-zero exit",
    () => {
      const dir = project('[component]\nname = "bad-plugin"\nlanguage = "rust"\nworld = "plugin"\n', {
        'Cargo.toml': cargoToml('loop-test-bad-plugin'),
        'src/lib.rs': pluginSrc('Ok(input + 1)'),
      });
      const r = build(dir, '--release');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/error\[E\d+\]/);
      expect(r.stderr).toContain('src/lib.rs');
      expect(r.stderr).toContain('cargo build failed for');
      expect(existsSync(join(dir, 'dist', 'bad-plugin.wasm'))).toBe(false);
    },
    BUILD_TIMEOUT,
  );

  it(
    'a plugin that builds; and the same source under a marker naming another world',
    async () => {
      const files = { 'Cargo.toml': cargoToml('loop-test-plugin'), 'src/lib.rs': pluginSrc('Ok(input.to_uppercase())') };
      const good = project('[component]\nname = "upper"\nlanguage = "rust"\nworld = "plugin"\n', files);
      const r = build(good, '--release');
      expect(r.stderr).toContain('built');
      expect(r.status).toBe(0);
      const wit = await componentWit(readFileSync(join(good, 'dist', 'upper.wasm')));
      expect(exportsOf(wit)).toEqual(['loop:plugin/plugin@0.1.0']);

      const wrong = project('[component]\nname = "upper"\nlanguage = "rust"\nworld = "core"\n', files);
      const w = build(wrong, '--release');
      expect(w.status).not.toBe(0);
      expect(w.stderr).toContain("exports [loop:plugin/plugin@0.1.0] but world 'loop:app/core' exports [loop:app/entry@0.1.0]");
    },
    BUILD_TIMEOUT,
  );
});
