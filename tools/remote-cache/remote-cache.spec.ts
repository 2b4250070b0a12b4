/**
 * End to end: a team's remote cache. nginx (tools/remote-cache) on 127.0.0.1 with a bearer
 * token; clone A builds and resolves every example app and fills the cache; clone B (its own
 * local cache, no jco/componentize-js installed, cargo replaced by a tripwire) runs the same
 * targets and must get every task from the remote cache, byte for byte.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { cloneWorkspace, nxEnv } from '../scale/workspace.mjs';

const here = __dirname;
const hasNginx = fs.existsSync('/usr/sbin/nginx');
const TOKEN = 'team-token-1234';
const TARGETS = [
  ['run-many', '-t', 'build-component', 'resolve'],
  ['run-many', '-t', 'resolve', '-c', 'web'],
];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every file Nx declared as a task output, with its hash. */
function artifacts(ws: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(ws, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(path.join(ws, 'dist'));
  for (const c of fs.readdirSync(path.join(ws, 'examples/components'))) walk(path.join(ws, 'examples/components', c, 'dist'));
  return out;
}

describe.skipIf(!hasNginx)('Nx remote cache on the nginx server from tools/remote-cache', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-remote-cache-'));
  fs.chmodSync(tmp, 0o755); // nginx's workers (user nobody) must reach the store inside
  const serverDir = path.join(tmp, 'server');
  let url = '';
  let a = '';
  let b = '';
  const nx = (ws: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(path.join(ws, 'node_modules/.bin/nx'), [...args, '--outputStyle=static'], {
      cwd: ws,
      encoding: 'utf8',
      env: nxEnv({ NX_CACHE_DIRECTORY: path.join(ws, '.nx/cache'), NX_WORKSPACE_DATA_DIRECTORY: path.join(ws, '.nx/workspace-data'), NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: TOKEN, ...env }),
    });

  beforeAll(async () => {
    url = execFileSync(path.join(here, 'start.sh'), ['--dir', serverDir, '--token', TOKEN, '--listen', `127.0.0.1:${await freePort()}`], { encoding: 'utf8' }).trim();
    a = cloneWorkspace(path.join(tmp, 'a'));
  });
  afterAll(() => {
    spawnSync(path.join(here, 'stop.sh'), ['--dir', serverDir]);
  });

  it('refuses a wrong token, and Nx says so', () => {
    const r = nx(a, ['run', 'hello-app:validate'], { NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: 'wrong' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('missing or wrong bearer token for the Loop remote cache');
  });

  it('reports a server that is down, and --skip-remote-cache works without it', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const r = nx(a, ['run', 'hello-app:validate'], { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: down });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Failed to send request/);
    const skip = nx(a, ['run', 'hello-app:validate', '--skip-remote-cache'], { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: down });
    expect(skip.stdout + skip.stderr).toContain('Remote Cache Disabled');
    expect(skip.status).toBe(0);
  });

  it('serves every task of a fresh clone from the remote cache, byte-identical, without running a toolchain', () => {
    for (const args of TARGETS) {
      const r = nx(a, args);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
    const fromA = artifacts(a);
    expect(Object.keys(fromA).some((f) => f.endsWith('greeter.wasm'))).toBe(true);
    expect(Object.keys(fromA).some((f) => f.endsWith('web/app.loop.json'))).toBe(true);

    // B: no jco / componentize-js at all, and a cargo that records any call and fails.
    b = cloneWorkspace(path.join(tmp, 'b'), { without: ['@bytecodealliance/jco', '@bytecodealliance/componentize-js'] });
    const tripwire = path.join(tmp, 'cargo-was-called');
    const fakeCargo = path.join(tmp, 'fake-cargo');
    fs.writeFileSync(fakeCargo, `#!/bin/sh\necho "$@" >> ${tripwire}\nexit 1\n`, { mode: 0o755 });
    for (const args of TARGETS) {
      const r = nx(b, args, { LOOP_GUEST_CARGO: fakeCargo, CARGO: fakeCargo });
      const out = r.stdout + r.stderr;
      expect(r.status, out).toBe(0);
      const ran = [...out.matchAll(/^> nx run (\S+)(.*)$/gm)];
      expect(ran.length).toBeGreaterThan(0);
      for (const [line, , tail] of ran) expect(tail, line).toContain('[remote cache]');
    }
    expect(fs.existsSync(tripwire)).toBe(false);
    expect(artifacts(b)).toEqual(fromA);
  });
});
