// A plugin that reverses text by code points (so "añb😀" → "😀bña"). Exports
// loop:plugin/plugin and logs through loop:log. Empty input is an error.
import { log } from 'loop:log/logger@0.1.0';
import type { PluginInfo } from 'loop:plugin/plugin@0.1.0';
import { reverse } from './reverse.js';

const info: PluginInfo = { name: 'reverse', version: '0.1.0', description: 'Reverses text' };

export const plugin: typeof import('loop:plugin/plugin@0.1.0') = {
  info: () => info,
  handle(input: string): string {
    if (input.length === 0) {
      log('warn', 'reverse: empty input');
      throw 'reverse: nothing to reverse';
    }
    const out = reverse(input);
    log('info', `reverse: ${out.length} code units`);
    return out;
  },
};
