/** Turns a manifest path (`['components', 'greeter', 'class']`) into file:line:col and a field name. */
import { locateToml, type PathSegment, type TomlLocations } from './toml-locate';

export class Locator {
  private readonly locs: TomlLocations;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.locs = locateToml(text);
  }

  /** Position of the key or value at `path`, or of the nearest enclosing table that exists. */
  at(path: PathSegment[], part: 'key' | 'value' = 'value'): { file: string; line?: number; col?: number } {
    const exact = this.locs.get(path);
    const hit = exact ?? this.locs.nearest(path);
    if (!hit) return { file: this.file };
    const p = exact ? hit[part] : hit.key;
    return { file: this.file, line: p.line, col: p.col };
  }
}

/** `capabilities."loop:fs".provider`, `trust.untrusted.allow[2]` — how a user would write the path. */
export function fieldName(path: PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = /^[A-Za-z0-9_-]+$/.test(seg) ? seg : JSON.stringify(seg);
      out += out ? `.${s}` : s;
    }
  }
  return out;
}
