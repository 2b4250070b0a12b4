// The fast TOML reader (toml-fast.ts) against smol-toml: for every text it returns a value for,
// that value is smol-toml's (same keys, values, null-prototype tables), and it never accepts
// a text smol-toml rejects. Checked on every TOML file of the corpus and the examples, on a
// 200-component manifest, and on generated and mutated documents (fast-check, fixed run
// counts; LOOP_FUZZ_RUNS / LOOP_FUZZ_SEED as in fuzz.spec.ts).
import * as fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { fuzzParams, fuzzTimeout } from '../signing/__fixtures__/fuzz-params';
import { parseTomlFast } from './toml-fast';

const repo = path.resolve(__dirname, '../../../..');

function tomlFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'target' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tomlFiles(p, out);
    else if (e.name.endsWith('.toml')) out.push(p);
  }
  return out;
}

/** The property: fast agrees with smol-toml, or leaves the text to it. Returns whether fast read it. */
function agrees(text: string): boolean {
  let expected: unknown;
  let error: unknown;
  try {
    expected = parse(text);
  } catch (e) {
    error = e;
  }
  const got = parseTomlFast(text);
  if (got === undefined) return false;
  expect(error, `fast reader accepted a text smol-toml rejects:\n${text}`).toBeUndefined();
  expect(isDeepStrictEqual(got, expected), `fast reader differs from smol-toml:\n${text}\nfast: ${JSON.stringify(got)}\nsmol-toml: ${JSON.stringify(expected)}`).toBe(true);
  return true;
}

const manifest200 = (() => {
  let toml = '#:schema spec/app.loop.schema.json\n[app]\nname = "big"\nentry = "c0"\n\n';
  for (let i = 0; i < 200; i++) {
    toml += `[components.c${i}]\nsource = "components/c${i}.wasm"\nclass = "${i === 0 ? 'core' : i % 3 ? 'default' : 'plugin'}"\n${i % 5 === 0 ? 'capabilities = ["loop:log", "loop:kv"]\n' : ''}config = { index = "${i}" }\n\n`;
  }
  return toml + '[capabilities."loop:fs"]\nprovider = { native = "host-dir", web = "opfs" }\nroot = "data"\n';
})();

