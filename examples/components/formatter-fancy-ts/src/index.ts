// The fancy formatter of the hello app: "✨ <Text> ✨" (first letter capitalised).
// Interchangeable with formatter-basic-js (same world: example:hello/formatter-impl);
// the app's `fancy` profile swaps it in.
import { log } from 'loop:log/logger@0.1.0';

function capitalise(text: string): string {
  const [first = '', ...rest] = Array.from(text);
  return first.toUpperCase() + rest.join('');
}

export const formatter: typeof import('example:hello/formatter@0.1.0') = {
  format(text: string): string {
    log('debug', `formatter-fancy: formatting ${text.length} chars`);
    return `✨ ${capitalise(text)} ✨`;
  },
};
