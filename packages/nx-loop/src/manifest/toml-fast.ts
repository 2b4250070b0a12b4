/**
 * A fast path for the TOML that manifests are made of, for a cold `loop` process: smol-toml
 * walks the text a character at a time, which is quick once V8 has compiled it and slow in
 * the interpreter that a short-lived process runs it in (10 ms for a 200-component manifest,
 * 1 ms warm). This reader matches whole lines with sticky regular expressions (native code)
 * and handles only the plain subset of TOML:
 *
 *   [table.headers]  and  [quoted."keys"]     (bare keys, quoted keys without escapes)
 *   key = value                              (bare or quoted key; no dotted keys)
 *   values: "basic" and 'literal' strings without escapes or line breaks, decimal integers
 *           (no sign, no underscores, up to 15 digits), true/false, arrays of values (also
 *           over several lines, with comments and a trailing comma), single-line inline
 *           tables of values
 *   comments, blank lines, LF or CRLF line ends
 *
 * Anything else — another value type, an escape, a dotted key, a table defined twice or
 * after its sub-table, `[[arrays]]`, a duplicate key, a syntax error — returns `undefined`,
 * and the caller parses the text with smol-toml, which then decides (and reports errors
 * with their positions). So for every text this returns a value for, the value is what
 * smol-toml returns (tables are null-prototype objects, like smol-toml's); toml-fast.spec.ts
 * checks that against smol-toml on the corpus and on generated documents.
 */

type Table = Record<string, unknown>;

const KEY = String.raw`(?:[A-Za-z0-9_-]+|"[^"\\\x00-\x1f\x7f]+")`;
const COMMENT = String.raw`(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?`;
/** Blank lines and comment lines (the last one may end the text), then the indentation of the next line. */
const VOID = /(?:[ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?(?:\r?\n|$))*[ \t]*/y;
/** `[a.b."c"]` up to and including the line end. */
const HEADER = new RegExp(String.raw`\[(${KEY}(?:\.${KEY})*)\][ \t]*${COMMENT}(?:\r?\n|$)`, 'y');
const HEADER_KEY = new RegExp(KEY, 'g');
/** `key =` and the spaces after it. */
const KEY_EQ = new RegExp(String.raw`(${KEY})[ \t]*=[ \t]*`, 'y');
/** The rest of a line after a value. */
const LINE_END = new RegExp(String.raw`[ \t]*${COMMENT}(?:\r?\n|$)`, 'y');
/** A scalar value: basic string, literal string, integer, boolean; then what may follow a value. */
const SCALAR = /(?:"([^"\\\x00-\x08\x0a-\x1f\x7f]*)"|'([^'\x00-\x08\x0a-\x1f\x7f]*)'|(0|[1-9][0-9]{0,14})|(true|false))(?=[ \t,\]}#\r\n]|$)/y;
/** Inside an array: spaces, line breaks and comments. */
const ARRAY_VOID = new RegExp(String.raw`(?:[ \t]|${COMMENT}\r?\n|\r?\n)*`, 'y');
/** Inside an inline table: spaces only. */
const SPACES = /[ \t]*/y;

/** Nesting of arrays and inline tables beyond which smol-toml's own limit may apply: left to it. */
const MAX_DEPTH = 64;

