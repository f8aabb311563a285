//! cargo-fuzz target: see `pelita_fuzz::feeds_preset`.
//! Outside `cargo fuzz` (no `--cfg fuzzing`) this builds as a reproducer
//! that runs the target over the files named on the command line.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pelita_fuzz::feeds_preset(data));

#[cfg(not(fuzzing))]
fn main() {
    pelita_fuzz::reproduce(pelita_fuzz::feeds_preset);
}
