//! The real `upright` binary as a child process: started with the bench's
//! environment in a temporary folder, measured through /proc, killed (by
//! its PID) when dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

pub struct Bot {
    child: Child,
    log: PathBuf,
    ticks_per_second: f64,
}

/// Kernel clock ticks per second, for /proc/<pid>/stat (100 nearly always).
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// Which bot the bench drives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// The real `upright` binary.
    Upright,
    /// `reference_bot.py`: the least a Matrix bot can do in the same flow,
    /// to show what the homeserver itself allows.
    Reference,
}

impl Program {
    pub fn name(self) -> &'static str {
        match self {
            Program::Upright => "upright",
            Program::Reference => "reference (reference_bot.py)",
        }
    }

    fn command(self) -> Command {
        match self {
            Program::Upright => {
                let mut command = Command::new(env!("CARGO_BIN_EXE_upright"));
                command.arg("run");
                command
            }
            Program::Reference => {
                let mut command = Command::new("python3");
                command.arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/benches/burst/reference_bot.py"
                ));
                command
            }
        }
    }
}

impl Bot {
    /// `program` in `dir` (so no `.env` of this checkout is read), with
    /// `env` on top of this process's environment minus every Discord,
    /// Matrix and Upright setting (`UPRIGHT_SEND_CONCURRENCY` passes through).
    pub fn spawn(program: Program, dir: &Path, env: &[(&str, String)]) -> anyhow::Result<Bot> {
        let log = dir.join("bot.log");
        let out = File::create(&log).with_context(|| format!("{}", log.display()))?;
        let mut command = program.command();
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        for (key, _) in std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))) {
            let ours = key.starts_with("DISCORD_")
                || key.starts_with("MATRIX_")
                || (key.starts_with("UPRIGHT_") && key != "UPRIGHT_SEND_CONCURRENCY");
            if ours {
                command.env_remove(&key);
            }
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().context("cannot start the upright binary")?;
        Ok(Bot {
            child,
            log,
            ticks_per_second: ticks_per_second(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error with the end of the bot's log if it has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "the bot exited ({status}); its log ends:\n{}",
                self.log_tail(30)
            );
        }
        Ok(())
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// User + system CPU time so far (utime + stime of /proc/<pid>/stat).
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        let path = format!("/proc/{}/stat", self.pid());
        let stat = std::fs::read_to_string(&path).with_context(|| path.clone())?;
        // The command name may hold spaces: fields are counted after its `)`.
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .context("unexpected /proc/<pid>/stat")?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        // Field 3 (state) is fields[0]; utime and stime are fields 14 and 15.
        let ticks = |n: usize| -> anyhow::Result<f64> {
            Ok(fields
                .get(n - 3)
                .context("short /proc/<pid>/stat")?
                .parse::<f64>()?)
        };
        let seconds = (ticks(14)? + ticks(15)?) / self.ticks_per_second;
        Ok(Duration::from_secs_f64(seconds))
    }

    /// Peak resident memory (VmHWM of /proc/<pid>/status), in KiB.
    pub fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.pid());
        let status = std::fs::read_to_string(&path).with_context(|| path.clone())?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .context("no VmHWM in /proc/<pid>/status")
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        // Kills this child by its PID (SIGKILL), then reaps it. An error
        // only means it has already exited.
        if self.child.try_wait().ok().flatten().is_none()
            && let Err(error) = self.child.kill()
        {
            eprintln!("cannot stop the bot (pid {}): {error}", self.pid());
        }
        if let Err(error) = self.child.wait() {
            eprintln!("cannot reap the bot (pid {}): {error}", self.pid());
        }
    }
}
