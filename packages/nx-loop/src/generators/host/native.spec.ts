// `loop host new --template native-wasmtime`, for real: scaffold a host crate into a temp
// workspace, build a Rust component (tools/rust-guest) that imports the host's own example
// provider `acme:greeting/names` (the WIT the template wrote), grant it in the app's manifest
// (`[capabilities."acme:greeting"] provider = "host"`, with a setting the provider reads, and
// `[targets] native-host`), build the host with its build.mjs (`loop resolve`, then cargo: the
// component compiled in with include_bytes!, Wasmtime reused from the shared target dir), run the
// single executable from an empty directory with a minimal environment, run the app with
// `loop run` (which builds the custom host when needed and runs it), and check that a component
// the manifest does not grant `acme:greeting` is refused before anything runs (deny by default).
// The `loop run` part spawns bin/loop.js: it needs `npm run build`.
//
// Slow on a cold cargo cache (the host crate links Wasmtime); the shared target dir
// ${LOOP_CACHE_DIR:-~/.cache/loop}/target normally already holds every dependency (set-up builds
// loop-host there). LOOP_HOST_CRATE may point the template at another loop-host checkout.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';

const REPO = path.resolve(__dirname, '../../../../..');
const LONG = 3_600_000;
const HOST = 'names-host';

/** A Rust component (world acme:demo/greeter) that calls the host's acme:greeting/names and logs. */
function writeGuest(dir: string, namesWit: string) {
  const w = (f: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  };
  w('loop.component.toml', '[component]\nname = "greeter"\nlanguage = "rust"\nworld = "acme:demo/greeter"\nwit = "wit"\n');
  w(
    'Cargo.toml',
    '[package]\nname = "greeter"\nversion = "0.1.0"\nedition = "2024"\npublish = false\n\n[lib]\ncrate-type = ["cdylib"]\n\n' +
      '[dependencies]\nwit-bindgen = "0.63"\n\n[profile.release]\nopt-level = "s"\nlto = true\ncodegen-units = 1\nstrip = "debuginfo"\npanic = "abort"\ndebug = false\n\n[workspace]\n',
  );
  w(
    'wit/demo.wit',
    'package acme:demo@0.1.0;\n\nworld greeter {\n  import acme:greeting/names@0.1.0;\n  import loop:log/logger@0.1.0;\n  export loop:app/entry@0.1.0;\n}\n',
  );
  // The host's WIT as generated, and Loop's packages (loop:app with its deps).
  w('wit/deps/acme-greeting/names.wit', namesWit);
  for (const f of fs.readdirSync(path.join(REPO, 'wit')).filter((f) => f.endsWith('.wit'))) {
    w(`wit/deps/loop-app/${f}`, fs.readFileSync(path.join(REPO, 'wit', f), 'utf8'));
  }
  fs.cpSync(path.join(REPO, 'wit/deps'), path.join(dir, 'wit/deps'), { recursive: true });
  w(
    'src/lib.rs',
    `wit_bindgen::generate!({ world: "acme:demo/greeter", path: "wit", generate_all });

use acme::greeting::names;
use loop_::log::logger::{self, Level};

struct Greeter;

impl exports::loop_::app::entry::Guest for Greeter {
    fn run() -> Result<(), String> {
        let name = names::lookup(1).ok_or("the host knows no name 1")?;
        logger::log(Level::Info, &format!("{}, {name} (asked by {})", names::greeting(), names::whoami()));
        logger::log(Level::Info, &format!("name 9: {:?}", names::lookup(9)));
        Ok(())
    }
}

export!(Greeter);
`,
  );
}

/**
 * The one-component app's manifest: the host's package configured with `settings` (TOML lines)
 * and granted to the component when `granted`; the custom host named with `[targets] native-host`.
 */
function manifest(granted: boolean, settings = 'greeting = "hej"', extra = '') {
  return `[app]
name = "names"
entry = "greeter"

[components.greeter]
source = "../../components/greeter-rust"
capabilities = ["loop:log"${granted ? ', "acme:greeting"' : ''}]

[capabilities."acme:greeting"]
provider = "host"
${settings}

[trust.untrusted]
allow = ["loop:log", "acme:greeting"]

[targets]
native-host = "../../hosts/${HOST}"
${extra}`;
}

