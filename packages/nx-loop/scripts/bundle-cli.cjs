// Build step (after tsc and compile-schema.cjs): packs the CommonJS modules the `loop` CLI can
// reach from dist/cli/main.js into two scripts, each with a V8 code cache, so that a cold `loop`
// process reads and compiles two files instead of resolving, reading and compiling ~60 (and the
// ajv runtime and smol-toml from node_modules):
//   dist/loop-core.js  the manifest reader, schema validator, semantic checks and resolver
//                      (everything `resolveApp` runs for an app whose trust classes list no keys);
//   dist/loop-rest.js  every other module (the CLI and its commands, signing, packing, ...),
//                      compiled only when a module of it is first required.
// A process that only resolves (the 200-component benchmark, Nx executors through dist/loop.cjs)
// deserialises the small cache only.
//
// What stays the same as running dist/ module by module:
// - every module keeps its own scope, `exports`/`module`, and its real `__filename`/`__dirname`
//   (the path it has in dist/), so file lookups relative to a module work unchanged;
// - a module's body runs when it is first required, not before (lazy requires stay lazy), and
//   once per process whichever script holds it;
// - `require()` of anything not in the bundle (Node built-ins, packages, JSON) is Node's own
//   require for that module's path; relative `import()`s of bundled modules go to the bundle.
// What the code cache changes: nothing observable. It is V8's compiled code for this Node
// version, taken after a warm-up run (validate + resolve of a tiny app); another Node version
// rejects it and the script is compiled as usual (dist/loop.cjs handles both).
//
//   node packages/nx-loop/scripts/bundle-cli.cjs        (npm run build runs it)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const dist = path.join(__dirname, '..', 'dist');
const ENTRIES = ['cli/main.js', 'resolve/resolve.js', 'manifest/load.js', 'manifest/schema-validate.js'];
/** What a resolve needs: these and what they require, except the modules NOT_CORE names. */
const CORE_ENTRIES = ['resolve/resolve.js', 'manifest/load.js', 'manifest/schema-validate.js'];
/**
 * Kept out of the core although core modules import them: the resolver calls into signing only
 * when a trust class lists keys (manifest/load.ts, resolve/resolve.ts). Such an import, from a
 * core module to a module of the rest, gets the module on first use of one of its exports
 * (tsc's CommonJS reads named imports as `mod.name` at the use site), not when required.
 */
const NOT_CORE = (id) => id.startsWith('signing/');
/** The only modules a core module may import from the rest (the build fails on any other). */
const LAZY_FROM_CORE = new Set(['signing/trust.js']);
/** Small dependencies without their own dependencies on Node's module system: inlined. */
const INLINE = new Set(['smol-toml', 'ajv/dist/runtime/equal', 'ajv/dist/runtime/ucs2length', 'fast-deep-equal']);

/** Node built-ins loaded on first use inside the bundle (see lazyBuiltin below). */
const LAZY_BUILTINS = ['child_process', 'http', 'https', 'net', 'zlib', 'readline', 'readline/promises', 'fs/promises', 'stream', 'stream/promises', 'worker_threads', 'os', 'crypto', 'dgram', 'tls', 'http2', 'v8', 'perf_hooks'];
/** @type {Map<string, { where: string, deps: Record<string, string>, code: string }>} bundle id → module */
const modules = new Map();
/** @type {Map<string, string[]>} bundle id → the ids it requires */
const depsOf = new Map();
const external = new Set();

