//! The Discord tests, one binary: the real adapter against the fake Discord
//! (`tests/discord_fake/`, feature `discord`), and the OpenAPI checker the
//! fake relies on, which needs no platform crate and runs in every build.

#[path = "../common/mod.rs"]
mod common;
#[path = "../discord_fake/mod.rs"]
mod discord_fake;

#[cfg(feature = "discord")]
mod discord;
mod discord_spec;
