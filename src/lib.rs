//! Upright coaches people with upper back pain through a daily routine of
//! five exercises, on Discord and Matrix.
//!
//! The modules, in the order data flows through them:
//!
//! 1. Starting up. [`config`] reads the environment (with [`duration`] for
//!    `2h`-style values); [`content`] loads what the bot says (routines,
//!    topics) from `content/`; [`app`] wires the engine and the configured
//!    platforms for `upright run`, [`demo`] for `upright demo`, and
//!    [`doctor`] checks everything for `upright doctor`.
//! 2. Events in. `discord` and `matrix` (features of the same names) are the
//!    adapters, [`console`] the terminal's: each turns an incoming message
//!    or reaction into a command or a check-in. [`ordered`] runs a
//!    platform's events in order per room, off its receiving loop, and
//!    [`checkpoint`] says when its stream position may be saved.
//! 3. Understanding them. [`commands`] parses and answers member commands
//!    (with [`budget`] against floods); [`check_in`] names the three
//!    check-in reactions.
//! 4. Deciding. [`engine`] is the bot itself: it starts due sessions (times
//!    from [`schedule`], "now" from [`clock`]), paces exercises, turns
//!    reactions into check-ins and runs groups; [`coaching`] holds the pure
//!    rules over a member's history (loads, streaks, rest after pain);
//!    [`progress`] and [`trends`] draw pictures of it.
//! 5. Remembering. [`store`] is the SQLite database behind it all: members,
//!    subscriptions, sessions, the outbox and check-ins, migrated from
//!    `migrations/`, with writes retried through [`retry`]'s backoff.
//! 6. Messages out. The engine writes every message to the outbox first,
//!    then sends it through its platform as a [`message::Message`], shown
//!    the platform's way ([`conventions`]).
//! 7. Watching. [`telemetry`] counts what happens and judges the bot's
//!    health; [`http`] serves both (`/metrics`, `/healthz`).

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
pub mod i18n;
#[cfg(feature = "matrix")]
pub mod matrix;
pub mod message;
pub mod ordered;
pub mod progress;
pub mod replica;
pub mod retry;
pub mod schedule;
pub mod store;
pub mod telemetry;
pub mod trends;
