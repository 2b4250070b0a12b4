/**
 * The browser host's trust gate and providers, in Node (the same modules the worker runs).
 * Every provider error must be a WIT `err` payload (a thrown object with `payload`), never an
 * `Error`, which would trap the guest.
 */
import { describe, expect, test } from 'vitest';
// @ts-ignore plain JS modules
import { refusal, capabilityOf } from '../src/trust.js';
// @ts-ignore
import { createFiles, memoryFiles } from '../src/providers/fs.js';
// @ts-ignore
import { createHttp } from '../src/providers/http.js';
// @ts-ignore
import { createKv, MAX_VALUE_BYTES } from '../src/providers/kv.js';
// @ts-ignore
import { guard } from '../src/providers/errors.js';
// @ts-ignore
import { PluginRegistry } from '../src/providers/plugin.js';
// @ts-ignore
import { createStubs } from '../src/providers/stubs.js';
// @ts-ignore
import { ASYNC_FUNCTIONS } from '../src/async-imports.js';
import { ASYNC_FUNCTIONS as PACKER_ASYNC } from '../../nx-loop/src/pack-web/transpile';

/** Calls `f` and returns the WIT err payload it threw (fails if it returned or threw an Error). */
async function errOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    expect(e).not.toBeInstanceOf(Error);
    expect(e).toHaveProperty('payload');
    return (e as { payload: unknown }).payload;
  }
  throw new Error('expected an err');
}

describe('trust gate', () => {
  const untrusted = { name: 'painter', trust: 'untrusted', allow: ['loop:app', 'loop:log', 'loop:kv'] };
  test('refuses an import of a package the trust class does not allow, in the native wording', () => {
    expect(refusal(untrusted, ['loop:log/logger', 'loop:dom/document@0.1.0'], new Set())).toBe(
      "component 'painter' imports 'loop:dom/document' but trust class 'untrusted' does not allow 'loop:dom'",
    );
  });
  test('maps WASI packages onto capabilities; wasi:cli/io and loop:app are always allowed', () => {
    expect(capabilityOf('wasi:filesystem/types@0.2.0')).toBe('loop:fs');
    expect(capabilityOf('wasi:cli/stdout@0.2.0')).toBeNull();
    expect(capabilityOf('loop:app/config')).toBeNull();
    expect(refusal(untrusted, ['wasi:cli/stdout@0.2.0', 'loop:app/config', 'loop:kv/store'], new Set())).toBeNull();
    expect(refusal(untrusted, ['wasi:http/outgoing-handler@0.2.0'], new Set())).toBe(
      "component 'painter' imports 'wasi:http/outgoing-handler' but trust class 'untrusted' does not allow 'loop:http'",
    );
  });
  test('interfaces of other packages must be exported by a component of the app', () => {
    expect(refusal(untrusted, ['example:hello/formatter'], new Set(['example:hello/formatter']))).toBeNull();
    expect(refusal(untrusted, ['example:hello/formatter'], new Set())).toBe(
      "component 'painter' imports 'example:hello/formatter', which no provider or component of this app exports",
    );
  });
  test('the packer and the runtime agree on which loop:* functions are asynchronous', () => {
    expect(ASYNC_FUNCTIONS).toEqual(PACKER_ASYNC);
  });
});

