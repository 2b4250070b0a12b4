/**
 * JSON Schema validation of a parsed manifest (spec/app.loop.schema.json, the same file
 * editors read through `#:schema`). ajv finds every error; this module turns each into
 * a Diagnostic that names the field, says what is wrong in plain words and how to fix it.
 */
import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../errors';
import { fieldName, type Locator } from './locate';
import { CAPABILITY_NAMES } from './capabilities';

let compiled: ValidateFunction | undefined;

/** The schema ships inside the package (`schema/`) and lives in `spec/` in the repository. */
export function schemaPath(): string {
  const candidates = [
    path.resolve(__dirname, '../../schema/app.loop.schema.json'),
    path.resolve(__dirname, '../../../../spec/app.loop.schema.json'),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`Loop's manifest schema is missing (looked in ${candidates.join(', ')})`);
  return found;
}

export function loadSchema(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(schemaPath(), 'utf8'));
}

/** One ajv configuration, shared with the build step that writes the standalone validator. */
export function schemaAjv(standalone = false): Ajv {
  // Loaded on demand: a built Loop validates with the standalone code and never needs ajv's compiler.
  const AjvClass = (require('ajv') as typeof import('ajv')).default;
  const ajv = new AjvClass({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { source: standalone } });
  ajv.addVocabulary(['x-hint', 'x-kind']);
  return ajv;
}

/**
 * The build writes the compiled schema as plain JS next to this file (ajv standalone), so a
 * cold `loop` process does not pay for compiling it; from sources, compile on first use.
 */
function validator(): ValidateFunction {
  if (!compiled) {
    const standalone = path.join(__dirname, 'schema-validate.js');
    compiled = fs.existsSync(standalone) ? (require(standalone) as ValidateFunction) : schemaAjv().compile(loadSchema());
  }
  return compiled;
}

/** `where.loc` is read only when there are errors: locating positions costs a TOML scan. */
export function validateSchema(data: unknown, where: { readonly loc: Locator }): Diagnostic[] {
  const validate = validator();
  if (validate(data)) return [];
  return collapse(validate.errors ?? []).map((e) => toDiagnostic(e, where.loc));
}

/** ajv reports every failed branch of a oneOf/anyOf; users need one line per place. */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  // A bad property name is reported twice (the inner pattern and propertyNames): keep the latter.
  errors = errors.filter((e) => (e as ErrorObject & { propertyName?: string }).propertyName === undefined);
  const below = (e: ErrorObject, u: ErrorObject) => e.instancePath.startsWith(u.instancePath + '/');
  const kept = errors.filter((e) =>
    unions.includes(e)
      ? // A union inside another (a capability name among "*" or names) yields to the outer one.
        !unions.some((u) => u !== e && (below(e, u) || (e.instancePath === u.instancePath && u.schemaPath.length < e.schemaPath.length)))
      : // Branch errors of a union sit at or below its place; the union's own line replaces them.
        !unions.some((u) => e.instancePath === u.instancePath || below(e, u)),
  );
  // One diagnostic per (place, keyword): enum failures inside arrays etc. can repeat.
  const seen = new Set<string>();
  return kept.filter((e) => {
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** JSON pointer → path; array indices become numbers (manifest names never start with a digit). */
function segments(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Where a capability name is expected (the catalogue, or a custom native host's package). */
const CAPABILITY_HINT = `a capability package: ${CAPABILITY_NAMES.join(', ')}, or a package a custom native host provides ("<namespace>:<package>")`;

const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));
const typeName = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'table' : typeof v);

function toDiagnostic(e: ErrorObject, loc: Locator): Diagnostic {
  let at = segments(e.instancePath);
  const parent = (e.parentSchema ?? {}) as Record<string, any>;
  let hint: string | undefined = parent['x-hint'];
  let message: string;
  let pointAtKey = false;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      at = [...at, extra];
      pointAtKey = true;
      const known = Object.keys(parent.properties ?? {});
      message = extra.startsWith('loop:') ? `unknown capability "${extra}"` : `unknown field "${extra}"`;
      hint ??= known.length ? `remove it or use one of: ${known.join(', ')}` : 'remove it';
      break;
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const sub = parent.properties?.[missing] ?? {};
      message = `missing required field "${missing}"`;
      hint = sub['x-hint'] ?? (sub.description ? `add ${missing}: ${sub.description}` : `add ${missing} = …`);
      return { code: 'LOOP102', message, hint, field: fieldName([...at, missing]), ...loc.at(at, 'key') };
    }
    case 'enum':
      message = `${show(e.data)} is not allowed here; expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(show).join(', ')}`;
      break;
    case 'const':
      message = `expected ${show((e.params as { allowedValue: unknown }).allowedValue)}`;
      break;
    case 'type':
      const want = (e.params as { type: string }).type;
      const article = want === 'object' ? 'a table' : /^[aeiou]/.test(want) ? `an ${want}` : `a ${want}`;
      message = `expected ${article}, got ${typeName(e.data)} ${typeName(e.data) === 'table' ? '' : show(e.data)}`.trimEnd();
      hint ??= parent.description;
      break;
    case 'pattern':
      message = `${show(e.data)} does not match ${(e.params as { pattern: string }).pattern}`;
      break;
    case 'propertyNames': {
      const bad = (e.params as { propertyName: string }).propertyName;
      at = [...at, bad];
      pointAtKey = true;
      message = `invalid name "${bad}"`;
      hint = 'names use lowercase letters, digits and dashes, starting with a letter';
      break;
    }
    case 'minProperties':
      message = 'must not be empty';
      break;
    case 'uniqueItems':
      message = `lists the same value twice (items ${(e.params as { i: number; j: number }).j} and ${(e.params as { i: number; j: number }).i})`;
      hint = 'remove the duplicate';
      break;
    case 'oneOf':
    case 'anyOf':
      message = `${show(e.data)} is not a valid value here`;
      if (parent['x-kind'] === 'capability') {
        message = `unknown capability ${show(e.data)}`;
      } else if (parent.$ref === '#/definitions/capabilityName' || (parent.anyOf && JSON.stringify(parent.anyOf).includes('capabilityName'))) {
        message = `unknown capability ${show(e.data)}`;
        hint = `use "*" or ${CAPABILITY_HINT}`;
      }
      break;
    case 'minimum':
    case 'maximum':
    case 'minLength':
    case 'maxLength':
      message = `${show(e.data)} ${e.message}`;
      break;
    default:
      message = e.message ?? `failed ${e.keyword}`;
  }
  return { code: codeFor(e.keyword), message, hint, field: fieldName(at), ...loc.at(at, pointAtKey ? 'key' : 'value') };
}

function codeFor(keyword: string): string {
  switch (keyword) {
    case 'additionalProperties':
      return 'LOOP101';
    case 'required':
      return 'LOOP102';
    case 'enum':
    case 'const':
    case 'oneOf':
    case 'anyOf':
      return 'LOOP103';
    case 'type':
      return 'LOOP104';
    case 'pattern':
    case 'propertyNames':
      return 'LOOP105';
    default:
      return 'LOOP106';
  }
}
