/**
 * Reproducible archives of a directory, written with Node's zlib only: `.tar.gz` (POSIX ustar,
 * PAX `path` records for long names) and `.zip` (deflate). Entries are sorted, owned by 0:0,
 * dated 1980-01-01, and keep only the executable bit of their mode, so the same directory
 * always gives the same bytes.
 *
 * Speed (issue #5: packing is copying and writing): deflate runs at ~70 MB/s on precompiled
 * code, and a dir bundle holds ~150 MB of it, so every large file (≥ {@link PIECE_MIN} bytes) is
 * deflated on its own as a "piece" — a raw deflate stream ending with a sync flush (non-final
 * blocks, byte-aligned), the way pigz splits its input. Pieces concatenate into one valid
 * deflate stream (the tar.gz: small runs of headers/padding deflated between them, the last
 * one finished); a piece followed by an empty final block (`03 00`) is a whole deflate stream
 * (a zip entry). The CRC-32 of the whole is combined from the pieces' CRCs. A piece depends only
 * on the file's bytes, the level and zlib's version, so it is cached by the file's sha256
 * (`$LOOP_CACHE_DIR/deflate/`) and a warm cache turns archiving into reading pieces and writing
 * them — the bytes are the same whether a piece came from the cache or was just deflated.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** 1980-01-01T00:00:00Z: the earliest date a zip can hold; used for tar as well. */
export const ARCHIVE_EPOCH = 315532800;

/** Files at least this large are deflated (and cached) as pieces of their own. */
export const PIECE_MIN = 64 * 1024;

export interface ArchiveEntry {
  /** `/`-separated path inside the archive; directories end with `/`. */
  name: string;
  /** File contents (or `file` to read them from when needed). */
  data?: Buffer;
  /** Where the contents are (read lazily: a warm piece cache never reads large files). */
  file?: string;
  /** Size in bytes (of `data` or `file`). */
  size?: number;
  /** sha256 (hex) of the contents when known (from SHA256SUMS): the piece cache key. */
  sha256?: string;
  executable?: boolean;
}

export interface ArchiveOptions {
  /** Deflate level (default 6). */
  level?: number;
  /** Piece cache directory (none: every piece is deflated). */
  cacheDir?: string;
}

/** `SHA256SUMS` of a directory (`sha256sum` format) as relative path → sha256; empty when absent. */
export function readSums(dir: string): Map<string, string> {
  const sums = new Map<string, string>();
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
  } catch {
    return sums;
  }
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) sums.set(m[2], m[1]);
  }
  return sums;
}

/**
 * The entries of `dir`, sorted, each under `prefix/` (directories included). Contents are read
 * when the archive needs them; `sums` (relative path → sha256, e.g. {@link readSums}) keys the
 * piece cache.
 */
export function directoryEntries(dir: string, prefix: string, sums?: Map<string, string>): ArchiveEntry[] {
  const out: ArchiveEntry[] = [{ name: `${prefix}/` }];
  const walk = (abs: string, rel: string) => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push({ name: `${prefix}/${r}/` });
        walk(p, r);
      } else if (e.isFile()) {
        const st = fs.statSync(p);
        out.push({ name: `${prefix}/${r}`, file: p, size: st.size, sha256: sums?.get(r), executable: (st.mode & 0o111) !== 0 });
      }
    }
  };
  walk(dir, '');
  return out;
}

const isDir = (e: ArchiveEntry) => e.name.endsWith('/');
const sizeOf = (e: ArchiveEntry) => (isDir(e) ? 0 : (e.data?.length ?? e.size ?? (e.file ? fs.statSync(e.file).size : 0)));
const dataOf = (e: ArchiveEntry): Buffer => e.data ?? (e.file ? fs.readFileSync(e.file) : Buffer.alloc(0));

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

const padding = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
const padded = (b: Buffer) => (b.length % 512 ? [b, padding(b.length)] : [b]);

