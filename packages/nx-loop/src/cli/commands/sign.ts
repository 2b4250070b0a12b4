import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../../errors';
import { loadSecretKey } from '../../signing/keys';
import { signWasm } from '../../signing/sign';
import type { Command } from '../command';

export const sign: Command = {
  name: 'sign',
  summary: 'Sign a component (Ed25519, WebAssembly Signatures.md format)',
  usage: 'loop sign <component.wasm> --key <secret-key-file> [--out <file>] [--detached <sig-file>]',
  details:
    'Embeds the signature as the first custom section, "signature", in the format of the\n' +
    'WebAssembly tool-conventions Signatures.md (the format wasmsign2 implements), covering\n' +
    'every section after it — for a component, its embedded core modules too. Signatures by\n' +
    'other keys stay (several signers). Signs in place unless --out is given; with\n' +
    '--detached, writes the signature to that file and leaves the component unchanged.\n\n' +
    'Example: loop sign dist/greeter.wasm --key loop-signing.key',
  options: {
    key: { type: 'string', short: 'k', description: 'secret key file (`loop keygen` .key, wasmsign2 or PEM PKCS#8)', value: '<file>' },
    out: { type: 'string', short: 'o', description: 'write the signed component here instead of in place', value: '<file>' },
    detached: { type: 'string', description: 'write a detached signature to this file; the component is not changed', value: '<file>' },
  },
  run({ positionals, values, cwd, out }) {
    const input = positionals[0];
    if (!input || positionals.length > 1) {
      throw new LoopError({ code: 'LOOP012', message: input ? `loop sign takes one component, got ${positionals.length}` : 'missing the component to sign', hint: 'usage: loop sign <component.wasm> --key <secret-key-file>' });
    }
    if (!values.key) throw new LoopError({ code: 'LOOP012', field: '--key', message: 'missing --key <secret-key-file>', hint: 'create a key pair with `loop keygen`, then pass its .key file' });
    if (values.out && values.detached) throw new LoopError({ code: 'LOOP012', field: '--out', message: '--out and --detached exclude each other (a detached signature leaves the component unchanged)', hint: 'pass one of them' });
    const key = loadSecretKey(values.key as string, cwd);
    const file = path.resolve(cwd, input);
    const bytes = readInput(file, input);
    const r = signWasm(bytes, key, { file: input, detached: Boolean(values.detached) });
    const dest = values.detached ? path.resolve(cwd, values.detached as string) : values.out ? path.resolve(cwd, values.out as string) : file;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    // Write beside the destination and rename, so an interrupted run never leaves half a component.
    const tmp = `${dest}.loop-sign-${process.pid}.tmp`;
    fs.writeFileSync(tmp, values.detached ? r.signature : r.bytes);
    fs.renameSync(tmp, dest);
    const extra = [r.kept ? `kept ${r.kept} signature(s) by other keys` : '', r.dropped ? `dropped ${r.dropped} old signature(s) that no longer matched` : ''].filter(Boolean).join('; ');
    const shown = path.relative(cwd, dest) || dest;
    out(values.detached ? `wrote detached signature ${shown} for ${input} (signed by ${key.publicKey})` : `signed ${shown} (${r.kind}) with ${key.publicKey}${extra ? `; ${extra}` : ''}`);
    return 0;
  },
};

export function readInput(file: string, shown: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LoopError({
      code: 'LOOP502',
      file: shown,
      message: code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a component file' : `cannot be read: ${(e as Error).message}`,
      hint: 'give the path of a built component, e.g. dist/<name>.wasm',
    });
  }
}