describe('scripts/build.mjs of a native-wasmtime host: bad input is one clear line, before cargo runs', () => {
  let ws = '';
  beforeAll(async () => {
    ws = fs.mkdtempSync(path.join(tmpdir(), 'loop-native-args-'));
    const r = await main(['host', 'new', 'bare', '--template', 'native-wasmtime'], { cwd: ws, out: () => {}, err: () => {} });
    expect(r).toBe(0);
  });
  afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));
  const build = (...args: string[]) => spawnSync(process.execPath, ['scripts/build.mjs', ...args], { cwd: path.join(ws, 'hosts/bare'), encoding: 'utf8' });

  it.each([
    [['--bogus'], "error: unknown argument '--bogus'\nusage: node scripts/build.mjs [--release]"],
    [['--target'], 'error: --target needs a value'],
    [['--graph', 'g.json', '--profile', 'fancy'], 'error: --profile and --set apply when the app is resolved here, not to --graph'],
    [['--app-root', '.'], 'error: --app-root goes with --graph'],
    [['--graph', 'missing.json'], `error: --graph ${path.sep}`],
    [[], 'loop.host.json: "app" is not set; set it to the directory of your app.loop.toml (relative to this project), or pass --graph <app.loop.json>'],
  ])('build.mjs %j exits 1: %s', (args, message) => {
    const r = build(...args);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(path.join(ws, 'hosts/bare/dist'))).toBe(false);
  });

  it('an "app" without app.loop.toml is named with loop.host.json', () => {
    fs.writeFileSync(path.join(ws, 'hosts/bare/loop.host.json'), JSON.stringify({ template: 'native-wasmtime', app: '../../apps/none', out: 'dist' }));
    const r = build();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('"app" is "../../apps/none", but');
    expect(r.stderr).toContain('has no app.loop.toml');
  });
});