/** A PAX `path=` record: `<len> path=<name>\n`, where len counts itself. */
function paxPath(name: string): Buffer {
  const body = ` path=${name}\n`;
  let len = Buffer.byteLength(body);
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

/** The header(s) of one entry: ustar name/prefix when the path fits, else a PAX path record first. */
function tarHeaders(e: ArchiveEntry): Buffer[] {
  const dir = isDir(e);
  const mode = dir || e.executable ? 0o755 : 0o644;
  const size = sizeOf(e);
  const type = dir ? '5' : '0';
  if (Buffer.byteLength(e.name) <= 100) return [header(e.name, '', mode, size, type)];
  const cut = e.name.lastIndexOf('/', e.name.length - (dir ? 2 : 1));
  if (cut > 0 && Buffer.byteLength(e.name.slice(cut + 1)) <= 100 && Buffer.byteLength(e.name.slice(0, cut)) <= 155) {
    return [header(e.name.slice(cut + 1), e.name.slice(0, cut), mode, size, type)];
  }
  const pax = paxPath(e.name);
  const short = e.name.slice(0, 99 - (dir ? 1 : 0)) + (dir ? '/' : '');
  return [header(`PaxHeader/${short}`.slice(0, 100), '', 0o644, pax.length, 'x'), ...padded(pax), header(short, '', mode, size, type)];
}

/** An uncompressed ustar archive. */
export function tar(entries: ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(...tarHeaders(e));
    if (!isDir(e)) parts.push(...padded(dataOf(e)));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// --- CRC-32 combination (zlib's crc32_combine: multiplication modulo the CRC polynomial) -------

const POLY = 0xedb88320;

/** a(x) · b(x) mod p(x), reflected bit order. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod p(x). */
const X2N: number[] = (() => {
  const t = [0x40000000]; // x^1
  for (let k = 1; k < 32; k++) t.push(multModP(t[k - 1], t[k - 1]));
  return t;
})();

/** x^(n · 2^k) mod p(x). */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2) p = multModP(X2N[k & 31], p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** CRC-32 of `A || B` from crc(A), crc(B) and B's length. */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  return (multModP(x2nModP(lenB, 3), crcA >>> 0) ^ crcB) >>> 0;
}

// --- deflate pieces ----------------------------------------------------------------------------

interface Piece {
  /** Raw deflate, sync-flushed (not final). */
  deflated: Buffer;
  crc: number;
  length: number;
}

/** An empty final deflate block (fixed Huffman): ends a stream of sync-flushed pieces. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
const CACHE_MAGIC = Buffer.from('LOOPDFL1');
const CACHE_HEAD = 56; // magic 8 | crc32 4 | 0 4 | length u64 8 | sha256 of the deflated bytes 32

function deflatePiece(data: Buffer, level: number): Piece {
  return {
    deflated: zlib.deflateRawSync(data, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: 1 << 20 }),
    crc: zlib.crc32(data) >>> 0,
    length: data.length,
  };
}

function cacheFile(cacheDir: string, sha256: string, size: number, level: number): string {
  return path.join(cacheDir, `${sha256}-${size}-zlib${process.versions.zlib}-l${level}.deflate`);
}

function readCachedPiece(file: string, size: number): Piece | undefined {
  let b: Buffer;
  try {
    b = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (b.length < CACHE_HEAD || !b.subarray(0, 8).equals(CACHE_MAGIC) || Number(b.readBigUInt64LE(16)) !== size) return undefined;
  const deflated = b.subarray(CACHE_HEAD);
  if (!createHash('sha256').update(deflated).digest().equals(b.subarray(24, 56))) return undefined;
  return { deflated, crc: b.readUInt32LE(8), length: size };
}

function writeCachedPiece(file: string, p: Piece): void {
  const head = Buffer.alloc(CACHE_HEAD);
  CACHE_MAGIC.copy(head, 0);
  head.writeUInt32LE(p.crc, 8);
  head.writeBigUInt64LE(BigInt(p.length), 16);
  createHash('sha256').update(p.deflated).digest().copy(head, 24);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, Buffer.concat([head, p.deflated]));
    fs.renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only makes the next pack slower.
    fs.rmSync(tmp, { force: true });
  }
}

/** The piece of a large file: from the cache when its sha256 is known and cached, else deflated (and cached). */
function filePiece(e: ArchiveEntry, level: number, cacheDir: string | undefined): Piece {
  const size = sizeOf(e);
  const cached = cacheDir && e.sha256 ? cacheFile(cacheDir, e.sha256, size, level) : undefined;
  if (cached) {
    const p = readCachedPiece(cached, size);
    if (p) return p;
  }
  const data = dataOf(e);
  if (data.length !== size) throw new Error(`${e.file ?? e.name}: changed while it was archived`);
  const p = deflatePiece(data, level);
  // The key must be the sha256 of these bytes (SHA256SUMS could be stale): checked before caching.
  if (cached && createHash('sha256').update(data).digest('hex') === e.sha256) writeCachedPiece(cached, p);
  return p;
}

// --- writers -----------------------------------------------------------------------------------

/** Where archive bytes go: collected in memory, or written to a file while hashing them. */
interface Sink {
  write(b: Buffer): void;
}

function gzipHeader(level: number): Buffer {
  // What zlib writes: no name, mtime 0, XFL 4 (fastest) for levels < 2, 2 for 9; OS 3 (Unix).
  return Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, level < 2 ? 4 : level === 9 ? 2 : 0, 0x03]);
}

