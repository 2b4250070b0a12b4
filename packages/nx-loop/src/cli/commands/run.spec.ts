/**
 * `loop run` end to end: the real CLI entry point, the real native host (built by set-up into
 * $LOOP_CACHE_DIR/target) and the real example components.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyExampleApp, dataServer, EXAMPLE_APP, EXPECTED_LINES, GREETING, REPO, runLoop } from '../../../../runtime-browser/test/browser';

const hello = path.join(REPO, 'examples/components/hello-rust/dist/hello.wasm');
const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-run-'));
const loop = (args: string[], input?: string) => runLoop(args, { cwd: elsewhere, input });


let data: Awaited<ReturnType<typeof dataServer>>;
beforeAll(async () => {
  data = await dataServer(path.join(EXAMPLE_APP, 'www'));
});
afterAll(() => data?.close());

describe('loop run (native host)', () => {
  it('runs the example app: reads its data dir, fetches from a local server, formats, calls plugins', async () => {
    const app = copyExampleApp(data.origin);
    const r = await loop(['run', app]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(EXPECTED_LINES);
    expect(fs.existsSync(path.join(app, '.loop/native/app.loop.json'))).toBe(true);
  });

  it('applies a profile: the fancy formatter replaces the basic one', async () => {
    const r = await loop(['run', copyExampleApp(data.origin), '--profile', 'fancy']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`[greeter] info: formatted: ✨ ${GREETING} ✨`);
  });

  it('passes arguments, environment, stdin, stdout, stderr and the exit status of a WASI command through', async () => {
    const ok = await loop(['run', hello, '--env', 'NAME=loop', '--', '--env', 'NAME', '--stdin', 'a', 'b'], 'piped input\n');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('args: ["--env", "NAME", "--stdin", "a", "b"]');
    expect(ok.stdout).toContain('env NAME=loop');
    expect(ok.stdout).toContain('stdin: 12 bytes: piped input');
    expect(ok.stderr).toContain('hello-rust: this line goes to stderr');
    // WASI 0.2 commands exit with success or failure (1), as under `wasmtime run`.
    expect((await loop(['run', hello, '--', '--exit', '3'])).status).toBe(1);
  });

  it('says what is wrong with its input, without running the host', async () => {
    const missing = await loop(['run', 'nope.wasm']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.wasm: error[LOOP020] no such file');
    const profiled = await loop(['run', hello, '--profile', 'fancy']);
    expect(profiled.stderr).toContain('error[LOOP012] --profile: applies to apps (app.loop.toml)');
    const unbuilt = await loop(['run', path.join(REPO, 'spec/manifests/resolve-errors/component-not-built')]);
    expect(unbuilt.stderr).toContain('error[LOOP303]');
  });

  it('reports a host error unchanged: a component that is not a component', async () => {
    const bad = path.join(elsewhere, 'garbage.wasm');
    fs.writeFileSync(bad, 'definitely not wasm');
    const r = await loop(['run', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/garbage\.wasm/);
  });
});
