#!/usr/bin/env node
// Builds a Rust component project to <project>/dist/<name>.wasm with the Debian
// rustc-web toolchain (installed by tools/setup/rust-guest.sh) and -Zbuild-std,
// because rustup here has no wasm targets.
//
//   node tools/rust-guest/build.mjs <component-project-dir> [--release]
//   (tools/rust-guest/build.sh is the same thing)
//
// <project>/loop.component.toml decides what is built:
//   world = "core" | "plugin" | "<ns:pkg>/<world>"  -> wasm32-unknown-unknown cdylib, turned into a
//       component with jco's componentNew (no WASI imports at all: only the WIT world's imports);
//   world = "wasi:cli/command"                      -> wasm32-wasip2 std binary (a wasi:cli/run
//       command component, linked by wasm-component-ld against Debian's wasi-libc, plus the
//       object of wasi-start/ so wasi-libc's constructors run once: see wasi-start/src/lib.rs;
//       without it any preopened directory makes the command trap "cannot leave component instance").
// The produced component's exports are checked against the declared world.
//
// --release uses one fixed profile for every guest (opt-level "s", fat LTO, 1 codegen unit,
// strip debuginfo, panic=abort), set through CARGO_PROFILE_RELEASE_* (config beats
// Cargo.toml): -Zbuild-std compiles std with the crate's profile, so projects with different
// profiles would each recompile std (minutes on 2 cores); with one profile they share it.
//
// Environment: LOOP_CACHE_DIR (default ~/.cache/loop; cargo target dir is <it>/guest-target),
// LOOP_GUEST_RUSTC / LOOP_GUEST_CARGO (default /usr/bin/rustc, /usr/bin/cargo),
// LOOP_WASI_LIBC_DIR (default /usr/lib/wasm32-wasi), LOOP_GUEST_RUSTFLAGS (extra rustflags),
// LOOP_GUEST_WASI_START=0 (commands without wasi-start/: they trap when given a preopened dir;
// for the host test that checks its error message).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKSPACE = resolve(HERE, '..', '..');
const MARKER = 'loop.component.toml';
const SETUP = 'tools/setup/rust-guest.sh';

const RELEASE_PROFILE = {
  CARGO_PROFILE_RELEASE_OPT_LEVEL: 's',
  CARGO_PROFILE_RELEASE_LTO: 'true',
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '1',
  CARGO_PROFILE_RELEASE_STRIP: 'debuginfo',
  CARGO_PROFILE_RELEASE_PANIC: 'abort',
  CARGO_PROFILE_RELEASE_DEBUG: 'false',
};

class BuildError extends Error {}
const fail = (msg) => {
  throw new BuildError(msg);
};

function usage() {
  return 'usage: tools/rust-guest/build.sh <component-project-dir> [--release]';
}

