//! The fuzz properties at volume: `cargo bench --bench fuzz -- --cases 100000`
//! (default 100,000 cases per property). Prints the cases run and the time.

#[path = "../tests/fuzz_support/mod.rs"]
mod fuzz_support;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let cases = args
        .iter()
        .position(|a| a == "--cases")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let started = std::time::Instant::now();
    let outcome = fuzz_support::run(cases);
    println!("| property | cases | outcome |");
    println!("|---|---|---|");
    let verdict = if outcome.is_ok() {
        "no panic, every error specific"
    } else {
        "FAILED"
    };
    println!("| command parsing | {cases} | {verdict} |");
    println!("| content loading | {cases} | {verdict} |");
    println!("{:.1} s in all", started.elapsed().as_secs_f64());
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}
