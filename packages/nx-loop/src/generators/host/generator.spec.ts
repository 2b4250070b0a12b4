import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { isLoopError } from '../../errors';
import { copyExampleApp, dataServer, EXAMPLE_APP, EXAMPLE_COMPONENTS, EXPECTED_LINES, launch, requireChromium } from '../../../../runtime-browser/test/browser';
import { generateHostProject, HOST_CODES, hostGenerator } from './generator';

const REPO = path.resolve(__dirname, '../../../../..');
const tmp = (prefix: string) => fs.mkdtempSync(path.join(tmpdir(), prefix));

/** A tree with an app manifest at apps/hello. */
function treeWithApp() {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('apps/hello/app.loop.toml', '[app]\nname = "hello"\nentry = "x"\n');
  return tree;
}

async function loopError(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err) => err,
  );
  expect(isLoopError(e), String(e)).toBe(true);
  return e.diagnostics[0];
}

describe('host generator, browser-worker (in a virtual tree)', () => {
  it('writes the page, the worker host, build/serve scripts, README, project.json and its own test', async () => {
    const tree = treeWithApp();
    await hostGenerator(tree, { name: 'web', template: 'browser-worker', app: 'apps/hello' });
    const root = 'hosts/web';
    const files = [
      'README.md', 'index.html', 'loop.host.json', 'package.json', 'project.json', 'tsconfig.json',
      'src/main.ts', 'src/loop-host.ts', 'src/worker.ts', 'src/runtime-browser.d.ts', 'scripts/build.mjs', 'scripts/serve.mjs', 'test/web.spec.ts',
    ];
    for (const f of files) expect(tree.exists(`${root}/${f}`), f).toBe(true);
    expect(JSON.parse(tree.read(`${root}/loop.host.json`, 'utf-8')!)).toEqual({ template: 'browser-worker', app: '../../apps/hello', out: 'dist' });
    const project = JSON.parse(tree.read(`${root}/project.json`, 'utf-8')!);
    expect(project.name).toBe('web');
    expect(project.$schema).toBe('../../node_modules/nx/schemas/project-schema.json');
    expect(project.targets.build.options).toEqual({ command: 'node scripts/build.mjs', cwd: 'hosts/web' });
    expect(JSON.parse(tree.read(`${root}/package.json`, 'utf-8')!).dependencies).toEqual({ '@loop/runtime-browser': '0.1.0' });
    expect(tree.read(`${root}/src/worker.ts`, 'utf-8')).toContain("import '@loop/runtime-browser/worker';");
    expect(tree.read(`${root}/src/loop-host.ts`, 'utf-8')).toContain("import { startApp, type LoopEvent, type RunningApp } from '@loop/runtime-browser/bridge';");
    expect(tree.read(`${root}/src/main.ts`, 'utf-8')).toContain("new URL('./app/app.loop.json', document.baseURI)");
    const all = (dir: string): string[] => tree.children(dir).flatMap((c) => (tree.isFile(`${dir}/${c}`) ? [c] : all(`${dir}/${c}`)));
    expect(all(root).filter((f) => f.includes('__') || f.includes('<%'))).toEqual([]);
    for (const f of files) expect(tree.read(`${root}/${f}`, 'utf-8'), f).not.toContain('<%');
  });

  it('without --app: loop.host.json says "app": null and the next steps say to set it', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await hostGenerator(tree, { name: 'embed', directory: 'web/apps/embed' });
    expect(JSON.parse(tree.read('web/apps/embed/loop.host.json', 'utf-8')!).app).toBeNull();
    expect(JSON.parse(tree.read('web/apps/embed/project.json', 'utf-8')!).$schema).toBe('../../../node_modules/nx/schemas/project-schema.json');
  });
});

