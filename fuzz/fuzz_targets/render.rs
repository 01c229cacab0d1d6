//! Every report format over random findings on random text (render_world.rs): spans anywhere and
//! past the end, lines past column 65,535, many lines, any bytes in the text and the messages,
//! related labels in several files, any terminal width. Never panics (a panic inside miette, which
//! the human format survives, aborts here as any panic does); JSON and SARIF parse with each
//! finding's position, JUnit is well-formed XML, GitHub and plain write one line per finding.

#![no_main]

mod render_world;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|world: render_world::World| render_world::check(world, 1 << 20));