function add(id, file) {
  if (modules.has(id)) return;
  modules.set(id, '');
  let code = fs.readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  // `import(x)` → the bundle's loader: a module of dist/ comes from the bundle (the same
  // instance its other importers get), anything else from Node's import() in dist/loop.cjs
  // (code compiled by vm.Script has no import() of its own when it comes from a code cache).
  // An `import(` inside a one-line string (a Function-built import) is left alone.
  code = code.replace(/\bimport\(/g, (m, at, all) => {
    const line = all.slice(all.lastIndexOf('\n', at) + 1, at);
    const open = (q) => (line.replace(/\\./g, '').split(q).length - 1) % 2 === 1;
    return open("'") || open('"') || open('`') ? m : '__loopImport(';
  });
  const deps = {};
  for (const m of code.matchAll(/\brequire\((['"])([^'"]+)\1\)/g)) {
    const spec = m[2];
    if (spec.startsWith('node:') || !/^[./]/.test(spec) && !INLINE.has(spec)) {
      external.add(spec);
      continue;
    }
    const target = require.resolve(spec, { paths: [path.dirname(file)] });
    if (!target.endsWith('.js') && !target.endsWith('.cjs')) continue; // JSON etc.: Node's require
    const tid = target.startsWith(dist + path.sep) ? path.relative(dist, target).split(path.sep).join('/') : `~${spec}`;
    deps[spec] = tid;
    add(tid, target);
  }
  for (const m of code.matchAll(/__loopImport\((['"])(\.{1,2}\/[^'"]+)\1\)/g)) {
    const target = path.resolve(path.dirname(file), m[2]);
    const tid = path.relative(dist, target).split(path.sep).join('/');
    deps[m[2]] = tid;
    add(tid, target);
  }
  const where = path.relative(dist, file).split(path.sep).join('/');
  depsOf.set(id, Object.values(deps));
  // Dependencies are written once the core is known (a lazy one becomes [id]).
  modules.set(id, { where, deps, code });
}

// dist/loop.cjs: what bin/loop.js (and the 200-component benchmark) load.
const STAMP_FILES = ['.tsbuildinfo', 'manifest/schema-validate.js'];
const LOADER = `'use strict';
const STAMP_FILES = ${JSON.stringify(STAMP_FILES)};
// Generated by scripts/bundle-cli.cjs: loads dist/loop-core.js (manifest + resolver) and, when a
// module outside it is first required, dist/loop-rest.js (the rest of the CLI), each with V8's
// code cache for it when this Node version accepts the cache.
const fs = require('node:fs');
const path = require('node:path');
// The bundle is only as new as the build it was made from: when tsc or compile-schema.cjs ran
// again since (their outputs changed), run the module-per-file dist/ instead of stale code.
const STAMP = __STAMP__;
const stamp = () => STAMP_FILES.map((f) => fs.statSync(path.join(__dirname, f), { throwIfNoEntry: false })?.mtimeMs ?? null);
if (JSON.stringify(stamp()) !== JSON.stringify(STAMP)) {
  module.exports = {
    load: (id) => require('./' + id),
    codeCacheRejected: null,
    stale: true,
    main: (argv, io) => require('./cli/main.js').main(argv, io),
  };
  return;
}
const vm = require('node:vm');
/** @type {{ file: string, script: import('node:vm').Script, cached: boolean }[]} */
const scripts = [];
function compile(name) {
  const file = path.join(__dirname, name);
  let cachedData;
  try {
    cachedData = fs.readFileSync(file + '.cache');
  } catch {
    // no cache: compile as usual
  }
  const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file, cachedData });
  scripts.push({ file, script, cached: !!cachedData });
  return script.runInThisContext();
}
const core = { exports: {} };
// The bundle's import() of packages: this file's, resolved from dist/ like the modules' own.
compile('loop-core.js')(core.exports, require, core, path.join(__dirname, 'loop-core.js'), __dirname, (spec) => import(spec), () => compile('loop-rest.js')());
const { load } = core.exports;
module.exports = {
  load,
  /** Whether V8 refused a code cache (another Node version): that script was compiled instead. */
  get codeCacheRejected() {
    const cached = scripts.filter((s) => s.cached);
    return cached.length ? cached.some((s) => s.script.cachedDataRejected) : null;
  },
  /** The scripts this process compiled, e.g. ['loop-core.js'] for a resolve. */
  get scripts() {
    return scripts.map((s) => path.basename(s.file));
  },
  stale: false,
  main: (argv, io) => load('cli/main.js').main(argv, io),
};

// Build only: run the CLI on a tiny app, then write the code cache of what got compiled.
if (require.main === module && process.argv[2] === '--write-code-cache') {
  const app = process.argv[3];
  const io = { out() {}, err(l) { process.stderr.write(l + '\\n'); }, cwd: app };
  (async () => {
    // The resolve path first and alone, so that the core's cache holds its compiled code.
    const { resolveApp, graphJson } = load('resolve/resolve.js');
    graphJson(resolveApp(app, { platform: 'native' }));
    const { main } = module.exports;
    const runs = [['validate', app], ['resolve', app, '-o', path.join(app, 'native.json')], ['resolve', app, '--platform', 'web', '-o', path.join(app, 'web.json')], ['--help'], ['resolve', '--help']];
    for (const argv of runs) if ((await main(argv, io)) !== 0) throw new Error('warm-up: loop ' + argv.join(' ') + ' failed');
    for (const { file, script } of scripts) {
      fs.writeFileSync(file + '.cache.tmp', script.createCachedData());
      fs.renameSync(file + '.cache.tmp', file + '.cache');
    }
  })().catch((e) => {
    process.stderr.write(String(e && e.stack || e) + '\\n');
    process.exitCode = 1;
  });
}
`;

for (const e of ENTRIES) {
  const file = path.join(dist, e);
  if (!fs.existsSync(file)) throw new Error(`bundle-cli: ${file} is missing (run tsc and compile-schema.cjs first)`);
  add(e, file);
}

// The core: what the core entries reach without entering a NOT_CORE module.
const coreIds = new Set();
const visit = (id) => {
  if (coreIds.has(id) || NOT_CORE(id)) return;
  coreIds.add(id);
  for (const d of depsOf.get(id)) visit(d);
};
CORE_ENTRIES.forEach(visit);
const wrap = (id, { where, deps, code }) => {
  const out = {};
  for (const [spec, dep] of Object.entries(deps)) {
    if (!coreIds.has(id) || coreIds.has(dep)) out[spec] = dep;
    else if (LAZY_FROM_CORE.has(dep)) out[spec] = [dep];
    else throw new Error(`bundle-cli: core module ${id} imports ${dep}, which is outside the core; add it to the core or to LAZY_FROM_CORE`);
  }
  return `[${JSON.stringify(where)}, ${JSON.stringify(out)}, function (exports, require, module, __filename, __dirname, __loopImport) {\n${code}\n}]`;
};
const defsOf = (keep) => [...modules].filter(([id]) => keep(id)).map(([id, m]) => `${JSON.stringify(id)}: ${wrap(id, m)}`).join(',\n');

// The core is one function expression: dist/loop.cjs compiles it with its code cache and calls
// it with its own module objects and a function that compiles the rest (an expression too,
// returning the rest's module table). Ids are paths relative to dist/ (`~pkg` for inlined
// packages); `where` is the file each module came from (its __filename, relative to dist/).
const coreBody = `(function (exports, require, module, __filename, __dirname, nativeImport, compileRest) {
'use strict';
const path = require('node:path');
const Module = require('node:module');
const defs = {
${defsOf((id) => coreIds.has(id))}
};
let restLoaded = false;
/** The module table entry of \`id\`, compiling the rest of the bundle on the first miss. */
function def(id) {
  if (defs[id] === undefined && !restLoaded) {
    restLoaded = true;
    Object.assign(defs, compileRest());
  }
  return defs[id];
}
const loaded = Object.create(null);
// Built-in modules the CLI's commands import but a given run may never use (the HTTP server of
// serve, child processes of run/build, zlib of pack): each is loaded on first use of one of
// its exports. Only for tsc's CommonJS output, which reads imports as \`mod.name\` at the use
// site (\`__importStar\`/\`__importDefault\` return a module marked __esModule as is).
const LAZY = new Set(${JSON.stringify(LAZY_BUILTINS)});
const lazyBuiltins = Object.create(null);
function lazyBuiltin(name, nodeRequire) {
  if (lazyBuiltins[name]) return lazyBuiltins[name];
  let real;
  const get = () => (real ??= nodeRequire(name));
  return (lazyBuiltins[name] = new Proxy(Object.create(null), {
    get: (_t, k) => (k === '__esModule' ? true : k === 'default' ? get() : get()[k]),
    has: (_t, k) => k in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_t, k) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), k);
      return d && { ...d, configurable: true };
    },
    set: (_t, k, v) => Reflect.set(get(), k, v),
  }));
}
// A module of the rest imported by a core module: loaded on first use of one of its exports.
const lazyModules = Object.create(null);
function lazyModule(id) {
  if (lazyModules[id]) return lazyModules[id];
  const get = () => load(id);
  return (lazyModules[id] = new Proxy(Object.create(null), {
    get: (_t, k) => get()[k],
    has: (_t, k) => k in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_t, k) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), k);
      return d && { ...d, configurable: true };
    },
  }));
}
function load(id) {
  const done = loaded[id];
  if (done) return done.exports;
  const entry = def(id);
  if (entry === undefined) throw new Error(\`loop bundle: no module \${id}\`);
  const [where, deps, fn] = entry;
  const filename = path.join(__dirname, where);
  const m = (loaded[id] = { id: filename, filename, exports: {}, loaded: false });
  let real;
  const nodeRequire = () => (real ??= Module.createRequire(filename));
  const req = (spec) => {
    const dep = deps[spec];
    if (dep !== undefined) return typeof dep === 'string' ? load(dep) : lazyModule(dep[0]);
    if (path.isAbsolute(spec)) {
      const rel = path.relative(__dirname, spec).split(path.sep).join('/');
      if (!rel.startsWith('../') && def(rel)) return load(rel);
    }
    const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
    if (LAZY.has(bare)) return lazyBuiltin(bare, nodeRequire());
    return nodeRequire()(spec);
  };
  req.resolve = (spec, options) => nodeRequire().resolve(spec, options);
  req.cache = require.cache;
  req.main = require.main;
  const loopImport = (spec) => {
    const dep = typeof spec === 'string' ? deps[spec] : undefined;
    return dep !== undefined ? Promise.resolve().then(() => load(typeof dep === 'string' ? dep : dep[0])) : nativeImport(spec);
  };
  fn.call(m.exports, m.exports, req, m, filename, path.dirname(filename), loopImport);
  m.loaded = true;
  return m.exports;
}
module.exports = { load };
})`;
const restBody = `(function () {
'use strict';
return {
${defsOf((id) => !coreIds.has(id))}
};
})`;

// Each file is written aside and renamed into place: a `loop` running meanwhile sees the old or
// the new file, never half of one (an old cache next to a new script is rejected by V8).
const writeAtomic = (file, data) => {
  fs.writeFileSync(file + '.tmp', data);
  fs.renameSync(file + '.tmp', file);
};
const coreFile = path.join(dist, 'loop-core.js');
const restFile = path.join(dist, 'loop-rest.js');
writeAtomic(coreFile, coreBody);
writeAtomic(restFile, restBody);
// The single-script bundle of earlier builds.
for (const old of ['loop-bundle.js', 'loop-bundle.js.cache']) fs.rmSync(path.join(dist, old), { force: true });
const stampNow = STAMP_FILES.map((f) => fs.statSync(path.join(dist, f), { throwIfNoEntry: false })?.mtimeMs ?? null);
writeAtomic(path.join(dist, 'loop.cjs'), LOADER.replace('__STAMP__', JSON.stringify(stampNow)));

// Code cache: a warm-up run in a child process (resolve of a one-component app in process, then
// validate + resolve + the commands' help through the CLI), then V8's cached data of each script
// as it stands after that run.
const app = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-bundle-warmup-'));
try {
  fs.writeFileSync(path.join(app, 'c.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]));
  fs.writeFileSync(
    path.join(app, 'app.loop.toml'),
    '[app]\nname = "warm"\nentry = "c"\n\n[components.c]\nsource = "c.wasm"\nclass = "core"\nconfig = { a = "b" }\n\n' +
      '[plugins]\ndir = "plugins"\n\n[trust.partner]\nallow = ["loop:log"]\n\n[capabilities."loop:fs"]\nprovider = { native = "host-dir", web = "opfs" }\nroot = "data"\n',
  );
  const warm = spawnSync(process.execPath, [path.join(dist, 'loop.cjs'), '--write-code-cache', app], { encoding: 'utf8' });
  if (warm.status !== 0) throw new Error(`bundle-cli: the warm-up run failed:\n${warm.stdout}${warm.stderr}`);
} finally {
  fs.rmSync(app, { recursive: true, force: true });
}
const kb = (f) => `${(fs.statSync(f).size / 1024).toFixed(0)} KiB`;
console.log(
  `bundle-cli: ${coreIds.size} modules → dist/loop-core.js (${kb(coreFile)}, code cache ${kb(coreFile + '.cache')}), ` +
    `${modules.size - coreIds.size} → dist/loop-rest.js (${kb(restFile)}, code cache ${kb(restFile + '.cache')})`,
);
