/**
 * The `loop` CLI: finds the command, parses its options, runs it, and turns LoopErrors into
 * `error[CODE] … hint: …` lines with exit code 1. Unexpected errors say so and exit 70.
 */
import { parseArgs } from 'node:util';
import { formatDiagnostic, isLoopError } from '../errors';
import type { Command } from './command';
import { commands } from './commands';
import { VERSION } from '../version';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  cwd: process.cwd(),
};

export function findCommand(argv: string[]): { command?: Command; rest: string[] } {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = commands.find((c) => c.name === name || c.aliases?.includes(name));
    if (command) return { command, rest: argv.slice(words) };
  }
  return { rest: argv };
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.out(VERSION);
    return 0;
  }
  if (!argv.length || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    const { command } = findCommand(argv.slice(1));
    io.out(command ? commandHelp(command) : generalHelp());
    return 0;
  }
  const { command, rest } = findCommand(argv);
  if (!command) {
    io.err(formatDiagnostic({ code: 'LOOP011', message: `unknown command "${argv[0]}"`, hint: 'run `loop --help` for the list of commands' }));
    return 1;
  }
  // Everything after `--` belongs to the component (loop run x.wasm -- args).
  const dash = rest.indexOf('--');
  const own = dash >= 0 ? rest.slice(0, dash) : rest;
  const passthrough = dash >= 0 ? rest.slice(dash + 1) : [];
  if (own.includes('--help') || own.includes('-h')) {
    io.out(commandHelp(command));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      options: Object.fromEntries(
        Object.entries(command.options ?? {}).map(([k, o]) => [k, { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) }]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.err(formatDiagnostic({ code: 'LOOP012', message: (e as Error).message, hint: `run \`loop ${command.name} --help\`` }));
    return 1;
  }
  try {
    return await command.run({
      positionals: [...parsed.positionals, ...(dash >= 0 ? ['--', ...passthrough] : [])],
      values: parsed.values as Record<string, string | boolean | string[] | undefined>,
      cwd: io.cwd,
      out: io.out,
      err: io.err,
    });
  } catch (e) {
    if (isLoopError(e)) {
      for (const d of e.diagnostics) io.err(formatDiagnostic(d));
      return e.diagnostics[0]?.code === 'LOOP900' ? 2 : 1;
    }
    io.err(`loop: internal error: ${(e as Error)?.stack ?? e}`);
    io.err('This is a bug in Loop; please report it with the command you ran.');
    return 70;
  }
}

function generalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `loop ${VERSION} — ship WebAssembly components`,
    '',
    'Usage: loop <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `loop <command> --help` for a command\'s options.',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  const lines = [`${c.summary}`, '', `Usage: ${c.usage}`];
  if (c.aliases?.length) lines.push(`Aliases: ${c.aliases.map((a) => `loop ${a}`).join(', ')}`);
  if (c.details) lines.push('', c.details);
  const opts = Object.entries(c.options ?? {});
  if (opts.length) {
    lines.push('', 'Options:');
    const label = ([k, o]: [string, (typeof opts)[number][1]]) => `${o.short ? `-${o.short}, ` : ''}--${k}${o.value ? ` ${o.value}` : ''}`;
    const width = Math.max(...opts.map((o) => label(o).length));
    for (const o of opts) lines.push(`  ${label(o).padEnd(width)}  ${o[1].description}${o[1].multiple ? ' (repeatable)' : ''}`);
  }
  lines.push('  -h, --help'.padEnd(2) + '  show this help');
  return lines.join('\n');
}