function parseArgs(argv) {
  let project;
  let release = false;
  for (const a of argv) {
    if (a === '--release') release = true;
    else if (a === '-h' || a === '--help') {
      console.log(usage());
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option '${a}'\n${usage()}`);
    else if (project === undefined) project = a;
    else fail(`unexpected argument '${a}' (only one project dir)\n${usage()}`);
  }
  if (project === undefined) fail(`missing <component-project-dir>\n${usage()}`);
  return { project: resolve(project), release };
}

async function readMarker(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${dir}: not a directory`);
  const file = join(dir, MARKER);
  if (!existsSync(file)) fail(`${file}: not found (a component project needs ${MARKER} with [component] name, language, world)`);
  const { parse } = await import('smol-toml');
  let data;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file}: invalid TOML: ${String(e.message).split('\n')[0]}`);
  }
  const c = data.component;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail(`${file}: missing [component] table`);
  const str = (key, required) => {
    const v = c[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') fail(`${file}: component.${key} must be a non-empty string${v === undefined ? ' (missing)' : ` (got ${JSON.stringify(v)})`}`);
    return v;
  };
  const name = str('name', true);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) fail(`${file}: component.name '${name}' must be kebab-case ([a-z][a-z0-9-]*)`);
  const language = str('language', true);
  if (language !== 'rust') fail(`${file}: component.language is '${language}'; tools/rust-guest builds only 'rust' projects`);
  const world = str('world', true);
  const wit = str('wit', false);
  return { file, name, world, wit };
}

/** The project's workspace: the nearest ancestor with nx.json and wit/ (else this repo). */
function workspaceOf(dir) {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'nx.json')) && existsSync(join(d, 'wit'))) return d;
    if (dirname(d) === d) return WORKSPACE;
  }
}

/** Where the world lives and what it must export. */
function planFor(dir, marker) {
  if (marker.world.startsWith('wasi:cli/')) {
    if (marker.world !== 'wasi:cli/command') fail(`${marker.file}: component.world '${marker.world}' is not supported; Rust WASI components use 'wasi:cli/command'`);
    return { kind: 'command', target: 'wasm32-wasip2' };
  }
  let world = marker.world;
  let witDir = marker.wit ? resolve(dir, marker.wit) : join(workspaceOf(dir), 'wit');
  if (world === 'core' || world === 'plugin') {
    world = `loop:app/${world}`;
  } else if (!/^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*(@[0-9A-Za-z.+-]+)?\/[a-z][a-z0-9-]*$/.test(world)) {
    fail(`${marker.file}: component.world '${marker.world}' must be core, plugin, wasi:cli/command or <ns:pkg>/<world>`);
  }
  if (!existsSync(witDir)) fail(`${marker.file}: component.wit: WIT dir ${witDir} does not exist`);
  return { kind: 'loop', target: 'wasm32-unknown-unknown', world, witDir };
}

function toolchain() {
  const rustc = process.env.LOOP_GUEST_RUSTC || '/usr/bin/rustc';
  const cargo = process.env.LOOP_GUEST_CARGO || '/usr/bin/cargo';
  const wasiLibc = process.env.LOOP_WASI_LIBC_DIR || '/usr/lib/wasm32-wasi';
  const rustdoc = join(dirname(rustc), 'rustdoc');
  for (const [what, path] of [['rustc', rustc], ['cargo', cargo]]) {
    if (!existsSync(path)) fail(`Rust guest toolchain missing: no ${what} at ${path}; run \`bash ${SETUP}\` (as root)`);
  }
  return { rustc, cargo, rustdoc, wasiLibc };
}

function run(cmd, args, env, onStdoutLine) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const rl = createInterface({ input: child.stdout });
    rl.on('line', onStdoutLine);
    child.on('error', rej);
    child.on('close', (code, signal) => {
      rl.close();
      res(code ?? (signal ? 128 : 1));
    });
  });
}

const WASI_START = join(HERE, 'wasi-start', 'Cargo.toml');

/**
 * Builds tools/rust-guest/wasi-start (a #![no_std] `__original_main` that runs wasi-libc's
 * constructors once) and returns its object file, which every command is linked with. Its own
 * fixed profile, so it is built once per guest target dir whatever the guest's profile.
 */
