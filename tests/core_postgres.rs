//! tests/core again, with every bot on a fresh database of one throwaway
//! PostgreSQL server (see tests/common/database.rs): the engine, its
//! senders, groups, commands and store under the same tests on both engines.

#[path = "core/main.rs"]
mod core_tests;