describe('host generator: bad input is a LoopError with code, field and hint', () => {
  it.each([
    [{ name: 'Web_Host' }, HOST_CODES.badName, 'name', '"Web_Host" is not a valid host name', 'lowercase kebab-case'],
    [{ name: '' }, HOST_CODES.badName, 'name', '"" is not a valid host name', 'e.g. "web-host"'],
    [{ name: 'web', template: 'electron' }, HOST_CODES.unknownTemplate, '--template', 'unknown host template "electron"', 'browser-worker, native-wasmtime'],
    [{ name: 'web', directory: '../elsewhere' }, HOST_CODES.outsideWorkspace, '--directory', 'is not a directory inside the workspace', 'relative to the workspace root'],
    [{ name: 'web', app: 'apps/none' }, HOST_CODES.notAnApp, '--app', 'apps/none has no app.loop.toml', 'directory of an app manifest'],
    [{ name: 'web', app: '../../outside' }, HOST_CODES.notAnApp, '--app', '../../outside has no app.loop.toml', 'directory of an app manifest'],
  ])('%j → %s', async (schema, code, field, message, hint) => {
    const d = await loopError(hostGenerator(treeWithApp(), schema));
    expect(d).toMatchObject({ code, field });
    expect(d.message).toContain(message);
    expect(d.hint).toContain(hint);
  });

  it('native-wasmtime without a loop-host crate (LOOP_HOST_CRATE pointing nowhere) is LOOP806 and writes nothing', async () => {
    const saved = process.env.LOOP_HOST_CRATE;
    process.env.LOOP_HOST_CRATE = '/nonexistent/loop-host';
    try {
      const tree = treeWithApp();
      const d = await loopError(hostGenerator(tree, { name: 'native', template: 'native-wasmtime', app: 'apps/hello' }));
      expect(d).toMatchObject({ code: HOST_CODES.templateNotAvailable, field: '--template' });
      expect(d.message).toBe('the native-wasmtime host template needs the loop-host crate, but LOOP_HOST_CRATE=/nonexistent/loop-host has no Cargo.toml');
      expect(d.hint).toContain('host-templates/wasmtime-rust/crates/loop-host');
      expect(tree.exists('hosts/native')).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.LOOP_HOST_CRATE;
      else process.env.LOOP_HOST_CRATE = saved;
    }
  });

  it('refuses an existing non-empty directory (and a file) and writes nothing', async () => {
    const tree = treeWithApp();
    tree.write('hosts/web/keep.txt', 'mine');
    const d = await loopError(hostGenerator(tree, { name: 'web', app: 'apps/hello' }));
    expect(d).toMatchObject({ code: HOST_CODES.directoryExists, field: '--directory', file: 'hosts/web', message: 'hosts/web already exists and is not empty' });
    expect(d.hint).toContain('never overwrites');
    expect(tree.children('hosts/web')).toEqual(['keep.txt']);
    tree.write('hosts/file', 'x');
    expect(await loopError(hostGenerator(tree, { name: 'file' }))).toMatchObject({ code: HOST_CODES.directoryExists, message: 'hosts/file already exists (a file)' });
  });
});

describe('loop host new / loop host scaffold (CLI, real file system)', () => {
  const run = async (cwd: string, ...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  let ws = '';
  beforeAll(() => {
    ws = tmp('loop-host-cli-');
    fs.mkdirSync(path.join(ws, 'apps/hello'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'apps/hello/app.loop.toml'), '[app]\nname = "hello"\nentry = "x"\n');
  });
  afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('writes the project under the current directory and prints what it created and what to run', async () => {
    const r = await run(ws, 'host', 'new', 'web', '--template', 'browser-worker', '--app', 'apps/hello');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('CREATE hosts/web/src/main.ts');
    expect(r.out).toContain("created browser-worker host 'web' in hosts/web");
    expect(r.out).toContain('nx run web:build');
    expect(JSON.parse(fs.readFileSync(path.join(ws, 'hosts/web/loop.host.json'), 'utf8')).app).toBe('../../apps/hello');
  });

  it('`loop host scaffold` is the same verb (the seed\'s name)', async () => {
    const r = await run(ws, 'host', 'scaffold', 'other', '-t', 'browser-worker', '--directory', 'web/other');
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(ws, 'web/other/src/loop-host.ts'))).toBe(true);
    expect((await run(ws, 'host', 'new', '--help')).out).toContain('Aliases: loop host scaffold');
  });

  it.each([
    [['web-2', '--template', 'electron'], 'error[LOOP802] --template: unknown host template "electron"\n  hint: use one of: browser-worker, native-wasmtime'],
    [['Web'], 'error[LOOP801] name: "Web" is not a valid host name\n  hint: use lowercase kebab-case starting with a letter, e.g. "web-host"'],
    [[], 'error[LOOP801] name: "" is not a valid host name'],
    [['web'], 'hosts/web: error[LOOP803] --directory: hosts/web already exists and is not empty'],
    [['x', '--app', 'apps'], 'apps: error[LOOP804] --app: apps has no app.loop.toml'],
  ])('loop host new %j exits 1: %s', async (args, message) => {
    const before = fs.readdirSync(path.join(ws, 'hosts')).sort();
    const r = await run(ws, 'host', 'new', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
    expect(r.err).toContain('hint: ');
    expect(fs.readdirSync(path.join(ws, 'hosts')).sort()).toEqual(before);
  });

  it('takes an app outside the current directory (absolute --app) and records it relative to the project', async () => {
    const elsewhere = tmp('loop-host-app-');
    fs.writeFileSync(path.join(elsewhere, 'app.loop.toml'), '[app]\nname = "far"\nentry = "x"\n');
    const r = await run(ws, 'host', 'new', 'far', '--app', elsewhere);
    fs.rmSync(elsewhere, { recursive: true, force: true });
    expect(r.err).toBe('');
    const recorded = JSON.parse(fs.readFileSync(path.join(ws, 'hosts/far/loop.host.json'), 'utf8')).app;
    expect(path.resolve(ws, 'hosts/far', recorded)).toBe(elsewhere);
  });

  it('a project generated without --app says how to set it when built', async () => {
    expect((await run(ws, 'host', 'new', 'no-app')).out).toContain('set the app it runs:  edit hosts/no-app/loop.host.json');
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: path.join(ws, 'hosts/no-app'), encoding: 'utf8' });
    expect(b.status).toBe(1);
    expect(b.stderr).toBe(`error: ${path.join(ws, 'hosts/no-app/loop.host.json')}: "app" is not set; set it to the directory of your app.loop.toml (relative to this project)\n`);
  });

  it('generateHostProject lists the files it wrote', async () => {
    const r = await generateHostProject(ws, { name: 'listed', app: 'apps/hello' });
    expect(r.directory).toBe('hosts/listed');
    expect(r.files).toContain('hosts/listed/test/listed.spec.ts');
    expect(r.files.every((f) => fs.existsSync(path.join(ws, f)))).toBe(true);
  });
});

