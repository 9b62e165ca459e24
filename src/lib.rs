//! Upright coaches people with upper back pain through a daily routine of
//! five exercises, on Discord and Matrix.
//!
//! How the parts fit together:
//!
//! - [`content`] loads what the bot says (routines, topics) from `content/`.
//! - [`schedule`] turns "07:30 Europe/Berlin weekdays" into session instants,
//!   with an explicit daylight-saving policy.
//! - [`store`] is the SQLite database: members, subscriptions, sessions, the
//!   delivery outbox and check-ins, migrated from `migrations/`.
//! - [`engine`] is the bot itself: it starts due sessions, writes every message
//!   to the outbox before handing it to a [`engine::Platform`], paces the
//!   exercises, and turns reactions into check-ins.
//! - [`coaching`] decides each day's load, counts streaks and rests an
//!   exercise that keeps hurting: pure rules over a member's history.
//! - [`progress`] draws the 12-week calendar picture; [`trends`] the 8 weeks
//!   of each exercise.
//! - [`commands`] answers member commands with platform-neutral [`message::Reply`]s.
//! - [`console`] is a platform in the terminal, used by `upright demo`.
//! - `matrix` and `discord` (features of the same names) are the adapters:
//!   incoming commands and reactions go to the engine; each implements the
//!   platform the engine sends through.
//! - [`ordered`] runs a platform's incoming events in order per room, off its
//!   receiving loop; [`checkpoint`] says when the stream position may be
//!   saved (once the work made from the events before it is done).
//! - [`telemetry`] counts what happens for Prometheus and says whether the
//!   bot is healthy (`/metrics`, `/healthz`).
//! - [`app`] wires the engine and the configured platforms for `upright run`.
//!
//! Data flows one way: a platform adapter turns an incoming event into a
//! command or a reaction for the engine; the engine answers with messages it
//! first records in the outbox, then sends through the platform.

// matrix-sdk's sync future is deeper than the default limit for `Send` checks.
#![recursion_limit = "256"]

pub mod app;
pub mod budget;
pub mod check_in;
pub mod checkpoint;
pub mod clock;
pub mod coaching;
pub mod commands;
pub mod config;
pub mod console;
pub mod content;
pub mod conventions;
pub mod demo;
#[cfg(feature = "discord")]
pub mod discord;
pub mod doctor;
pub mod duration;
pub mod engine;
pub mod http;
#[cfg(feature = "matrix")]
pub mod matrix;
pub mod message;
pub mod ordered;
pub mod progress;
pub mod retry;
pub mod schedule;
pub mod store;
pub mod telemetry;
pub mod trends;
