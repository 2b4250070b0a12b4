/**
 * The `wac` binary (wac-cli from crates.io, installed by tools/setup/wac.sh into
 * `${LOOP_CACHE_DIR:-$HOME/.cache/loop}/tools/bin`) and `wac plug`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../errors';
import { loopCacheDir } from '../host';
import { CODES } from './codes';

const EXE = process.platform === 'win32' ? 'wac.exe' : 'wac';
const INSTALL_HINT = 'install it with `bash tools/setup/wac.sh` (cargo install wac-cli into $LOOP_CACHE_DIR/tools), or set LOOP_WAC to a wac binary';

/** `LOOP_WAC`, else `$LOOP_CACHE_DIR/tools/bin/wac`, else `wac` on PATH. Throws LOOP436 when none exists. */
export function findWac(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOOP_WAC) {
    if (fs.existsSync(env.LOOP_WAC)) return env.LOOP_WAC;
    throw new LoopError({ code: CODES.toolMissing, message: `LOOP_WAC=${env.LOOP_WAC}: no such file`, hint: INSTALL_HINT });
  }
  const cached = path.join(loopCacheDir(env), 'tools', 'bin', EXE);
  if (fs.existsSync(cached)) return cached;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, EXE))) return path.join(dir, EXE);
  }
  throw new LoopError({
    code: CODES.toolMissing,
    message: `composition needs wac, which is not installed (looked in LOOP_WAC, ${cached} and PATH)`,
    hint: INSTALL_HINT,
  });
}

/**
 * `wac plug <socket> --plug <p>... -o <out>`. wac names each plug after its file stem, so
 * callers pass files named after their components. `who` names the socket in errors.
 */
export function wacPlug(wac: string, socket: string, plugs: { file: string; name: string; interfaces: string[] }[], out: string, who: string): void {
  const args = ['plug', socket, ...plugs.flatMap((p) => ['--plug', p.file]), '-o', out];
  // No Rust backtraces in messages users read (anyhow prints one when RUST_BACKTRACE is set).
  const env = { ...process.env, RUST_BACKTRACE: '0', RUST_LIB_BACKTRACE: '0' };
  const r = spawnSync(wac, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) {
    throw new LoopError({ code: CODES.toolMissing, message: `cannot run ${wac}: ${r.error.message}`, hint: INSTALL_HINT });
  }
  if (r.status !== 0) {
    const detail = (r.stderr || r.stdout || '').trim().replace(/\s*\n\s*/g, '; ');
    throw new LoopError({
      code: CODES.toolFailed,
      message: `wac plug failed composing ${who} with ${plugs.map((p) => `'${p.name}' (for ${p.interfaces.join(', ')})`).join(', ')}: ${detail || `exit status ${r.status ?? r.signal}`}`,
      hint: 'check that each default component exports the interfaces with the same types the entry imports (`jco wit <file>` shows both sides)',
    });
  }
}