// The real thing: `nx g @loop/nx:host` in a fresh workspace (linking this repo's node_modules)
// pointed at a copy of the example app, built with the generated scripts (loop pack web +
// rolldown), served by the generated server and opened in headless Chromium; then the generated
// project's own test. Needs the plugin built (`npm run build`) and the example components built
// (`nx run-many -t build-component`).
const LONG = 300_000;

describe('nx g @loop/nx:host --template browser-worker: the generated host runs the example app in Chromium', () => {
  let ws = '';
  let data: Awaited<ReturnType<typeof dataServer>>;
  const cleanup: (() => unknown)[] = [];
  const env = { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };

  beforeAll(async () => {
    requireChromium();
    const missing = EXAMPLE_COMPONENTS.filter((c) => !fs.existsSync(path.join(REPO, c)));
    if (missing.length) throw new Error(`example components are not built: ${missing.join(', ')}; run \`node_modules/.bin/nx run-many -t build-component\``);
    data = await dataServer(path.join(EXAMPLE_APP, 'www'));
    cleanup.push(() => data.close());
    ws = tmp('loop-host-e2e-');
    cleanup.push(() => fs.rmSync(ws, { recursive: true, force: true }));
    fs.writeFileSync(path.join(ws, 'package.json'), JSON.stringify({ name: 'host-e2e', private: true }));
    fs.writeFileSync(path.join(ws, 'nx.json'), fs.readFileSync(path.join(REPO, 'nx.json')));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, 'node_modules'));
    // The example app with its http URL pointed at the local data server.
    const app = copyExampleApp(data.origin);
    fs.cpSync(app, path.join(ws, 'apps/hello'), { recursive: true });
    fs.rmSync(app, { recursive: true, force: true });
  }, LONG);
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('generates, builds, serves and shows the app\'s log lines in the page', { timeout: LONG }, async () => {
    const g = spawnSync(path.join(ws, 'node_modules/.bin/nx'), ['g', '@loop/nx:host', 'web', '--template', 'browser-worker', '--app', 'apps/hello', '--no-interactive'], {
      cwd: ws,
      env,
      encoding: 'utf8',
    });
    expect(g.status, g.stdout + g.stderr).toBe(0);
    expect(g.stdout).toContain('CREATE hosts/web/src/main.ts');
    expect(g.stdout).toContain("created browser-worker host 'web' in hosts/web");

    // Its TypeScript type-checks as generated.
    const tsc = spawnSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'hosts/web/tsconfig.json'], { cwd: ws, env, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);

    // The Nx target the generator wrote (project.json): node scripts/build.mjs in the project.
    const b = spawnSync(path.join(ws, 'node_modules/.bin/nx'), ['run', 'web:build', '--skip-nx-cache'], { cwd: ws, env, encoding: 'utf8' });
    expect(b.status, b.stdout + b.stderr).toBe(0);
    expect(b.stdout).toContain('packed hello-app for the web');
    const dist = path.join(ws, 'hosts/web/dist');
    for (const f of ['index.html', 'main.js', 'loop-worker.js', 'app/app.loop.json', 'app/loop.site.json', 'app/plugins/index.json']) {
      expect(fs.existsSync(path.join(dist, f)), f).toBe(true);
    }
    expect(fs.existsSync(path.join(dist, 'app/loop-page.js'))).toBe(false);

    const { serve } = await import(pathToFileURL(path.join(ws, 'hosts/web/scripts/serve.mjs')).href);
    const server = await serve(dist, { port: 0 });
    cleanup.push(() => server.close());
    const browser = await launch();
    cleanup.push(() => browser.close());
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => ['done', 'failed'].includes(document.documentElement.dataset.loopStatus ?? ''), null, { timeout: LONG });
    const lines = (sel: string) => page.evaluate((s) => [...document.querySelectorAll(`${s} > div`)].map((d) => d.textContent), sel);
    expect(await lines('#loop-events')).toEqual([]);
    expect(await lines('#loop-log')).toEqual(EXPECTED_LINES);
    expect(await page.textContent('#loop-status')).toBe('done');
    // The running app is the bridge's handle: plugins answer from the page.
    expect(await page.evaluate(() => (window as any).loop.callPlugin('upper', 'hi'))).toMatchObject({ ok: true, value: 'HI' });
  });

  it('the generated project\'s own test passes', { timeout: LONG }, () => {
    expect(fs.existsSync(path.join(ws, 'hosts/web/test/web.spec.ts')), 'the previous test generates the project').toBe(true);
    const t = spawnSync(process.execPath, [path.join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', 'hosts/web'], { cwd: ws, env, encoding: 'utf8' });
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toMatch(/Tests\s+.*1 passed/);
  });
});
