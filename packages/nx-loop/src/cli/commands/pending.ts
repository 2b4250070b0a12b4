import { LoopError } from '../../errors';
import type { Command } from '../command';

/**
 * Verbs whose implementation has not landed answer clearly instead of pretending:
 * exit 2 with what is missing. Each is replaced by its real command when it lands.
 */
function pending(name: string, summary: string, usage: string, issue: string): Command {
  return {
    name,
    summary: `${summary} (not available yet)`,
    usage,
    run() {
      throw new LoopError({
        code: 'LOOP900',
        message: `\`loop ${name}\` is not available in this version of Loop yet`,
        hint: `it lands with "${issue}"; see README.md for what works today`,
      });
    },
  };
}

export const pendingCommands: Command[] = [
  pending('run', 'Run an app or a component in the native reference host', 'loop run <app-dir | app.loop.toml | component.wasm> [-- args...]', 'the native reference host'),
  pending('build', 'Build component projects', 'loop build [component-dir]...', 'components from Rust and JS/TS'),
  pending('component new', 'Scaffold a component project', 'loop component new <name> --language <rust|js|ts> [--world core|plugin]', 'components from Rust and JS/TS'),
  pending('host new', 'Scaffold a host project', 'loop host new <name> --template <native-wasmtime|browser-worker>', 'native packaging / the browser host'),
  pending('pack native', 'Pack an app into per-OS executables', 'loop pack native --target <linux,windows,macos|linux-x64,...> [--manifest app.loop.toml]', 'native packaging'),
  pending('pack web', 'Pack an app into a static web bundle', 'loop pack web [--manifest app.loop.toml] [--inline]', 'the browser host'),
];