describe('loop host new --template native-wasmtime: a host crate with a provider of its own', () => {
  let ws = '';
  let project = '';
  let app = '';
  const run = async (cwd: string, ...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  /** Builds the host with build.mjs (which resolves the app with `loop resolve`); returns its stdout. */
  const buildHost = (...args: string[]) => {
    const b = spawnSync(process.execPath, ['scripts/build.mjs', ...args], { cwd: project, encoding: 'utf8', timeout: LONG });
    expect(b.status, b.stdout + b.stderr).toBe(0);
    return b.stdout;
  };
  /** Runs the single executable from an empty directory with a minimal environment. */
  const runHost = (...args: string[]) => {
    const empty = fs.mkdtempSync(path.join(tmpdir(), 'loop-native-run-'));
    const exe = path.join(empty, HOST);
    fs.copyFileSync(path.join(project, 'dist', HOST), exe);
    fs.chmodSync(exe, 0o755);
    const r = spawnSync(exe, args, { cwd: empty, env: { PATH: '/usr/bin:/bin', LOOP_APP_DIR: app }, encoding: 'utf8', timeout: LONG });
    fs.rmSync(empty, { recursive: true, force: true });
    return r;
  };
  /** `loop run <app> [-- args]` as a user runs it (bin/loop.js, the built CLI), from the workspace root. */
  const loopRunApp = (appDir: string, ...args: string[]) =>
    spawnSync(process.execPath, [path.join(REPO, 'packages/nx-loop/bin/loop.js'), 'run', appDir, ...(args.length ? ['--', ...args] : [])], {
      cwd: ws,
      encoding: 'utf8',
      timeout: LONG,
    });
  const loopRun = () => loopRunApp('apps/names');
  const output = (greeting: string) => `[greeter] info: ${greeting}, Ada (asked by greeter)\n[greeter] info: name 9: None\n`;

  beforeAll(() => {
    ws = fs.mkdtempSync(path.join(tmpdir(), 'loop-native-host-'));
    // build.mjs runs `loop resolve` of the @loop/nx it finds from the host project.
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, 'node_modules'));
    app = path.join(ws, 'apps/names');
    fs.mkdirSync(app, { recursive: true });
    // The manifest the generator checks for; the tests below grant the host's package in it.
    fs.writeFileSync(path.join(app, 'app.loop.toml'), '[app]\nname = "names"\nentry = "greeter"\n');
  });
  afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('scaffolds the crate: Cargo.toml on loop-host, main.rs, an example provider with its WIT, build.rs, build script', async () => {
    const r = await run(ws, 'host', 'new', HOST, '--template', 'native-wasmtime', '--app', 'apps/names');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    project = path.join(ws, 'hosts', HOST);
    for (const f of ['Cargo.toml', 'Cargo.lock', 'build.rs', 'src/main.rs', 'src/providers/mod.rs', 'src/providers/greeting.rs', 'wit/names.wit', 'scripts/build.mjs', 'loop.host.json', 'project.json', 'README.md', '.gitignore']) {
      expect(fs.existsSync(path.join(project, f)), f).toBe(true);
    }
    expect(r.out).toContain(`CREATE hosts/${HOST}/src/providers/greeting.rs`);
    expect(r.out).toContain(`created native-wasmtime host '${HOST}' in hosts/${HOST}`);
    expect(r.out).toContain(`apps/names/app.loop.toml:  [targets] native-host = "../../hosts/${HOST}"`);
    const cargo = fs.readFileSync(path.join(project, 'Cargo.toml'), 'utf8');
    const dep = /loop-host = \{ path = "([^"]+)" \}/.exec(cargo)?.[1];
    expect(dep, cargo).toBeDefined();
    expect(fs.existsSync(path.join(path.resolve(project, dep!), 'src/embed.rs'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(project, 'loop.host.json'), 'utf8'))).toEqual({ template: 'native-wasmtime', app: '../../apps/names', out: 'dist' });
    const targets = JSON.parse(fs.readFileSync(path.join(project, 'project.json'), 'utf8')).targets;
    expect(targets.build.options).toEqual({ command: 'node scripts/build.mjs', cwd: `hosts/${HOST}` });
    expect(targets.run.options.env).toEqual({ LOOP_APP_DIR: '../../apps/names' });
    // The README shows the manifest that grants the package, pointing back at this project.
    const readme = fs.readFileSync(path.join(project, 'README.md'), 'utf8');
    expect(readme).toContain('[capabilities."acme:greeting"]\nprovider = "host"');
    expect(readme).toContain(`native-host = "../../hosts/${HOST}"`);
    expect(readme).not.toContain('<%');
  });

  it('builds with cargo (Wasmtime reused from the shared target dir) into one executable that runs the app and serves its provider', { timeout: LONG }, () => {
    const guest = path.join(ws, 'components/greeter-rust');
    writeGuest(guest, fs.readFileSync(path.join(project, 'wit/names.wit'), 'utf8'));
    const g = spawnSync(process.execPath, [path.join(REPO, 'tools/rust-guest/build.mjs'), guest, '--release'], { encoding: 'utf8', timeout: LONG });
    expect(g.status, g.stdout + g.stderr).toBe(0);
    fs.writeFileSync(path.join(app, 'app.loop.toml'), manifest(true));

    const out = buildHost();
    const compiled = /cargo compiled \d+ crate\(s\) \(([^)]*)\)/.exec(out)?.[1]?.split(', ') ?? [];
    expect(compiled, out).toContain(HOST);
    expect(compiled.filter((c) => /^(wasmtime|cranelift)/.test(c)), `cargo rebuilt Wasmtime:\n${out}`).toEqual([]);
    // build.mjs resolved the manifest: the package is granted and carries its settings.
    const graph = JSON.parse(fs.readFileSync(path.join(app, '.loop/native/app.loop.json'), 'utf8'));
    expect(graph.capabilities['acme:greeting']).toEqual({ provider: 'host', greeting: 'hej' });
    expect(graph.components[0].allow).toEqual(['loop:app', 'acme:greeting', 'loop:log']);

    // The component is inside the executable: its build output can go.
    fs.renameSync(path.join(guest, 'dist'), path.join(guest, 'dist.away'));
    try {
      const r = runHost();
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(output('hej'));
      expect(r.status).toBe(0);
    } finally {
      fs.renameSync(path.join(guest, 'dist.away'), path.join(guest, 'dist'));
    }
  });

  it('loop run builds the custom host of [targets] native-host when needed and runs the app in it', { timeout: LONG }, () => {
    // Not built by loop run yet: it builds (build.mjs output on stderr), then runs.
    const first = loopRun();
    expect(first.stdout).toBe(output('hej'));
    expect(first.stderr).toContain('cargo compiled');
    expect(first.status).toBe(0);
    // Up to date: no build, only the app's output.
    const again = loopRun();
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(output('hej'));
    expect(again.status).toBe(0);
    // A setting changed in the manifest: rebuilt, and the provider reads the new value. The log
    // goes to a file relative to the app: the app dir (LOOP_APP_DIR), not the cwd (the workspace).
    fs.writeFileSync(path.join(app, 'app.loop.toml'), manifest(true, 'greeting = "hallo"', '\n[capabilities."loop:log"]\nprovider = "jsonl"\npath = "logs/app.jsonl"\n'));
    const changed = loopRun();
    expect(changed.stderr).toContain('cargo compiled');
    expect(changed.stdout).toBe('');
    expect(changed.status).toBe(0);
    const logged = fs.readFileSync(path.join(app, 'logs/app.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).message);
    expect(logged).toEqual(['hallo, Ada (asked by greeter)', 'name 9: None']);
    expect(fs.existsSync(path.join(ws, 'logs'))).toBe(false);
  });

  it('loop pack native --target linux-x64 packs the custom host (the app compiled in): it runs from an empty dir without any environment and prints what loop run prints', { timeout: LONG }, async () => {
    fs.writeFileSync(path.join(app, 'app.loop.toml'), manifest(true));
    const out = path.join(ws, 'dist/apps/names/native');
    const r = await run(ws, 'pack', 'native', 'apps/names', '--target', 'linux-x64', '-o', 'dist/apps/names/native');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('packed names for linux-x64:');
    expect(r.out).toMatch(/linux-x64 +dist\/apps\/names\/native\/linux-x64\/names \([\d.]+ MB; custom host names-host, the app compiled in, debug build \(cargo dev profile; --release for a release build\), debug info stripped, built now\)/);
    // Stripped: a fraction of the dev profile's executable (~450 MB with its debug info).
    expect(fs.statSync(path.join(out, 'linux-x64/names')).size).toBeLessThan(fs.statSync(path.join(project, 'dist', HOST)).size / 2);
    // One file, no payload next to it; the app's graph sits in the host (build.rs), not here.
    expect(fs.readdirSync(path.join(out, 'linux-x64'))).toEqual(['names']);
    const empty = fs.mkdtempSync(path.join(tmpdir(), 'loop-pack-custom-run-'));
    try {
      const exe = path.join(empty, 'names');
      fs.copyFileSync(path.join(out, 'linux-x64/names'), exe);
      fs.chmodSync(exe, 0o755);
      const packed = spawnSync(exe, [], { cwd: empty, env: { PATH: '/nonexistent' }, encoding: 'utf8', timeout: LONG });
      expect(packed.stderr).toBe('');
      expect(packed.stdout).toBe(output('hej'));
      expect(packed.status).toBe(0);
      // loop run prints the same, and reuses the host pack-native built (one build, one stamp).
      const lr = loopRun();
      expect(lr.stderr).toBe('');
      expect(lr.stdout).toBe(packed.stdout);
      expect(lr.status).toBe(0);

      // The dir bundle: the executable, plugins/ (empty here), SHA256SUMS; the archive's .sha256 checks.
      const archive = path.join(out, 'names-linux-x64.tar.gz');
      const sum = spawnSync('sha256sum', ['-c', 'names-linux-x64.tar.gz.sha256'], { cwd: out, encoding: 'utf8' });
      expect(sum.stdout + sum.stderr).toBe('names-linux-x64.tar.gz: OK\n');
      const x = spawnSync('tar', ['-xzf', archive, '-C', empty], { encoding: 'utf8' });
      expect(x.status, x.stderr).toBe(0);
      const bundle = path.join(empty, 'names-linux-x64');
      expect(fs.readdirSync(bundle).sort()).toEqual(['SHA256SUMS', 'names', 'plugins']);
      const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: bundle, encoding: 'utf8' });
      expect(sums.stdout).toBe('names: OK\n');
      const fromBundle = spawnSync(path.join(bundle, 'names'), [], { cwd: empty, env: { PATH: '/nonexistent' }, encoding: 'utf8', timeout: LONG });
      expect(fromBundle.stdout).toBe(output('hej'));
      expect(fromBundle.status).toBe(0);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
    // Up to date: packing again does not run cargo.
    const again = await run(ws, 'pack', 'native', 'apps/names', '--target', 'linux-x64', '-o', 'dist/apps/names/native');
    expect(again.code).toBe(0);
    expect(again.out).toContain('debug build (cargo dev profile; --release for a release build), debug info stripped, up to date)');
  });

  it('loop pack native of a custom host for another target is a clear error naming what a cross build needs; nothing is built', { timeout: LONG }, async () => {
    fs.writeFileSync(path.join(app, 'app.loop.toml'), manifest(true));
    const exeTime = fs.statSync(path.join(project, 'dist', HOST)).mtimeMs;
    const r = await run(ws, 'pack', 'native', 'apps/names', '--target', 'linux-arm64,windows-x64', '-o', 'dist/apps/names/native');
    expect(r.code).toBe(1);
    expect(r.out).toContain('packed names for no target:');
    for (const [t, triple] of [
      ['linux-arm64', 'aarch64-unknown-linux-gnu'],
      ['windows-x64', 'x86_64-pc-windows-gnu'],
    ]) {
      expect(r.err).toContain(`custom host '${HOST}' ([targets] native-host): ${t} not supported yet — custom hosts are built for this machine's target only (linux-x64)`);
      expect(r.err).toContain(`building it for ${triple} needs a cross linker (CARGO_TARGET_${triple.toUpperCase().replace(/-/g, '_')}_LINKER) and the standard library built for that target (RUSTC_BOOTSTRAP=1 cargo -Zbuild-std), as tools/setup/native-hosts.sh sets up for loop-host`);
    }
    expect(r.err).toContain('LOOP816');
    expect(fs.existsSync(path.join(ws, 'dist/apps/names/native/linux-arm64'))).toBe(false);
    expect(fs.statSync(path.join(project, 'dist', HOST)).mtimeMs).toBe(exeTime);
    // linux-x64's artifacts of the previous pack stay.
    expect(fs.existsSync(path.join(ws, 'dist/apps/names/native/linux-x64/names'))).toBe(true);
  });

  it('loop run passes the entry args, stdio and exit status through', { timeout: LONG }, () => {
    // A loop:app entry has no argv (no WASI); a wasi:cli command entry does: Loop's hello-rust
    // example in another app that names the same host (built for that app's graph).
    const hello = path.join(REPO, 'examples/components/hello-rust');
    if (!fs.existsSync(path.join(hello, 'dist/hello.wasm'))) {
      const g = spawnSync(process.execPath, [path.join(REPO, 'tools/rust-guest/build.mjs'), hello, '--release'], { encoding: 'utf8', timeout: LONG });
      expect(g.status, g.stdout + g.stderr).toBe(0);
    }
    const helloApp = path.join(ws, 'apps/hello');
    fs.mkdirSync(helloApp, { recursive: true });
    fs.writeFileSync(
      path.join(helloApp, 'app.loop.toml'),
      `[app]\nname = "hello"\nentry = "hello"\n\n[components.hello]\nsource = ${JSON.stringify(path.relative(helloApp, hello))}\n\n` +
        `[targets]\nnative-host = "../../hosts/${HOST}"\n`,
    );
    const r = loopRunApp('apps/hello', '--exit', '3', 'x y');
    expect(r.stdout, r.stderr).toBe('hello from a Rust wasi:cli command\nargs: ["--exit", "3", "x y"]\n');
    expect(r.stderr).toContain('hello-rust: this line goes to stderr');
    // A WASI 0.2 exit carries only ok/err: a failing command exits 1, as under loop-host.
    expect(r.status).toBe(1);
    const ok = loopRunApp('apps/hello', 'fine');
    expect(ok.stdout).toBe('hello from a Rust wasi:cli command\nargs: ["fine"]\n');
    expect(ok.status).toBe(0);
  });

  it("refuses a setting the provider's check rejects before anything runs", { timeout: LONG }, () => {
    fs.writeFileSync(path.join(app, 'app.loop.toml'), manifest(true, 'greeting = 3'));
    const r = loopRun();
    expect(r.stdout).toBe('');
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(new RegExp(`^${HOST}: .*app\\.loop\\.json: capabilities\\."acme:greeting": greeting is 3, expected a string$`));
    expect(r.status).toBe(1);
  });

  it('refuses the component when the manifest does not grant it acme:greeting (deny by default)', { timeout: LONG }, () => {
    fs.writeFileSync(path.join(app, 'app.loop.toml'), manifest(false));
    buildHost();
    const graph = JSON.parse(fs.readFileSync(path.join(app, '.loop/native/app.loop.json'), 'utf8'));
    expect(graph.components[0].allow).toEqual(['loop:app', 'loop:log']);
    const r = runHost();
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("component 'greeter' imports 'acme:greeting/names@0.1.0' but trust class 'untrusted' does not allow 'acme:greeting'");
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.status).toBe(1);
  });
});