describe('parseTomlFast', () => {
  it('reads every valid manifest of the corpus and the examples as smol-toml does; leaves the rest to it', () => {
    const files = [...tomlFiles(path.join(repo, 'spec/manifests')), ...tomlFiles(path.join(repo, 'examples'))];
    expect(files.length).toBeGreaterThan(20);
    const read = files.filter((f) => agrees(fs.readFileSync(f, 'utf8')));
    // The point of the fast path: manifests that are TOML are read by it (not left to smol-toml),
    // except those with an escape in a string, which it leaves to smol-toml by design (the
    // corpus has one: a source holding "\u0000").
    const isToml = (f: string) => {
      try {
        const text = fs.readFileSync(f, 'utf8');
        return !!parse(text) && !text.includes('\\');
      } catch {
        return false;
      }
    };
    for (const f of files.filter((f) => /(^|[/\\])(app\.loop|loop\.component)\.toml$/.test(f) && isToml(f))) {
      expect(read, `${path.relative(repo, f)} was left to smol-toml`).toContain(f);
    }
    expect(agrees(manifest200)).toBe(true);
    expect(agrees(manifest200.replace(/\n/g, '\r\n'))).toBe(true);
  });

  it('returns smol-toml-shaped values: null-prototype tables, plain arrays, numbers, strings, booleans', () => {
    const t = parseTomlFast('a = 1\nb = [true, "x", \'y\', [], {}]\n[c."d.e"]\nf = { g = false }\n')!;
    expect(Object.getPrototypeOf(t)).toBe(null);
    expect(Object.getPrototypeOf((t.c as Record<string, unknown>)['d.e'])).toBe(null);
    expect(t).toEqual({ a: 1, b: [true, 'x', 'y', [], {}], c: { 'd.e': { f: { g: false } } } });
  });

  it('leaves anything outside its subset to smol-toml', () => {
    const outside = [
      'a.b = 1', // dotted key
      'a = "x\\ty"', // escape
      'a = """x"""', // multi-line string
      'a = -1', // sign
      'a = 1_000', // underscore
      'a = 1.5', // float
      'a = 0x1f', // hex
      'a = 1979-05-27', // date
      'a = 12345678901234567', // beyond 15 digits
      '[[a]]\nb = 1', // array of tables
      '[a]\n[a]', // table defined twice
      '[a.b]\n[a]', // super-table after its sub-table
      'a = 1\na = 2', // duplicate key
      'a = { b = 1, }', // trailing comma in an inline table
      'a = { b = 1,\n c = 2 }', // line break in an inline table
      '\ufeffa = 1', // byte order mark
      'a = 1\r', // lone CR
      '__proto__ = 1',
      '"" = 1',
      'a = 1 b = 2',
      'a = 1 # \u0001',
      '[ a ]',
    ];
    for (const text of outside) expect(parseTomlFast(text), JSON.stringify(text)).toBeUndefined();
  });

  // Lines built from fragments of TOML syntax, valid and not, in random order.
  const key = fc.constantFrom('a', 'b', 'name', 'source', '"loop:fs"', '"a.b"', "'lit'", 'a.b', '"', '', '__proto__', 'ü', '1', '-', 'a b');
  const scalar = fc.constantFrom('"x"', "'y'", '""', '"a\\"b"', '"\\u00e9"', '"\t"', '"\u0001"', '1', '0', '01', '-1', '+1', '1_0', '1.0', '1e3', 'inf', 'nan', 'true', 'false', 'tru', '999999999999999', '9999999999999999', '1979-05-27', '07:32:00', '"""m"""', "'''m'''", '"open', 'x');
  const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.tuple(fc.array(tie('v'), { maxLength: 3 }), fc.constantFrom(', ', ',', ',\n', ' , ', ', # c\n'), fc.constantFrom('', ',', ' ,', '\n')).map(([xs, sep, tail]) => `[${xs.join(sep)}${tail}]`),
      fc.tuple(fc.array(fc.tuple(key, tie('v')), { maxLength: 3 }), fc.constantFrom(', ', ',', ',\n'), fc.constantFrom('', ',', ' ')).map(([kvs, sep, tail]) => `{ ${kvs.map(([k, v]) => `${k} = ${v}`).join(sep)}${tail} }`),
    ),
  })).v;
  const header = fc.array(fc.constantFrom('a', 'b', 'components', 'c0', '"loop:fs"', '"x.y"', 'a b', ''), { minLength: 1, maxLength: 3 }).chain((ks) =>
    fc.constantFrom(`[${ks.join('.')}]`, `[[${ks.join('.')}]]`, `[ ${ks.join(' . ')} ]`, `[${ks.join('.')}] # c`, `[${ks.join('.')}] x`),
  );
  const line = fc.oneof(
    { arbitrary: fc.tuple(key, fc.constantFrom(' = ', '=', '\t=\t', ' '), value, fc.constantFrom('', ' # note', ' #\u0001', '  ', ' x')).map(([k, eq, v, tail]) => `${k}${eq}${v}${tail}`), weight: 6 },
    { arbitrary: header, weight: 3 },
    { arbitrary: fc.constantFrom('', '# comment', '   ', '\t# x', '\r', '\ufeff', '\u0000'), weight: 2 },
  );
  const document = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\n\n')).map(([ls, nl]) => ls.join(nl));

  it(
    'generated documents: fast agrees with smol-toml or leaves them to it',
    () => {
      let read = 0;
      fc.assert(
        fc.property(document, (text) => {
          if (agrees(text)) read++;
        }),
        fuzzParams(6000),
      );
      if (process.env.LOOP_FUZZ_DEBUG) console.log(`fast path read ${read} generated documents`);
      expect(read).toBeGreaterThan(0); // the generator reaches the fast path, not only the fallback
    },
    fuzzTimeout(6000),
  );

  const corpus = tomlFiles(path.join(repo, 'spec/manifests')).map((f) => fs.readFileSync(f, 'utf8'));
  const edit = fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom('"', "'", '[', ']', '{', '}', '=', ',', '.', '#', '\n', '\r', ' ', '\\', '-', '1', 'a', '\u0000', '""'));
  it(
    'mutated corpus manifests: fast agrees with smol-toml or leaves them to it',
    () => {
      fc.assert(
        fc.property(fc.constantFrom(...corpus), fc.array(edit, { minLength: 1, maxLength: 4 }), (text, edits) => {
          for (const [at, del, ins] of edits) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + ins + text.slice(i + del);
          }
          agrees(text);
        }),
        fuzzParams(6000),
      );
    },
    fuzzTimeout(6000),
  );
});
