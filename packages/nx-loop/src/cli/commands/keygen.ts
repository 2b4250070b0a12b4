import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../../errors';
import { generateKeyPair } from '../../signing/keys';
import type { Command } from '../command';

export const keygen: Command = {
  name: 'keygen',
  summary: 'Create an Ed25519 key pair for signing components',
  usage: 'loop keygen [--out <prefix>] [--force]',
  details:
    'Writes <prefix>.key (the secret key, mode 0600: keep it private) and <prefix>.pub, in the\n' +
    'raw formats of the WebAssembly tool-conventions Signatures.md (wasmsign2 reads them as\n' +
    'they are), and prints the public key as `ed25519:<base64>` — the form app.loop.toml takes\n' +
    'in `[trust.<class>] keys`. Only that line goes to stdout.\n\n' +
    'Example: loop keygen --out keys/release   # then: keys = ["<printed line>"]',
  options: {
    out: { type: 'string', short: 'o', description: 'path prefix of the two files (default: loop-signing)', value: '<prefix>' },
    force: { type: 'boolean', description: 'overwrite existing key files' },
  },
  run({ values, cwd, out, err }) {
    const prefix = path.resolve(cwd, (values.out as string | undefined) ?? 'loop-signing');
    const secretFile = prefix + '.key';
    const publicFile = prefix + '.pub';
    const show = (f: string) => path.relative(cwd, f) || f;
    for (const f of [secretFile, publicFile]) {
      if (fs.existsSync(f) && !values.force) {
        throw new LoopError({
          code: 'LOOP508',
          file: show(f),
          message: 'already exists; not overwriting a key',
          hint: 'choose another --out prefix, or pass --force to replace it (components signed with the old key will no longer verify with the new one)',
        });
      }
    }
    const key = generateKeyPair();
    fs.mkdirSync(path.dirname(prefix), { recursive: true });
    fs.writeFileSync(secretFile, key.toFileBytes(), { mode: 0o600 });
    fs.chmodSync(secretFile, 0o600);
    fs.writeFileSync(publicFile, key.publicKey.toFileBytes());
    err(`wrote ${show(secretFile)} (secret key: keep it private) and ${show(publicFile)} (public key)`);
    out(key.publicKey.toString());
    return 0;
  },
};