// `nx g @loop/nx:host --template native-wasmtime` (the plugin as Nx loads it, from dist/: needs
// `npm run build`) writes the same project, and Nx sees its build and run targets.
describe('nx g @loop/nx:host --template native-wasmtime', () => {
  let ws = '';
  const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  beforeAll(() => {
    ws = fs.mkdtempSync(path.join(tmpdir(), 'loop-native-nx-'));
    fs.writeFileSync(path.join(ws, 'package.json'), JSON.stringify({ name: 'native-nx', private: true }));
    fs.writeFileSync(path.join(ws, 'nx.json'), fs.readFileSync(path.join(REPO, 'nx.json')));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, 'node_modules'));
    fs.mkdirSync(path.join(ws, 'apps/a'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'apps/a/app.loop.toml'), '[app]\nname = "a"\nentry = "x"\n');
  });
  afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('generates the crate; Nx sees its build (cargo, release configuration) and run targets', { timeout: 300_000 }, () => {
    const nx = (...args: string[]) => spawnSync(path.join(ws, 'node_modules/.bin/nx'), args, { cwd: ws, env, encoding: 'utf8', timeout: 300_000 });
    const g = nx('g', '@loop/nx:host', 'nat', '--template', 'native-wasmtime', '--app', 'apps/a', '--no-interactive');
    expect(g.status, g.stdout + g.stderr).toBe(0);
    expect(g.stdout).toContain('CREATE hosts/nat/src/providers/greeting.rs');
    expect(g.stdout).toContain('CREATE hosts/nat/Cargo.lock');
    expect(g.stdout).toContain("created native-wasmtime host 'nat' in hosts/nat");
    const cargo = fs.readFileSync(path.join(ws, 'hosts/nat/Cargo.toml'), 'utf8');
    expect(cargo).not.toContain('<%');
    // loop-host's dev-dependencies, copied for cache parity.
    expect(cargo).toMatch(/^wit-component = "/m);
    const show = nx('show', 'project', 'nat', '--json');
    expect(show.status, show.stderr).toBe(0);
    const project = JSON.parse(show.stdout);
    expect(project.tags).toEqual(['loop:host', 'loop:host:native-wasmtime']);
    expect(project.targets.build.options).toEqual({ command: 'node scripts/build.mjs', cwd: 'hosts/nat' });
    expect(project.targets.build.configurations.release).toEqual({ command: 'node scripts/build.mjs --release' });
    expect(project.targets.run.dependsOn).toEqual(['build']);
  });
});
