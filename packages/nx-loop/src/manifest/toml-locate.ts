/**
 * Finds where each key and value of a TOML document stands, so that errors found on the
 * parsed data (schema, semantics) can point at `file:line:col`.
 *
 * smol-toml has already checked the syntax when this runs, so the scanner is lenient: it
 * follows the structure (tables, arrays of tables, dotted keys, inline tables, arrays,
 * all four string forms) and records positions; it never rejects input.
 */
export interface Position {
  line: number; // 1-based
  col: number; // 1-based
}

export interface Located {
  /** Where the key (or table header) starts. */
  key: Position;
  /** Where the value starts (the header for a table). */
  value: Position;
}

export type PathSegment = string | number;

export class TomlLocations {
  private readonly map = new Map<string, Located>();

  set(path: PathSegment[], loc: Located): void {
    const k = keyOf(path);
    if (!this.map.has(k)) this.map.set(k, loc);
  }

  get(path: PathSegment[]): Located | undefined {
    return this.map.get(keyOf(path));
  }

  /** The position of the path, or of its nearest located ancestor. */
  nearest(path: PathSegment[]): Located | undefined {
    for (let n = path.length; n >= 0; n--) {
      const hit = this.map.get(keyOf(path.slice(0, n)));
      if (hit) return hit;
    }
    return undefined;
  }
}

const keyOf = (path: PathSegment[]) => path.map(String).join('\u0000');

export function locateToml(src: string): TomlLocations {
  return new Scanner(src).scan();
}

class Scanner {
  private i = 0;
  private line = 1;
  private col = 1;
  private readonly locs = new TomlLocations();
  private readonly arrayTableCounts = new Map<string, number>();

  constructor(private readonly s: string) {}

  scan(): TomlLocations {
    const start = this.pos();
    this.locs.set([], { key: start, value: start });
    let table: PathSegment[] = [];
    while (this.i < this.s.length) {
      this.skipTrivia(true);
      if (this.i >= this.s.length) break;
      const c = this.s[this.i];
      if (c === '[') {
        const at = this.pos();
        const isArray = this.s[this.i + 1] === '[';
        this.advance(isArray ? 2 : 1);
        const keys = this.readKeyPath();
        this.skipInline();
        this.advance(isArray ? 2 : 1);
        if (isArray) {
          const k = keyOf(keys);
          const idx = this.arrayTableCounts.get(k) ?? 0;
          this.arrayTableCounts.set(k, idx + 1);
          this.locs.set(keys, { key: at, value: at });
          table = [...keys, idx];
        } else {
          table = keys;
        }
        this.locs.set(table, { key: at, value: at });
        this.markParents(table, at);
      } else {
        this.keyValue(table);
      }
      this.skipToLineEnd();
    }
    return this.locs;
  }

  private keyValue(base: PathSegment[]): void {
    const keyAt = this.pos();
    const keys = this.readKeyPath();
    const path = [...base, ...keys];
    this.markParents(path, keyAt);
    this.skipInline();
    if (this.s[this.i] === '=') this.advance(1);
    this.skipInline();
    const valueAt = this.pos();
    this.locs.set(path, { key: keyAt, value: valueAt });
    this.value(path);
  }

  /** Dotted keys create intermediate tables; they stand where the first key is. */
  private markParents(path: PathSegment[], at: Position): void {
    for (let n = 1; n < path.length; n++) this.locs.set(path.slice(0, n), { key: at, value: at });
  }

  private value(path: PathSegment[]): void {
    const c = this.s[this.i];
    if (c === '"' || c === "'") {
      this.readString();
    } else if (c === '{') {
      this.advance(1);
      for (;;) {
        this.skipInline();
        if (this.i >= this.s.length || this.s[this.i] === '}') break;
        this.keyValue(path);
        this.skipInline();
        if (this.s[this.i] === ',') this.advance(1);
      }
      this.advance(1);
    } else if (c === '[') {
      this.advance(1);
      let idx = 0;
      for (;;) {
        this.skipTrivia(true);
        if (this.i >= this.s.length || this.s[this.i] === ']') break;
        const at = this.pos();
        this.locs.set([...path, idx], { key: at, value: at });
        this.value([...path, idx]);
        idx++;
        this.skipTrivia(true);
        if (this.s[this.i] === ',') this.advance(1);
      }
      this.advance(1);
    } else {
      while (this.i < this.s.length && !/[,\]}\n#\r]/.test(this.s[this.i])) this.advance(1);
    }
  }

  private readKeyPath(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.skipInline();
      const c = this.s[this.i];
      if (c === '"' || c === "'") {
        keys.push(this.readString());
      } else {
        let k = '';
        while (this.i < this.s.length && /[A-Za-z0-9_-]/.test(this.s[this.i])) {
          k += this.s[this.i];
          this.advance(1);
        }
        keys.push(k);
      }
      this.skipInline();
      if (this.s[this.i] === '.') {
        this.advance(1);
        continue;
      }
      return keys;
    }
  }

  /** Reads any TOML string form and returns its (roughly unescaped) content. */
  private readString(): string {
    const q = this.s[this.i];
    const triple = this.s.startsWith(q.repeat(3), this.i);
    this.advance(triple ? 3 : 1);
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (q === '"' && c === '\\') {
        out += this.s[this.i + 1] ?? '';
        this.advance(2);
        continue;
      }
      if (triple ? this.s.startsWith(q.repeat(3), this.i) : c === q) {
        this.advance(triple ? 3 : 1);
        // A closing run may carry up to two more quotes that belong to the content.
        while (triple && this.s[this.i] === q) this.advance(1);
        return out;
      }
      if (!triple && c === '\n') return out;
      out += c;
      this.advance(1);
    }
    return out;
  }

  private skipInline(): void {
    while (this.i < this.s.length && (this.s[this.i] === ' ' || this.s[this.i] === '\t')) this.advance(1);
  }

  /** Whitespace, comments and (when allowed) newlines. */
  private skipTrivia(newlines: boolean): void {
    for (;;) {
      this.skipInline();
      const c = this.s[this.i];
      if (c === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.advance(1);
      } else if (newlines && (c === '\n' || c === '\r')) {
        this.advance(1);
      } else {
        return;
      }
    }
  }

  private skipToLineEnd(): void {
    this.skipInline();
    if (this.s[this.i] === '#') this.skipTrivia(false);
  }

  private pos(): Position {
    return { line: this.line, col: this.col };
  }

  private advance(n: number): void {
    for (let k = 0; k < n && this.i < this.s.length; k++) {
      if (this.s[this.i] === '\n') {
        this.line++;
        this.col = 1;
      } else {
        this.col++;
      }
      this.i++;
    }
  }
}
