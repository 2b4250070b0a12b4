import type { Command } from '../command';
import { pendingCommands } from './pending';
import { resolve } from './resolve';
import { validate } from './validate';

/** Every `loop` verb. A real command replaces a pending one of the same name. */
const real: Command[] = [validate, resolve];

export const commands: Command[] = [
  ...real,
  ...pendingCommands.filter((p) => !real.some((r) => r.name === p.name)),
];
