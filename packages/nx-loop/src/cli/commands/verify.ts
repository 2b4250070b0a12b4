import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../../errors';
import { readManifest } from '../../manifest/load';
import type { Manifest } from '../../manifest/types';
import { loadPublicKey, type PublicKey } from '../../signing/keys';
import { verifyWasm } from '../../signing/sign';
import { checkGraphSignatures, keyProblems, trustKeys, type GraphForSignatures } from '../../signing/trust';
import type { Command } from '../command';
import { readInput } from './sign';

export const verify: Command = {
  name: 'verify',
  summary: 'Verify a component\'s signature against public keys or an app manifest\'s trust keys',
  usage: 'loop verify <component.wasm> (--key <ed25519:…|public-key-file>... | --keys-from <app.loop.toml> [--class <trust class>]) [--detached <sig-file>]\n       loop verify --graph <app.loop.json>',
  details:
    'Succeeds (exit 0) when the component carries a valid signature by one of the keys over\n' +
    'all of its content, embedded or detached (Signatures.md / wasmsign2 format). A single\n' +
    'changed byte anywhere it covers — an embedded core module\'s code included — fails with\n' +
    'LOOP506. --keys-from takes the keys of every trust class of the manifest that lists\n' +
    'some (or of --class only) and reports which class the signer belongs to.\n\n' +
    'Examples: loop verify dist/greeter.wasm --key ed25519:3q2+7w…\n' +
    '          loop verify dist/greeter.wasm --keys-from examples/apps/hello --class trusted\n' +
    '          loop verify --graph dist/hello/native/app.loop.json',
  options: {
    key: { type: 'string', short: 'k', multiple: true, description: 'a public key: `ed25519:<base64>` or a key file (.pub, wasmsign2, PEM)', value: '<key>' },
    'keys-from': { type: 'string', description: 'use the `[trust.<class>] keys` of this manifest (file or app dir)', value: '<app.loop.toml>' },
    class: { type: 'string', description: 'with --keys-from: only this trust class\'s keys', value: '<name>' },
    detached: { type: 'string', description: 'verify this detached signature file instead of an embedded one', value: '<file>' },
    graph: { type: 'string', description: 'check every component and plugin of a resolved graph against its trust class keys', value: '<app.loop.json>' },
  },
  run({ positionals, values, cwd, out }) {
    if (values.graph) return verifyGraph(values.graph as string, positionals, cwd, out);
    const input = positionals[0];
    if (!input || positionals.length > 1) {
      throw new LoopError({ code: 'LOOP012', message: input ? `loop verify takes one component, got ${positionals.length}` : 'missing the component to verify', hint: 'usage: loop verify <component.wasm> --key <public key>' });
    }
    const keySpecs = (values.key as string[] | undefined) ?? [];
    const from = values['keys-from'] as string | undefined;
    if (!keySpecs.length && !from) {
      throw new LoopError({ code: 'LOOP012', field: '--key', message: 'no public key given', hint: 'pass --key ed25519:<base64> (as `loop keygen` printed it) or --keys-from <app.loop.toml>' });
    }
    if (values.class && !from) throw new LoopError({ code: 'LOOP012', field: '--class', message: '--class needs --keys-from <app.loop.toml>', hint: 'e.g. loop verify x.wasm --keys-from app.loop.toml --class trusted' });
    const keys: PublicKey[] = keySpecs.map((k) => loadPublicKey(k, cwd));
    const classOf = new Map<PublicKey, string[]>();
    if (from) {
      for (const [key, classes] of manifestKeys(from, cwd, values.class as string | undefined)) {
        keys.push(key);
        classOf.set(key, classes);
      }
    }
    const detachedFile = values.detached as string | undefined;
    const detached = detachedFile ? readDetached(path.resolve(cwd, detachedFile), detachedFile) : undefined;
    const bytes = readInput(path.resolve(cwd, input), input);
    const r = verifyWasm(bytes, keys, { file: input, detached, detachedFile });
    const classes = classOf.get(r.key);
    out(`${input}: valid ${detached ? 'detached ' : ''}signature by ${r.key}${classes ? ` (trust class ${classes.map((c) => `"${c}"`).join(', ')})` : ''}`);
    return 0;
  },
};

/** The keys of a manifest's trust classes, each with the classes that list it. */
function manifestKeys(input: string, cwd: string, only?: string): Map<PublicKey, string[]> {
  const loaded = readManifest(input, cwd);
  const m = (loaded.data ?? {}) as Pick<Manifest, 'trust'>;
  const bad = keyProblems(loaded, m);
  if (bad.length) throw new LoopError(bad);
  const byClass = trustKeys(m);
  if (only && !m.trust?.[only]) {
    throw new LoopError({ code: 'LOOP203', file: loaded.display, field: '--class', message: `the manifest has no trust class "${only}"`, hint: `its trust classes: ${Object.keys(m.trust ?? {}).join(', ') || '(none)'}` });
  }
  const out = new Map<PublicKey, string[]>();
  for (const [cls, keys] of byClass) {
    if (only && cls !== only) continue;
    for (const k of keys) {
      const same = [...out.keys()].find((o) => o.equals(k));
      if (same) out.get(same)!.push(cls);
      else out.set(k, [cls]);
    }
  }
  if (!out.size) {
    throw new LoopError({
      code: 'LOOP509',
      file: loaded.display,
      field: only ? `trust.${only}.keys` : 'trust',
      message: only ? `trust class "${only}" lists no keys` : 'no trust class lists any keys',
      hint: 'add `keys = ["ed25519:…"]` (from `loop keygen`) to a `[trust.<class>]` table, or pass --key',
    });
  }
  return out;
}

function readDetached(file: string, shown: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new LoopError({ code: 'LOOP504', file: shown, message: `cannot read the detached signature: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, hint: 'create one with `loop sign <component.wasm> --key <secret> --detached <file>`' });
  }
}

function verifyGraph(input: string, positionals: string[], cwd: string, out: (l: string) => void): number {
  if (positionals.length) {
    throw new LoopError({ code: 'LOOP012', field: '--graph', message: '--graph checks the components the graph names; give no component file with it', hint: 'loop verify --graph <app.loop.json>' });
  }
  const file = path.resolve(cwd, input);
  const shown = path.relative(cwd, file) || file;
  let graph: GraphForSignatures & { format?: string };
  try {
    graph = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LoopError({ code: 'LOOP512', file: shown, message: code === 'ENOENT' ? 'no such graph file' : `is not a JSON graph: ${(e as Error).message}`, hint: 'write one with `loop resolve <app> --out app.loop.json`' });
  }
  if (!graph || graph.format !== 'loop.app/1' || !Array.isArray(graph.components)) {
    throw new LoopError({ code: 'LOOP512', file: shown, message: `is not a resolved graph (format "${graph?.format}", expected "loop.app/1")`, hint: 'write one with `loop resolve <app> --out app.loop.json`' });
  }
  const r = checkGraphSignatures(graph, path.dirname(file), shown);
  for (const line of [...r.verified, ...r.demoted, ...r.unchecked]) out(line);
  if (r.problems.length) throw new LoopError(r.problems);
  return 0;
}