function writeTarGz(entries: ArchiveEntry[], level: number, cacheDir: string | undefined, sink: Sink): void {
  sink.write(gzipHeader(level));
  let crc = 0;
  let total = 0;
  let pending: Buffer[] = [];
  const add = (p: Piece) => {
    sink.write(p.deflated);
    crc = crc32Combine(crc, p.crc, p.length);
    total += p.length;
  };
  const flush = (final: boolean) => {
    const raw = Buffer.concat(pending);
    pending = [];
    if (!final && raw.length === 0) return;
    if (final) {
      add({ deflated: zlib.deflateRawSync(raw, { level }), crc: zlib.crc32(raw) >>> 0, length: raw.length });
    } else {
      add(deflatePiece(raw, level));
    }
  };
  for (const e of entries) {
    pending.push(...tarHeaders(e));
    if (isDir(e)) continue;
    const size = sizeOf(e);
    if (size >= PIECE_MIN) {
      flush(false);
      add(filePiece(e, level, cacheDir));
    } else {
      pending.push(dataOf(e));
    }
    pending.push(padding(size));
  }
  pending.push(Buffer.alloc(1024));
  flush(true);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(crc >>> 0, 0);
  tail.writeUInt32LE(total % 0x100000000, 4);
  sink.write(tail);
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01

/** A zip (deflate, or stored when deflate does not help), no zip64 (entries < 4 GiB). */
function writeZip(entries: ArchiveEntry[], level: number, cacheDir: string | undefined, sink: Sink): void {
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const dir = isDir(e);
    const size = sizeOf(e);
    let body: Buffer[] = [];
    let crc = 0;
    let method = 0;
    if (size > 0) {
      const piece = size >= PIECE_MIN ? filePiece(e, level, cacheDir) : deflatePiece(dataOf(e), level);
      crc = piece.crc;
      if (piece.deflated.length + FINAL_BLOCK.length < size) {
        body = [piece.deflated, FINAL_BLOCK];
        method = 8;
      } else {
        body = [dataOf(e)];
      }
    }
    const bodyLen = body.reduce((n, b) => n + b.length, 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(bodyLen, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    sink.write(local);
    sink.write(name);
    for (const b of body) sink.write(b);
    const mode = dir ? 0o40755 : e.executable ? 0o100755 : 0o100644;
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt16LE(DOS_TIME, 12);
    c.writeUInt16LE(DOS_DATE, 14);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(bodyLen, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(0, 30); // extra
    c.writeUInt16LE(0, 32); // comment
    c.writeUInt16LE(0, 34); // disk
    c.writeUInt16LE(0, 36); // internal attributes
    c.writeUInt32LE(((mode << 16) | (dir ? 0x10 : 0)) >>> 0, 38);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += local.length + name.length + bodyLen;
  }
  const centralBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  sink.write(centralBuf);
  sink.write(end);
}

function inMemory(fill: (s: Sink) => void): Buffer {
  const parts: Buffer[] = [];
  fill({ write: (b) => parts.push(b) });
  return Buffer.concat(parts);
}

/** A gzip-compressed ustar archive (gzip header without a name or date: reproducible). */
export function tarGz(entries: ArchiveEntry[], level = 6, opts: Omit<ArchiveOptions, 'level'> = {}): Buffer {
  return inMemory((s) => writeTarGz(entries, level, opts.cacheDir, s));
}

/** A zip archive (deflate, or stored when deflate does not help), no zip64 (entries < 4 GiB). */
export function zip(entries: ArchiveEntry[], level = 6, opts: Omit<ArchiveOptions, 'level'> = {}): Buffer {
  return inMemory((s) => writeZip(entries, level, opts.cacheDir, s));
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Writes the archive of `entries` to `file` (streamed: pieces are written as they are made or
 * read from the cache, through a temp file and a rename) and `file.sha256` (`sha256sum` format).
 * Returns its size and sha256.
 */
export function writeArchive(file: string, kind: 'tar.gz' | 'zip', entries: ArchiveEntry[], opts: ArchiveOptions = {}): { bytes: number; sha256: string } {
  const level = opts.level ?? 6;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const hash = createHash('sha256');
  let bytes = 0;
  const fd = fs.openSync(tmp, 'w');
  try {
    const sink: Sink = {
      write(b) {
        let off = 0;
        while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
        hash.update(b);
        bytes += b.length;
      },
    };
    if (kind === 'zip') writeZip(entries, level, opts.cacheDir, sink);
    else writeTarGz(entries, level, opts.cacheDir, sink);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const sha256 = hash.digest('hex');
  fs.writeFileSync(`${file}.sha256`, `${sha256}  ${path.basename(file)}\n`);
  return { bytes, sha256 };
}

/** Writes `file` and `file.sha256` (`sha256sum` format, so `sha256sum -c` checks it). */
export function writeWithChecksum(file: string, data: Buffer): string {
  fs.writeFileSync(file, data);
  const hex = sha256Hex(data);
  fs.writeFileSync(`${file}.sha256`, `${hex}  ${path.basename(file)}\n`);
  return hex;
}
