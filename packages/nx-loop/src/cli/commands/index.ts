import type { Command } from '../command';
import { pendingCommands } from './pending';
import { packWebCommand } from './pack-web';
import { packNativeCommand } from './pack-native';
import { composeCommand } from './compose';
import { hostNew } from './host-new';
import { serve } from './serve';
import { keygen } from './keygen';
import { resolve } from './resolve';
import { run } from './run';
import { sign } from './sign';
import { validate } from './validate';
import { buildCommand } from '../../build/command';
import { componentNew } from '../../generators/component/command';
import { verify } from './verify';

/** Every `loop` verb. A real command replaces a pending one of the same name. */
const real: Command[] = [validate, resolve, run, buildCommand, componentNew, keygen, sign, verify, packWebCommand, packNativeCommand, serve, composeCommand, hostNew];

export const commands: Command[] = [
  ...real,
  ...pendingCommands.filter((p) => !real.some((r) => r.name === p.name)),
];