async function wasiStartObject(tc, targetDir) {
  const env = { ...process.env, RUSTC_BOOTSTRAP: '1', RUSTC: tc.rustc, RUSTDOC: tc.rustdoc, CARGO_TARGET_DIR: targetDir, RUSTFLAGS: '' };
  for (const k of Object.keys(env)) if (k.startsWith('CARGO_PROFILE_') || k === 'CARGO_ENCODED_RUSTFLAGS' || k === 'CARGO_BUILD_TARGET') delete env[k];
  const args = [
    'rustc', '--manifest-path', WASI_START, '--lib', '--release', '--target', 'wasm32-wasip2',
    '-Zbuild-std=core', '--message-format=json-render-diagnostics', '--', '--emit=link,obj',
  ];
  let rmeta;
  const code = await run(tc.cargo, args, env, (line) => {
    if (!line.startsWith('{')) return process.stdout.write(line + '\n');
    try {
      const msg = JSON.parse(line);
      if (msg.reason === 'compiler-artifact' && resolve(msg.manifest_path) === WASI_START) {
        rmeta = (msg.filenames ?? []).find((f) => /\/deps\/libloop_wasi_start-[0-9a-f]+\.rmeta$/.test(f)) ?? rmeta;
      }
    } catch {}
  });
  if (code !== 0) fail(`cargo build failed for ${dirname(WASI_START)} (exit ${code}); the compiler's errors are above`);
  if (!rmeta) fail(`${WASI_START}: cargo reported no rmeta for loop-wasi-start, so its object cannot be found`);
  const obj = join(dirname(rmeta), basename(rmeta).replace(/^lib/, '').replace(/\.rmeta$/, '.o'));
  if (!existsSync(obj)) {
    fail(`${obj}: missing although cargo considers loop-wasi-start fresh; run \`cargo clean --target-dir ${targetDir} -p loop-wasi-start\` and build again`);
  }
  return obj;
}

async function cargoBuild(dir, plan, tc, release, targetDir) {
  const manifest = join(dir, 'Cargo.toml');
  if (!existsSync(manifest)) fail(`${manifest}: not found (a Rust component project needs a Cargo.toml)`);
  const rustflags = [process.env.LOOP_GUEST_RUSTFLAGS || ''];
  if (plan.kind === 'command') {
    if (!existsSync(join(tc.wasiLibc, 'libc.a'))) fail(`wasi-libc missing: no ${join(tc.wasiLibc, 'libc.a')}; run \`bash ${SETUP}\` (as root)`);
    rustflags.push(`-L ${tc.wasiLibc}`);
  }
  // LOOP_GUEST_WASI_START=0 links as plain Debian wasi-libc does (only to reproduce the trap in tests).
  const start = plan.kind === 'command' && process.env.LOOP_GUEST_WASI_START !== '0' ? await wasiStartObject(tc, targetDir) : undefined;
  const env = {
    ...process.env,
    RUSTC_BOOTSTRAP: '1', // -Zbuild-std on a stable (Debian) compiler
    RUSTC: tc.rustc,
    RUSTDOC: tc.rustdoc,
    CARGO_TARGET_DIR: targetDir,
    RUSTFLAGS: rustflags.join(' ').trim(),
  };
  if (release) Object.assign(env, RELEASE_PROFILE);
  delete env.CARGO_ENCODED_RUSTFLAGS;
  delete env.CARGO_BUILD_TARGET;
  // Commands: `cargo rustc --bins -- -C link-arg=<wasi-start object>` passes the object to the
  // final link only (in RUSTFLAGS it would change std's fingerprint and rebuild std).
  const args = [
    start ? 'rustc' : 'build',
    '--manifest-path', manifest,
    '--target', plan.target,
    '-Zbuild-std=std,panic_abort',
    '--message-format=json-render-diagnostics',
  ];
  if (release) args.push('--release');
  if (start) args.push('--bins', '--', '-C', `link-arg=${start}`);
  const artifacts = [];
  const code = await run(tc.cargo, args, env, (line) => {
    if (!line.startsWith('{')) {
      process.stdout.write(line + '\n');
      return;
    }
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.reason === 'compiler-artifact' && resolve(msg.manifest_path) === resolve(manifest)) {
      const kinds = msg.target?.kind ?? [];
      if (kinds.includes('cdylib') || kinds.includes('bin')) {
        for (const f of msg.filenames ?? []) if (f.endsWith('.wasm')) artifacts.push({ file: f, kinds });
      }
    }
  });
  if (code !== 0) fail(`cargo build failed for ${dir} (exit ${code}); the compiler's errors are above`);
  const want = plan.kind === 'command' ? 'bin' : 'cdylib';
  const hits = artifacts.filter((a) => a.kinds.includes(want));
  if (hits.length === 0) {
    fail(
      plan.kind === 'command'
        ? `${manifest}: built no binary; a wasi:cli/command project needs a [[bin]] (src/main.rs)`
        : `${manifest}: built no cdylib; add [lib] crate-type = ["cdylib"]`,
    );
  }
  if (hits.length > 1) fail(`${manifest}: builds ${hits.length} ${want} targets (${hits.map((h) => h.file).join(', ')}); keep exactly one`);
  return hits[0].file;
}

