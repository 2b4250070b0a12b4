//! The fallback of the `payload_reader` fuzz target for machines without cargo-fuzz (it needs
//! a nightly compiler or RUSTC_BOOTSTRAP and libFuzzer): the same target function over random
//! bytes and mutations of a well-formed packed file, for LOOP_FUZZ_SECONDS (default 60 s;
//! LOOP_FUZZ_SEED to replay). Coverage-blind, but it runs everywhere `cargo test` does.
use loop_host_fuzz::{payload_reader, seed_file};
use std::time::{Duration, Instant};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn mutate(rng: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => { let i = rng.below(b.len()); b[i] ^= 1 << rng.below(8); }
            1 => b.truncate(at),
            2 => { let n = 1 + rng.below(16); let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect(); b.splice(at..at, bytes); }
            3 if at < b.len() => { let n = (1 + rng.below(16)).min(b.len() - at); b.drain(at..at + n); }
            // Interesting integers where lengths and offsets live (LE u64 / u32).
            4 if at + 8 <= b.len() => { let v = [0u64, 1, 31, 32, 63, 64, u32::MAX as u64, u64::MAX, u64::MAX / 2, b.len() as u64][rng.below(10)]; b[at..at + 8].copy_from_slice(&v.to_le_bytes()); }
            5 if at + 4 <= b.len() => { let v = [0u32, 1, 2, u32::MAX][rng.below(4)]; b[at..at + 4].copy_from_slice(&v.to_le_bytes()); }
            _ => { let i = rng.below(b.len().max(1)); if let Some(x) = b.get_mut(i) { *x = rng.next() as u8; } }
        }
    }
    b
}

#[test]
fn payload_reader_survives_mutated_and_random_input() {
    let seconds: u64 = std::env::var("LOOP_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = std::env::var("LOOP_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    eprintln!("payload_reader fuzz fallback: {seconds} s, LOOP_FUZZ_SEED={seed}");
    let base = seed_file();
    payload_reader(&base);
    let mut rng = Rng(seed);
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        for _ in 0..256 {
            let input = if rng.below(8) == 0 {
                (0..rng.below(300)).map(|_| rng.next() as u8).collect()
            } else {
                mutate(&mut rng, base.clone())
            };
            payload_reader(&input);
            runs += 1;
        }
    }
    eprintln!("payload_reader fuzz fallback: {runs} inputs, no panic");
}

/// `LOOP_FUZZ_WRITE_SEED=<dir>`: writes the well-formed packed file (with its compressed code
/// section) into `<dir>` as the seed of a libFuzzer corpus, so that coverage-guided runs start
/// from a payload that reaches the index and the decompression instead of random bytes.
#[test]
fn writes_the_seed_corpus_when_asked() {
    if let Some(dir) = std::env::var_os("LOOP_FUZZ_WRITE_SEED") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("seed-packed-file"), seed_file()).unwrap();
    }
}
