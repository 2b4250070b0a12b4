//! Where an executable image ends (ELF, PE, Mach-O), so that data appended after it — a
//! `loop.pack` payload — is found even when its trailer was cut off, and the kind of
//! executable (`pack` checks `--runtime` against the target). Reads headers only, bounds-checked.

/// A readable file: `read(offset, n)` returns exactly `n` bytes or `None`.
pub trait Source {
    fn len(&self) -> u64;
    fn read(&mut self, offset: u64, n: usize) -> Option<Vec<u8>>;
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read(&mut self, offset: u64, n: usize) -> Option<Vec<u8>> {
        let start = usize::try_from(offset).ok()?;
        self.get(start..start.checked_add(n)?).map(<[u8]>::to_vec)
    }
}

pub struct FileSource {
    pub file: std::fs::File,
    pub len: u64,
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn read(&mut self, offset: u64, n: usize) -> Option<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        if offset.checked_add(n as u64)? > self.len {
            return None;
        }
        self.file.seek(SeekFrom::Start(offset)).ok()?;
        let mut buf = vec![0u8; n];
        self.file.read_exact(&mut buf).ok()?;
        Some(buf)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Elf,
    Pe,
    MachO,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
    Other(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    pub kind: Kind,
    pub arch: Arch,
    /// Size of the image: the end of its last header, section, segment or table.
    pub end: u64,
}

impl Image {
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            Kind::Elf => "ELF",
            Kind::Pe => "PE (Windows)",
            Kind::MachO => "Mach-O",
        };
        let arch = match self.arch {
            Arch::X86_64 => "x86_64".to_string(),
            Arch::Aarch64 => "aarch64".to_string(),
            Arch::Other(m) => format!("machine {m:#x}"),
        };
        format!("{kind} {arch} executable")
    }
}

fn u16le(b: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as u64)
}
fn u32le(b: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as u64)
}
fn u64le(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Parses the executable's headers. `Err` says why the file is not a supported executable
/// (64-bit little-endian ELF, PE32+ or Mach-O).
pub fn image(src: &mut dyn Source) -> Result<Image, String> {
    let len = src.len();
    let head = src
        .read(0, 64.min(len as usize))
        .ok_or("cannot read the file header")?;
    if head.starts_with(b"\x7fELF") {
        elf(src, &head)
    } else if head.starts_with(b"MZ") {
        pe(src, &head)
    } else if head.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) {
        macho(src, &head)
    } else {
        Err("not an executable (no ELF, PE or 64-bit Mach-O header)".into())
    }
}

const MAX_TABLE: u64 = 1 << 16;

fn elf(src: &mut dyn Source, h: &[u8]) -> Result<Image, String> {
    let bad = || "truncated or malformed ELF header".to_string();
    if h.len() < 64 || h[4] != 2 || h[5] != 1 {
        return Err("only 64-bit little-endian ELF executables are supported".into());
    }
    let machine = u16le(h, 0x12).ok_or_else(bad)?;
    let phoff = u64le(h, 0x20).ok_or_else(bad)?;
    let shoff = u64le(h, 0x28).ok_or_else(bad)?;
    let phentsize = u16le(h, 0x36).ok_or_else(bad)?;
    let phnum = u16le(h, 0x38).ok_or_else(bad)?;
    let shentsize = u16le(h, 0x3a).ok_or_else(bad)?;
    let shnum = u16le(h, 0x3c).ok_or_else(bad)?;
    let mut end = 64u64;
    if phnum > 0 {
        if phentsize < 0x38 {
            return Err(bad());
        }
        let table = src
            .read(phoff, (phnum * phentsize) as usize)
            .ok_or_else(bad)?;
        end = end.max(phoff + phnum * phentsize);
        for i in 0..phnum {
            let at = (i * phentsize) as usize;
            let off = u64le(&table, at + 0x08).ok_or_else(bad)?;
            let filesz = u64le(&table, at + 0x20).ok_or_else(bad)?;
            end = end.max(off.checked_add(filesz).ok_or_else(bad)?);
        }
    }
    if shnum > 0 && shoff > 0 {
        if shentsize < 0x40 {
            return Err(bad());
        }
        let table = src
            .read(shoff, (shnum * shentsize) as usize)
            .ok_or_else(bad)?;
        end = end.max(shoff + shnum * shentsize);
        for i in 0..shnum {
            let at = (i * shentsize) as usize;
            let ty = u32le(&table, at + 0x04).ok_or_else(bad)?;
            if ty == 8 {
                continue; // SHT_NOBITS occupies no file space
            }
            let off = u64le(&table, at + 0x18).ok_or_else(bad)?;
            let size = u64le(&table, at + 0x20).ok_or_else(bad)?;
            end = end.max(off.checked_add(size).ok_or_else(bad)?);
        }
    }
    let arch = match machine {
        62 => Arch::X86_64,
        183 => Arch::Aarch64,
        m => Arch::Other(m as u32),
    };
    Ok(Image {
        kind: Kind::Elf,
        arch,
        end,
    })
}

