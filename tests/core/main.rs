//! The core's tests, one binary: everything that needs no platform crate
//! and no server — schedules and DST, content, the store, the CLI and the
//! demo, the engine, its senders and groups against a fake platform, the
//! progress picture, telemetry over HTTP, bad rows, limits, retention and
//! the fuzz properties. Each file is one area, as a module.

#[path = "../common/mod.rs"]
mod common;
#[path = "../fuzz_support/mod.rs"]
mod fuzz_support;

mod bad_rows;
mod cli;
mod code_map;
mod content;
mod demo;
mod early_reactions;
mod engine;
mod fuzz;
mod groups;
mod limits;
mod progress;
mod retention;
mod schedule_dst;
mod senders;
mod shape;
mod store;
mod telemetry;
