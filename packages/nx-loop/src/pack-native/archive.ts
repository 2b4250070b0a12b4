/**
 * Reproducible archives of a directory, written with Node's zlib only: `.tar.gz` (POSIX ustar,
 * PAX `path` records for long names) and `.zip` (deflate). Entries are sorted, owned by 0:0,
 * dated 1980-01-01, and keep only the executable bit of their mode, so the same directory
 * always gives the same bytes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** 1980-01-01T00:00:00Z: the earliest date a zip can hold; used for tar as well. */
export const ARCHIVE_EPOCH = 315532800;

export interface ArchiveEntry {
  /** `/`-separated path inside the archive; directories end with `/`. */
  name: string;
  /** File contents (absent for directories). */
  data?: Buffer;
  executable?: boolean;
}

/** The entries of `dir`, sorted, each under `prefix/` (directories included). */
export function directoryEntries(dir: string, prefix: string): ArchiveEntry[] {
  const out: ArchiveEntry[] = [{ name: `${prefix}/` }];
  const walk = (abs: string, rel: string) => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(abs, e.name);
      const name = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push({ name: `${name}/` });
        walk(p, name);
      } else if (e.isFile()) {
        out.push({ name, data: fs.readFileSync(p), executable: (fs.statSync(p).mode & 0o111) !== 0 });
      }
    }
  };
  walk(dir, prefix);
  return out;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, prefix: string, mode: number, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(ARCHIVE_EPOCH, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

const padded = (b: Buffer) => {
  const pad = (512 - (b.length % 512)) % 512;
  return pad ? [b, Buffer.alloc(pad)] : [b];
};

/** A PAX `path=` record: `<len> path=<name>\n`, where len counts itself. */
function paxPath(name: string): Buffer {
  const body = ` path=${name}\n`;
  let len = Buffer.byteLength(body);
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

/** The header(s) of one entry: ustar name/prefix when the path fits, else a PAX path record first. */
function tarHeaders(e: ArchiveEntry): Buffer[] {
  const isDir = e.name.endsWith('/');
  const mode = isDir || e.executable ? 0o755 : 0o644;
  const size = isDir ? 0 : (e.data?.length ?? 0);
  const type = isDir ? '5' : '0';
  if (Buffer.byteLength(e.name) <= 100) return [header(e.name, '', mode, size, type)];
  const cut = e.name.lastIndexOf('/', e.name.length - (isDir ? 2 : 1));
  if (cut > 0 && Buffer.byteLength(e.name.slice(cut + 1)) <= 100 && Buffer.byteLength(e.name.slice(0, cut)) <= 155) {
    return [header(e.name.slice(cut + 1), e.name.slice(0, cut), mode, size, type)];
  }
  const pax = paxPath(e.name);
  const short = e.name.slice(0, 99 - (isDir ? 1 : 0)) + (isDir ? '/' : '');
  return [header(`PaxHeader/${short}`.slice(0, 100), '', 0o644, pax.length, 'x'), ...padded(pax), header(short, '', mode, size, type)];
}

/** An uncompressed ustar archive. */
export function tar(entries: ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(...tarHeaders(e));
    if (e.data && !e.name.endsWith('/')) parts.push(...padded(e.data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A gzip-compressed ustar archive (gzip header without a name or date: reproducible). */
export function tarGz(entries: ArchiveEntry[], level = 6): Buffer {
  return zlib.gzipSync(tar(entries), { level });
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01

/** A zip archive (deflate, or stored when deflate does not help), no zip64 (entries < 4 GiB). */
export function zip(entries: ArchiveEntry[], level = 6): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const isDir = e.name.endsWith('/');
    const raw = isDir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    const deflated = raw.length ? zlib.deflateRawSync(raw, { level }) : raw;
    const stored = deflated.length >= raw.length;
    const body = stored ? raw : deflated;
    const method = stored ? 0 : 8;
    const crc = zlib.crc32(raw) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);
    const mode = isDir ? 0o40755 : e.executable ? 0o100755 : 0o100644;
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt16LE(DOS_TIME, 12);
    c.writeUInt16LE(DOS_DATE, 14);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(body.length, 20);
    c.writeUInt32LE(raw.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(0, 30); // extra
    c.writeUInt16LE(0, 32); // comment
    c.writeUInt16LE(0, 34); // disk
    c.writeUInt16LE(0, 36); // internal attributes
    c.writeUInt32LE(((mode << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += local.length + name.length + body.length;
  }
  const centralBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBuf, end]);
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes `file` and `file.sha256` (`sha256sum` format, so `sha256sum -c` checks it). */
export function writeWithChecksum(file: string, data: Buffer): string {
  fs.writeFileSync(file, data);
  const hex = sha256Hex(data);
  fs.writeFileSync(`${file}.sha256`, `${hex}  ${path.basename(file)}\n`);
  return hex;
}
