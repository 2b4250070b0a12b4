#![no_main]
// cargo fuzz run payload_reader --features libfuzzer   (see ../Cargo.toml)
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    loop_host_fuzz::payload_reader(data);
});
