import { LoopError } from '../../errors';
import { GROUPS, packNative, summaryLines, TARGETS, throwProblems } from '../../pack-native';
import type { Command } from '../command';

export const packNativeCommand: Command = {
  name: 'pack native',
  summary: 'Pack an app into per-OS executables (single file) and archived dir bundles',
  usage: 'loop pack native [app-dir | app.loop.toml] [--manifest <app.loop.toml>] [--target <linux,windows,macos | linux-x64,...>] [-o <dir>] [--profile <name>] [--set <key=value>]... [--release]',
  details:
    'Resolves the app for native, checks component signatures, and for each target calls the\n' +
    'dev host (`loop-host pack`) with the prebuilt runtime host of that target\n' +
    '(${LOOP_CACHE_DIR:-~/.cache/loop}/hosts/<target>/loop-host[.exe], built by\n' +
    '`bash tools/setup/native-hosts.sh <target>`). Writes, under dist/<app dir>/native (or -o):\n' +
    '  <target>/<app>[.exe]                 one executable: host + payload (runs without Loop)\n' +
    '  <app>-<target>.tar.gz | .zip         the dir bundle (zip for Windows), + .sha256\n' +
    `Targets: ${TARGETS.map((t) => t.name).join(', ')}; groups: ${Object.entries(GROUPS).map(([g, ts]) => `${g} = ${ts.join(',')}`).join('; ')}.\n` +
    'Default: this machine\'s target. A target that cannot be packed (no runtime host; macOS on\n' +
    'Linux) does not stop the others; its error is printed after the summary (exit 1).\n\n' +
    'An app whose manifest names its own host ([targets] native-host) is packed by building that\n' +
    'host with its scripts/build.mjs (the app compiled in; no payload) for this machine\'s target\n' +
    'only, with cargo\'s dev profile (the Wasmtime build already cached) unless --release (whose\n' +
    'first build compiles Wasmtime again, ~20+ min on 2 cores); its bundle is the executable +\n' +
    'plugins/ + SHA256SUMS. Other targets are an error naming what a cross build would need.\n\n' +
    'Example: loop pack native examples/apps/hello --target linux,windows',
  options: {
    manifest: { type: 'string', short: 'm', description: 'the app manifest (instead of the positional app dir)', value: '<app.loop.toml>' },
    target: { type: 'string', short: 't', multiple: true, description: 'groups or targets, comma-separated (default: this machine)', value: '<list>' },
    out: { type: 'string', short: 'o', description: 'output directory (default dist/<app dir>/native)', value: '<dir>' },
    profile: { type: 'string', description: 'apply [profiles.<name>]', value: '<name>' },
    set: { type: 'string', multiple: true, description: 'override a component field, e.g. components.formatter.source=../fancy', value: '<key=value>' },
    release: { type: 'boolean', description: 'an app with its own host ([targets] native-host): build it in release (slow the first time)' },
  },
  run({ positionals, values, cwd, out, err }) {
    if (positionals.length > 1 || (positionals.length && values.manifest)) {
      throw new LoopError({ code: 'LOOP012', message: `loop pack native takes one app, got ${[...positionals, values.manifest].filter(Boolean).join(' ')}`, hint: 'pass the app dir or --manifest <app.loop.toml>, not both' });
    }
    const result = packNative((values.manifest as string | undefined) ?? positionals[0] ?? '.', {
      targets: values.target as string[] | undefined,
      out: values.out as string | undefined,
      profile: values.profile as string | undefined,
      set: (values.set as string[] | undefined) ?? [],
      release: values.release === true,
      cwd,
    });
    // Signature lines only when some trust class lists keys (else every line says "not checked").
    if (result.signatures.some((l) => l.includes('valid signature'))) for (const line of result.signatures) err(line);
    out(`packed ${result.graph.app.name} for ${result.packed.length ? result.packed.map((t) => t.target).join(', ') : 'no target'}:`);
    for (const line of summaryLines(result, cwd)) out(`  ${line}`);
    throwProblems(result);
    return 0;
  },
};
