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

/// The bot's processes in one run: one, or several replicas sharing one
/// PostgreSQL database, in the order they were started (the first holds
/// the platform's lease). Measured together: CPU summed, peak memory the
/// largest one's.
pub struct Replicas {
    bots: Vec<Bot>,
    /// Each replica's log, readable after the replicas are stopped.
    logs: Vec<PathBuf>,
    /// Each replica's folder (its log, its Matrix store), removed on drop.
    dirs: Vec<tempfile::TempDir>,
}

impl Replicas {
    pub fn new() -> Replicas {
        Replicas {
            bots: Vec::new(),
            logs: Vec::new(),
            dirs: Vec::new(),
        }
    }

    /// Starts one more replica in `dir` (see [`Bot::spawn`]).
    pub fn spawn(
        &mut self,
        program: Program,
        dir: tempfile::TempDir,
        env: &[(&str, String)],
    ) -> anyhow::Result<()> {
        let bot = Bot::spawn(program, dir.path(), env)?;
        self.logs.push(bot.log.clone());
        self.bots.push(bot);
        self.dirs.push(dir);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.logs.len()
    }

    /// The folder of replica `i` (0 is the first started).
    pub fn dir(&self, i: usize) -> &Path {
        self.dirs[i].path()
    }

    /// An error with the end of its log if any replica has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        let several = self.bots.len() > 1;
        for (i, bot) in self.bots.iter_mut().enumerate() {
            bot.check_running().map_err(|error| {
                if several {
                    error.context(format!("replica {}", i + 1))
                } else {
                    error
                }
            })?;
        }
        Ok(())
    }

    /// The end of every replica's log, each under its number when several.
    pub fn log_tail(&self, lines: usize) -> String {
        if let [bot] = self.bots.as_slice() {
            return bot.log_tail(lines);
        }
        self.bots
            .iter()
            .enumerate()
            .map(|(i, bot)| format!("— replica {} —\n{}", i + 1, bot.log_tail(lines)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether replica `i`'s log holds `text`.
    pub fn log_contains(&self, i: usize, text: &str) -> bool {
        std::fs::read_to_string(&self.logs[i]).is_ok_and(|log| log.contains(text))
    }

    /// Each replica's CPU time so far.
    pub fn cpu_each(&self) -> anyhow::Result<Vec<Duration>> {
        self.bots.iter().map(Bot::cpu).collect()
    }

    /// The largest replica's peak resident memory, in KiB.
    pub fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let mut peak = 0;
        for bot in &self.bots {
            peak = peak.max(bot.peak_rss_kib()?);
        }
        Ok(peak)
    }

    /// Lines of every replica's log at WARN and at ERROR.
    pub fn warnings_and_errors(&self) -> (usize, usize) {
        let mut counts = (0, 0);
        for log in &self.logs {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            counts.0 += log.lines().filter(|l| l.contains(" WARN ")).count();
            counts.1 += log.lines().filter(|l| l.contains(" ERROR ")).count();
        }
        counts
    }

    /// With `UPRIGHT_BURST_BOT_LOG` set, copies the log there (replica 1;
    /// replica N to `<path>.N` when there are several). `platform` goes
    /// before the extension when both platforms run.
    pub fn save_logs(&self, platform: Option<&str>) -> anyhow::Result<()> {
        let Some(path) = std::env::var_os("UPRIGHT_BURST_BOT_LOG") else {
            return Ok(());
        };
        let mut path = PathBuf::from(path);
        if let Some(platform) = platform {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            path.set_file_name(format!("{platform}-{name}"));
        }
        for (i, log) in self.logs.iter().enumerate() {
            let target = if i == 0 {
                path.clone()
            } else {
                PathBuf::from(format!("{}.{}", path.display(), i + 1))
            };
            std::fs::copy(log, &target).with_context(|| format!("{}", target.display()))?;
        }
        Ok(())
    }

    /// Stops every replica (killed by PID, see [`Bot`]'s drop).
    pub fn stop(&mut self) {
        self.bots.clear();
    }
}

/// Waits until every replica after the first has connected to the
/// database and stands by (each says "this replica" once it has).
pub async fn wait_for_replicas(bots: &mut Replicas) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        bots.check_running()?;
        if (1..bots.len()).all(|i| bots.log_contains(i, "this replica")) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!(
                "not every replica started within 60 s; their logs end:\n{}",
                bots.log_tail(20)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The report's rows about the processes: which took the platform's lease,
/// each one's CPU over the burst (when several), and their logs' warnings.
pub fn replica_rows(
    bots: &Replicas,
    cpu_before: &[Duration],
    cpu_after: &[Duration],
) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if bots.len() > 1 {
        let holders: Vec<String> = (0..bots.len())
            .filter(|&i| bots.log_contains(i, "took the lease"))
            .map(|i| (i + 1).to_string())
            .collect();
        rows.push((
            "replicas that took the lease".to_string(),
            if holders.is_empty() {
                "none logged it".to_string()
            } else {
                holders.join(", ")
            },
        ));
        let each: Vec<String> = cpu_after
            .iter()
            .zip(cpu_before)
            .map(|(after, before)| format!("{:.2}", after.saturating_sub(*before).as_secs_f64()))
            .collect();
        rows.push((
            "bot CPU over the burst, per replica".to_string(),
            format!("{} s", each.join(" / ")),
        ));
    }
    let (warnings, errors) = bots.warnings_and_errors();
    rows.push((
        "bot log: WARN / ERROR lines".to_string(),
        format!("{warnings} / {errors}"),
    ));
    rows
}