fn pe(src: &mut dyn Source, h: &[u8]) -> Result<Image, String> {
    let bad = || "truncated or malformed PE header".to_string();
    let lfanew = u32le(h, 0x3c).ok_or_else(bad)?;
    let coff = src.read(lfanew, 24).ok_or_else(bad)?;
    if &coff[0..4] != b"PE\0\0" {
        return Err("MZ file without a PE signature".into());
    }
    let machine = u16le(&coff, 4).ok_or_else(bad)?;
    let nsections = u16le(&coff, 6).ok_or_else(bad)?;
    let symptr = u32le(&coff, 12).ok_or_else(bad)?;
    let nsyms = u32le(&coff, 16).ok_or_else(bad)?;
    let opt_size = u16le(&coff, 20).ok_or_else(bad)?;
    let opt_at = lfanew + 24;
    let opt = src.read(opt_at, opt_size as usize).ok_or_else(bad)?;
    let mut end = opt_at + opt_size;
    // PE32+ optional header: SizeOfHeaders at 60, data directories at 112 (entry 4: the
    // certificate table, whose "address" is a file offset).
    if opt_size >= 64 && u16le(&opt, 0) == Some(0x20b) {
        end = end.max(u32le(&opt, 60).ok_or_else(bad)?);
        if opt_size >= 112 + 5 * 8 {
            let cert_off = u32le(&opt, 112 + 4 * 8).ok_or_else(bad)?;
            let cert_len = u32le(&opt, 112 + 4 * 8 + 4).ok_or_else(bad)?;
            if cert_off > 0 && cert_len > 0 {
                end = end.max(cert_off + cert_len);
            }
        }
    }
    if nsections > MAX_TABLE {
        return Err(bad());
    }
    let table_at = opt_at + opt_size;
    let table = src
        .read(table_at, (nsections * 40) as usize)
        .ok_or_else(bad)?;
    end = end.max(table_at + nsections * 40);
    for i in 0..nsections as usize {
        let size = u32le(&table, i * 40 + 16).ok_or_else(bad)?;
        let ptr = u32le(&table, i * 40 + 20).ok_or_else(bad)?;
        if ptr > 0 {
            end = end.max(ptr + size);
        }
    }
    if symptr > 0 {
        // COFF symbol table (18 bytes a symbol) followed by its string table (u32 size first).
        let strtab = symptr + nsyms * 18;
        let size = src
            .read(strtab, 4)
            .and_then(|b| u32le(&b, 0))
            .ok_or_else(bad)?;
        end = end.max(strtab + size.max(4));
    }
    let arch = match machine {
        0x8664 => Arch::X86_64,
        0xaa64 => Arch::Aarch64,
        m => Arch::Other(m as u32),
    };
    Ok(Image {
        kind: Kind::Pe,
        arch,
        end,
    })
}

fn macho(src: &mut dyn Source, h: &[u8]) -> Result<Image, String> {
    let bad = || "truncated or malformed Mach-O header".to_string();
    let cputype = u32le(h, 4).ok_or_else(bad)?;
    let ncmds = u32le(h, 16).ok_or_else(bad)?;
    let sizeofcmds = u32le(h, 20).ok_or_else(bad)?;
    if ncmds > MAX_TABLE || sizeofcmds > (64 << 20) {
        return Err(bad());
    }
    let cmds = src.read(32, sizeofcmds as usize).ok_or_else(bad)?;
    let mut end = 32 + sizeofcmds;
    let mut at = 0usize;
    for _ in 0..ncmds {
        let cmd = u32le(&cmds, at).ok_or_else(bad)?;
        let size = u32le(&cmds, at + 4).ok_or_else(bad)? as usize;
        if size < 8 {
            return Err(bad());
        }
        if cmd == 0x19 {
            // LC_SEGMENT_64: fileoff at 40, filesize at 48
            let off = u64le(&cmds, at + 40).ok_or_else(bad)?;
            let filesz = u64le(&cmds, at + 48).ok_or_else(bad)?;
            end = end.max(off.checked_add(filesz).ok_or_else(bad)?);
        }
        at = at.checked_add(size).ok_or_else(bad)?;
    }
    let arch = match cputype {
        0x0100_0007 => Arch::X86_64,
        0x0100_000c => Arch::Aarch64,
        m => Arch::Other(m as u32),
    };
    Ok(Image {
        kind: Kind::MachO,
        arch,
        end,
    })
}