describe('providers answer errors as WIT err payloads', () => {
  test('guard turns an unexpected Error into the err payload', async () => {
    const f = guard(() => {
      throw new TypeError('boom');
    }, (m: string) => ({ tag: 'io', val: m }));
    expect(await errOf(f)).toEqual({ tag: 'io', val: 'boom' });
    const g = guard(async () => {
      throw new Error('later');
    }, (m: string) => m);
    expect(await errOf(g)).toBe('later');
  });

  test('fs (memory): read/write/list/remove/exists, not-found, and no escape from the root', async () => {
    const fs = memoryFiles().impl;
    await fs.write('a/b.txt', new TextEncoder().encode('hi'));
    expect(new TextDecoder().decode(await fs.read('./a/b.txt'))).toBe('hi');
    expect(await fs.list('')).toEqual(['a']);
    expect(await fs.list('a')).toEqual(['b.txt']);
    expect(await fs.exists('a')).toBe(true);
    expect(await errOf(() => fs.read('missing.txt'))).toEqual({ tag: 'not-found', val: 'missing.txt' });
    expect(await errOf(() => fs.read('../secret'))).toEqual({ tag: 'denied', val: "../secret: '..' leaves the component's root" });
    expect(await fs.exists('../secret')).toBe(false);
    await fs.remove('a/b.txt');
    expect(await errOf(() => fs.remove('a/b.txt'))).toEqual({ tag: 'not-found', val: 'a/b.txt' });
  });

  test('fs (opfs) falls back to memory where OPFS is missing and seeds files without clobbering', async () => {
    const events: any[] = [];
    const seed = { files: ['greeting.txt'], load: async () => new TextEncoder().encode('seeded') };
    const { backend, imports } = await createFiles({ provider: 'opfs', app: 'demo', seed, emit: (e: unknown) => events.push(e) });
    expect(backend).toBe('memory');
    expect(events[0]).toMatchObject({ type: 'event', name: 'fs-fallback' });
    const fs = imports['loop:fs/files'];
    expect(new TextDecoder().decode(await fs.read('greeting.txt'))).toBe('seeded');
    await expect(createFiles({ provider: 'host-dir', app: 'demo' })).rejects.toThrow("unknown loop:fs provider 'host-dir' for the web");
  });

  test('http: only allow-listed origins; invalid URLs and network failures are errs', async () => {
    const seen: string[] = [];
    const fetchImpl = async (url: string) => {
      seen.push(url);
      if (url.includes('down')) throw new TypeError('Failed to fetch');
      return new Response('ok', { status: 201, headers: { 'x-a': '1' } });
    };
    const http = createHttp({ allow: ['http://127.0.0.1:8787', 'https://down.example'], fetchImpl })['loop:http/client'];
    const req = (url: string) => ({ method: 'GET', url, headers: [], body: undefined });
    const res = await http.fetch(req('http://127.0.0.1:8787/hello.txt'));
    expect(res.status).toBe(201);
    expect(new TextDecoder().decode(res.body)).toBe('ok');
    expect(res.headers).toContainEqual(['x-a', '1']);
    expect(await errOf(() => http.fetch(req('http://127.0.0.1:9999/x')))).toEqual({ tag: 'denied', val: 'http://127.0.0.1:9999 is not in the loop:http allow list' });
    expect(await errOf(() => http.fetch(req('not a url')))).toEqual({ tag: 'invalid-url', val: 'not a url' });
    expect(await errOf(() => http.fetch(req('https://down.example/x')))).toEqual({ tag: 'network', val: 'https://down.example/x: Failed to fetch' });
    expect(seen).toEqual(['http://127.0.0.1:8787/hello.txt', 'https://down.example/x']);
  });

  test('kv (memory): get/set/delete/keys and too-large', async () => {
    const { imports } = await createKv({ provider: 'memory', app: 'demo' });
    const kv = imports['loop:kv/store'];
    kv.set('a:1', new Uint8Array([1]));
    kv.set('a:2', new Uint8Array([2]));
    kv.set('b', new Uint8Array([3]));
    expect(kv.get('a:2')).toEqual(new Uint8Array([2]));
    expect(kv.get('zz')).toBeUndefined();
    expect(kv.keys('a:')).toEqual(['a:1', 'a:2']);
    kv.delete('a:1');
    expect(kv.keys('')).toEqual(['a:2', 'b']);
    expect(await errOf(() => kv.set('big', new Uint8Array(MAX_VALUE_BYTES + 1)))).toEqual({ tag: 'too-large', val: `value of ${MAX_VALUE_BYTES + 1} bytes for 'big' (limit ${MAX_VALUE_BYTES})` });
    await expect(createKv({ provider: 'file', app: 'demo' })).rejects.toThrow("unknown loop:kv provider 'file' for the web");
  });

  test('ui/gfx/input/window stubs answer unsupported', async () => {
    const stubs = createStubs(['loop:ui', 'loop:gfx']);
    expect(Object.keys(stubs)).toEqual(['loop:ui/view', 'loop:gfx/canvas']);
    expect(() => stubs['loop:ui/view'].render({ nodes: [], root: 0 })).toThrow(expect.objectContaining({ tag: 'unsupported' }));
  });

  test('plugin registry: list, call, plugin err, missing plugin, trapped plugin', async () => {
    const r = new PluginRegistry();
    const info = { name: 'x', version: '1', description: 'd' };
    r.set({ name: 'echo', source: 'v1', info, handle: async (s: string) => `echo:${s}` });
    r.set({ name: 'picky', source: 'v1', info, handle: () => Promise.reject(Object.assign(new Error('err'), { payload: 'bad input' })) });
    r.set({ name: 'crash', source: 'v1', info, handle: () => Promise.reject(new WebAssembly.RuntimeError('unreachable')) });
    const host = r.imports()['loop:plugin/host'];
    expect(host.list().map((p: any) => p.name)).toEqual(['crash', 'echo', 'picky']);
    expect(await host.call('echo', 'a')).toBe('echo:a');
    expect(await errOf(() => host.call('picky', 'a'))).toBe('bad input');
    expect(await errOf(() => host.call('nope', 'a'))).toBe("no plugin named 'nope'");
    expect(await errOf(() => host.call('crash', 'a'))).toBe("plugin 'crash' trapped: unreachable");
    expect(await errOf(() => host.call('crash', 'a'))).toBe("plugin 'crash' is unavailable: unreachable");
  });
});