function exportsOf(wit) {
  return [...wit.matchAll(/^\s*export ([^;]+);/gm)].map((m) => m[1].trim()).sort();
}

async function componentize(coreFile, plan, projectDir, markerFile) {
  const jco = await import('@bytecodealliance/jco');
  const core = readFileSync(coreFile);
  let component;
  try {
    component = await jco.componentNew(core);
  } catch (e) {
    fail(
      `${coreFile}: jco componentNew failed: ${e.message ?? e}\n` +
        `  (is wit_bindgen::generate! for world '${plan.world}' called in ${projectDir}/src?)`,
    );
  }
  const got = exportsOf(await jco.componentWit(component));
  let want;
  try {
    const dummy = await jco.componentEmbed({ dummy: true, witPath: plan.witDir, world: plan.world });
    want = exportsOf(await jco.componentWit(await jco.componentNew(dummy)));
  } catch (e) {
    fail(`${markerFile}: cannot resolve world '${plan.world}' in ${plan.witDir}: ${e.message ?? e}`);
  }
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    fail(
      `${markerFile}: the built component exports [${got.join(', ')}] but world '${plan.world}' exports ` +
        `[${want.join(', ')}]; make wit_bindgen::generate! use the world named in ${MARKER}`,
    );
  }
  return component;
}

async function main() {
  const started = process.hrtime.bigint();
  const { project, release } = parseArgs(process.argv.slice(2));
  const marker = await readMarker(project);
  const plan = planFor(project, marker);
  const tc = toolchain();
  const cacheDir = process.env.LOOP_CACHE_DIR || join(homedir(), '.cache', 'loop');
  const targetDir = join(cacheDir, 'guest-target');
  mkdirSync(targetDir, { recursive: true });

  const artifact = await cargoBuild(project, plan, tc, release, targetDir);
  let bytes;
  if (plan.kind === 'command') {
    bytes = readFileSync(artifact);
    const jco = await import('@bytecodealliance/jco');
    let wit;
    try {
      wit = await jco.componentWit(bytes);
    } catch (e) {
      fail(`${artifact}: not a component (${e.message ?? e}); is wasm-component-ld from rust-web-llvm installed?`);
    }
    if (!/^\s*export wasi:cli\/run@/m.test(wit)) fail(`${artifact}: does not export wasi:cli/run; a wasi:cli/command project needs fn main()`);
  } else {
    bytes = await componentize(artifact, plan, project, marker.file);
  }
  const out = join(project, 'dist', `${marker.name}.wasm`);
  mkdirSync(dirname(out), { recursive: true });
  const tmpOut = `${out}.${process.pid}.tmp`; // concurrent builds of one project never mix bytes
  writeFileSync(tmpOut, bytes);
  renameSync(tmpOut, out);
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const rel = relative(process.cwd(), out) || out;
  console.error(
    `built ${rel} (${bytes.length} bytes, ${plan.kind === 'command' ? 'wasi:cli/command' : plan.world}, ` +
      `${release ? 'release' : 'debug'}, ${plan.target}, ${secs.toFixed(1)} s)`,
  );
  console.log(out); // stdout: just the output path, for callers
}

main().catch((e) => {
  if (e instanceof BuildError) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
  console.error(e);
  process.exit(1);
});
