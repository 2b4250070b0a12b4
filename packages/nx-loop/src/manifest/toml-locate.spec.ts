import { describe, expect, it } from 'vitest';
import { locateToml } from './toml-locate';

const doc = `# comment with [brackets] and = signs
[app]
name = "x" # trailing
"quoted.key" = 'lit'

[components.greeter]
source = """multi
line"""
config = { url = "http://a", nested = { deep = 1 } }
caps = [
  "loop:log", # first
  "loop:fs",
]

[capabilities."loop:fs"]
provider.native = "host-dir"

[[targets]]
name = "a"
[[targets]]
name = "b"
`;

describe('locateToml', () => {
  const locs = locateToml(doc);
  const at = (...p: (string | number)[]) => locs.get(p);

  it('finds keys and values of plain tables', () => {
    expect(at('app')!.key).toEqual({ line: 2, col: 1 });
    expect(at('app', 'name')).toEqual({ key: { line: 3, col: 1 }, value: { line: 3, col: 8 } });
    expect(at('app', 'quoted.key')!.value).toEqual({ line: 4, col: 16 });
  });

  it('follows multi-line strings, inline tables and multi-line arrays', () => {
    expect(at('components', 'greeter', 'config', 'url')!.key).toEqual({ line: 9, col: 12 });
    expect(at('components', 'greeter', 'config', 'nested', 'deep')!.value).toEqual({ line: 9, col: 48 });
    expect(at('components', 'greeter', 'caps', 1)!.value).toEqual({ line: 12, col: 3 });
  });

  it('handles quoted table names, dotted keys and arrays of tables', () => {
    expect(at('capabilities', 'loop:fs', 'provider', 'native')!.value).toEqual({ line: 16, col: 19 });
    expect(at('targets', 1, 'name')!.key).toEqual({ line: 21, col: 1 });
  });

  it('falls back to the nearest enclosing table for paths that do not exist', () => {
    expect(locs.nearest(['components', 'greeter', 'missing'])!.key).toEqual({ line: 6, col: 1 });
  });
});
