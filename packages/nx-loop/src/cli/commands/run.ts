import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../../errors';
import { HostError, runHost, type HostProfile } from '../../host';
import { nativeHostOfApp, runCustomHost, type CustomHost } from '../../host/custom';
import { manifestPath } from '../../manifest/load';
import { graphJson, resolveApp } from '../../resolve/resolve';
import type { Command } from '../command';

/**
 * `loop run` — resolve the app for native (or take a component / graph as it is) and run it in
 * the native reference host, built with cargo when its sources changed. stdio, arguments and
 * the exit status pass through unchanged; host errors reach the user as the host prints them.
 */
export const run: Command = {
  name: 'run',
  summary: 'Run an app or a component in the native reference host (Wasmtime)',
  usage:
    'loop run [app-dir | app.loop.toml | app.loop.json | component.wasm|.wat] [--dir HOST[::GUEST]]... [--env K[=V]]... [--profile <name>] [--set <key=value>]... [-- ARGS...]',
  details:
    'An app is resolved for native into <app dir>/.loop/native/app.loop.json first; a component\n' +
    'runs like `wasmtime run` (a WASI 0.2 wasi:cli/run command gets ARGS, stdin, stdout, stderr,\n' +
    'the environment given with --env and the directories given with --dir; its exit code is\n' +
    "loop's). The host binary is ${LOOP_CACHE_DIR:-~/.cache/loop}/target/<debug|release>/loop-host,\n" +
    'built on demand from host-templates/wasmtime-rust (LOOP_HOST_BIN overrides it).\n' +
    'An app whose manifest names a custom host ([targets] native-host) runs in that host instead:\n' +
    'built with its scripts/build.mjs when it or the app changed, run with LOOP_APP_DIR=<app dir>.\n\n' +
    'Examples:\n  loop run examples/apps/hello\n  loop run examples/apps/hello --profile fancy\n  loop run hello.wasm --dir data::/data --env NAME=x -- --read /data/a.txt',
  options: {
    dir: { type: 'string', multiple: true, description: 'give a WASI command a host directory (as guest path GUEST)', value: 'HOST[::GUEST]' },
    env: { type: 'string', multiple: true, description: 'set an environment variable for a WASI command', value: 'K[=V]' },
    profile: { type: 'string', description: 'apply [profiles.<name>] when resolving an app', value: '<name>' },
    set: { type: 'string', multiple: true, description: 'override a component field when resolving an app', value: '<key=value>' },
    release: { type: 'boolean', description: 'use (and build) the release host instead of the dev one' },
  },
  run({ positionals, values, cwd }) {
    const dash = positionals.indexOf('--');
    const own = dash >= 0 ? positionals.slice(0, dash) : positionals;
    const args = dash >= 0 ? positionals.slice(dash + 1) : [];
    if (own.length > 1) {
      throw new LoopError({ code: 'LOOP012', message: `loop run takes one app or component, got ${own.join(' ')}`, hint: 'put the arguments for the component after --, e.g. loop run hello.wasm -- a b' });
    }
    const input = own[0] ?? '.';
    const abs = path.resolve(cwd, input);
    const profile = values.profile as string | undefined;
    const sets = (values.set as string[] | undefined) ?? [];
    let target: string;
    let custom: { host: CustomHost; appDir: string } | null = null;
    if (/\.(wasm|wat|json)$/.test(abs)) {
      if (!fs.existsSync(abs)) throw new LoopError({ code: 'LOOP020', file: input, message: 'no such file', hint: 'pass an app directory, its app.loop.toml, a resolved app.loop.json or a component file' });
      if (profile || sets.length) throw new LoopError({ code: 'LOOP012', field: profile ? '--profile' : '--set', message: 'applies to apps (app.loop.toml), not to a component or a resolved graph', hint: 'run the app directory instead' });
      target = abs;
    } else {
      const manifest = manifestPath(input, cwd);
      const out = path.join(path.dirname(manifest), '.loop', 'native', 'app.loop.json');
      const graph = resolveApp(manifest, { platform: 'native', profile, set: sets, outDir: path.dirname(out), cwd });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, graphJson(graph));
      target = out;
      const host = nativeHostOfApp(manifest);
      if (host) custom = { host, appDir: path.dirname(manifest) };
    }
    const hostProfile: HostProfile = values.release ? 'release' : ((process.env.LOOP_HOST_PROFILE as HostProfile | undefined) ?? 'debug');
    if (custom) {
      if (values.dir || values.env) {
        throw new LoopError({ code: 'LOOP012', field: values.dir ? '--dir' : '--env', message: `applies to components run in loop-host, not to an app with a custom native host ([targets] native-host)`, hint: 'give the app what it needs in its manifest ([capabilities."loop:fs"] root, component config)' });
      }
      return runCustomHost(custom.host, target, custom.appDir, args, { profile: hostProfile });
    }
    const hostArgs = [
      ...((values.dir as string[] | undefined) ?? []).flatMap((d) => ['--dir', d]),
      ...((values.env as string[] | undefined) ?? []).flatMap((e) => ['--env', e]),
    ];
    try {
      return runHost(target, args, { profile: hostProfile, hostArgs, stdio: ['ignore', process.stderr, 'inherit'] });
    } catch (e) {
      if (e instanceof HostError) {
        throw new LoopError({ code: 'LOOP021', message: e.message, hint: 'run `bash tools/setup/install.sh` (it builds the host with cargo), or set LOOP_HOST_BIN to a built loop-host' });
      }
      throw e;
    }
  },
};
