/** What a `loop` command is: a name, help text, options, and a thin `run` over the core library. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  description: string;
  /** Shown in help, e.g. `<native|web>`. */
  value?: string;
}

export interface CommandContext {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Command {
  /** One or two words: `validate`, `pack native`. */
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  /** Longer help: what it does, examples. */
  details?: string;
  options?: Record<string, OptionSpec>;
  run(ctx: CommandContext): Promise<number> | number;
}
