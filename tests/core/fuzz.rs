//! Random input for the command parser and the content loader, a few
//! thousand cases per run; the fuzz bench runs 100,000 and more.

use super::fuzz_support;

#[test]
fn random_commands_and_damaged_content_never_panic_and_errors_say_what() {
    if let Err(failure) = fuzz_support::run(2_000) {
        panic!("{failure}");
    }
}