/** The parsed document, or `undefined` when the text is outside the subset (smol-toml decides). */
export function parseTomlFast(text: string): Table | undefined {
  if (text.charCodeAt(0) === 0xfeff) return undefined;
  const root: Table = Object.create(null);
  // Tables made by a header (explicitly or as the parent of one): the only ones a header may enter.
  const headerTables = new WeakSet<Table>([root]);
  let table = root;
  let p = 0;
  for (;;) {
    VOID.lastIndex = p;
    VOID.exec(text);
    p = VOID.lastIndex;
    if (p >= text.length) return root;
    const c = text.charCodeAt(p);
    if (c === 0x5b /* [ */) {
      HEADER.lastIndex = p;
      const m = HEADER.exec(text);
      if (!m) return undefined;
      p = HEADER.lastIndex;
      let t = root;
      const keys = m[1].match(HEADER_KEY)!;
      for (let i = 0; i < keys.length; i++) {
        const k = unquote(keys[i]);
        if (k === undefined) return undefined;
        const next = t[k];
        if (next === undefined) {
          const made: Table = Object.create(null);
          t[k] = made;
          headerTables.add(made);
          t = made;
        } else if (i < keys.length - 1 && headerTables.has(next as Table)) {
          t = next as Table;
        } else {
          return undefined; // defined again, or a value: smol-toml decides
        }
      }
      table = t;
      continue;
    }
    KEY_EQ.lastIndex = p;
    const m = KEY_EQ.exec(text);
    if (!m) return undefined;
    const k = unquote(m[1]);
    if (k === undefined || k in table) return undefined;
    const v = value(text, KEY_EQ.lastIndex, 0);
    if (v === undefined) return undefined;
    table[k] = v.value;
    LINE_END.lastIndex = v.end;
    if (!LINE_END.exec(text)) return undefined;
    p = LINE_END.lastIndex;
  }
}

/** A bare key as is, a quoted one without its quotes; `undefined` for names smol-toml treats specially. */
function unquote(k: string): string | undefined {
  const s = k.charCodeAt(0) === 0x22 ? k.slice(1, -1) : k;
  return s === '__proto__' ? undefined : s;
}

function value(text: string, p: number, depth: number): { value: unknown; end: number } | undefined {
  const c = text.charCodeAt(p);
  if (c === 0x5b /* [ */) return depth < MAX_DEPTH ? array(text, p + 1, depth + 1) : undefined;
  if (c === 0x7b /* { */) return depth < MAX_DEPTH ? inlineTable(text, p + 1, depth + 1) : undefined;
  SCALAR.lastIndex = p;
  const m = SCALAR.exec(text);
  if (!m) return undefined;
  const end = SCALAR.lastIndex;
  if (m[1] !== undefined) return { value: m[1], end };
  if (m[2] !== undefined) return { value: m[2], end };
  if (m[3] !== undefined) return { value: Number(m[3]), end };
  return { value: m[4] === 'true', end };
}

function array(text: string, p: number, depth: number): { value: unknown; end: number } | undefined {
  const out: unknown[] = [];
  for (;;) {
    ARRAY_VOID.lastIndex = p;
    ARRAY_VOID.exec(text);
    p = ARRAY_VOID.lastIndex;
    if (text.charCodeAt(p) === 0x5d /* ] */) return { value: out, end: p + 1 };
    const v = value(text, p, depth);
    if (v === undefined) return undefined;
    out.push(v.value);
    ARRAY_VOID.lastIndex = v.end;
    ARRAY_VOID.exec(text);
    p = ARRAY_VOID.lastIndex;
    const d = text.charCodeAt(p);
    if (d === 0x5d /* ] */) return { value: out, end: p + 1 };
    if (d !== 0x2c /* , */) return undefined;
    p++;
  }
}

function inlineTable(text: string, p: number, depth: number): { value: unknown; end: number } | undefined {
  const out: Table = Object.create(null);
  SPACES.lastIndex = p;
  SPACES.exec(text);
  p = SPACES.lastIndex;
  if (text.charCodeAt(p) === 0x7d /* } */) return { value: out, end: p + 1 };
  for (;;) {
    KEY_EQ.lastIndex = p;
    const m = KEY_EQ.exec(text);
    if (!m) return undefined;
    const k = unquote(m[1]);
    if (k === undefined || k in out) return undefined;
    const v = value(text, KEY_EQ.lastIndex, depth);
    if (v === undefined) return undefined;
    out[k] = v.value;
    SPACES.lastIndex = v.end;
    SPACES.exec(text);
    p = SPACES.lastIndex;
    const d = text.charCodeAt(p);
    if (d === 0x7d /* } */) return { value: out, end: p + 1 };
    if (d !== 0x2c /* , */) return undefined;
    SPACES.lastIndex = p + 1;
    SPACES.exec(text);
    p = SPACES.lastIndex;
  }
}
