//! The `render` fuzz target's world (fuzz/fuzz_targets/render_world.rs) under `cargo test`: decoded
//! from pseudo-random bytes of a fixed seed, so that every run checks the same few thousand inputs
//! without nightly or cargo-fuzz.

#[path = "../fuzz/fuzz_targets/render_world.rs"]
mod render_world;

use arbitrary::{Arbitrary, Unstructured};
use std::sync::atomic::{AtomicBool, Ordering};

const INPUTS: usize = 3_000;
/// Less text per world than the fuzz target allows, so that the debug build stays quick; enough
/// for columns past 65,535 (src/report/extremes.rs has a million lines and a 1 MB line).
const MAX_TEXT: usize = 96 * 1024;

/// SplitMix64.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

static PANICKED: AtomicBool = AtomicBool::new(false);

#[test]
fn random_worlds_render_in_every_format() {
    // The human format survives a panic inside miette by writing the finding plainly; like libFuzzer,
    // count any panic as a failure.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        report(info);
    }));
    let mut random = Random(0x6d65_7368_6374_6c00);
    let mut decoded = 0;
    for i in 0..INPUTS {
        let len = (random.next() % 4096) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| random.next() as u8).collect();
        let Ok(world) = render_world::World::arbitrary_take_rest(Unstructured::new(&bytes)) else { continue };
        decoded += 1;
        render_world::check(world, MAX_TEXT);
        assert!(!PANICKED.load(Ordering::SeqCst), "input {i} panicked: {bytes:?}");
    }
    assert!(decoded > INPUTS / 2, "only {decoded} of {INPUTS} inputs made a world");
}
