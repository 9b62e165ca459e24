//! What one run measured, and the table that shows it.

use std::time::Duration;

/// The figures of one platform's run.
pub struct Report {
    pub platform: &'static str,
    /// The bot's database engine: `SQLite` or `PostgreSQL`.
    pub database: &'static str,
    /// The bot's processes sharing that database.
    pub replicas: usize,
    pub members: usize,
    pub commands_sent: usize,
    pub commands_answered: usize,
    /// Per answered command: from its dispatch to its answer reaching the server.
    pub command_latency: Vec<Duration>,
    /// Per member who got one: from the minute to their session's first message.
    pub first_message_after_minute: Vec<Duration>,
    /// Members without a first session message.
    pub missing: usize,
    /// Members who got their first session message more than once.
    pub duplicated: usize,
    /// The bot's user + system CPU time from just before the minute to the
    /// end, every replica's together.
    pub bot_cpu: Duration,
    /// The bot's peak resident memory (VmHWM), the largest replica's.
    pub bot_peak_rss_kib: u64,
    /// Platform-specific rows, in order.
    pub extra: Vec<(String, String)>,
}

/// The `p`-th percentile (0–100), nearest rank; `None` when there is nothing.
pub fn percentile(values: &[Duration], p: f64) -> Option<Duration> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub fn max(values: &[Duration]) -> Option<Duration> {
    values.iter().max().copied()
}

/// `85 ms` below a second, `12.34 s` above.
pub fn duration(value: Duration) -> String {
    if value < Duration::from_secs(1) {
        format!("{} ms", value.as_millis())
    } else {
        format!("{:.2} s", value.as_secs_f64())
    }
}

/// `count` over `span`, per second; `—` without a span.
fn per_second(count: usize, span: Option<Duration>) -> String {
    match span {
        Some(span) if !span.is_zero() => format!("{:.1}/s", count as f64 / span.as_secs_f64()),
        _ => "—".to_string(),
    }
}

fn optional(value: Option<Duration>) -> String {
    value.map_or_else(|| "—".to_string(), duration)
}

impl Report {
    fn rows(&self) -> Vec<(String, String)> {
        let latency = &self.command_latency;
        let first = &self.first_message_after_minute;
        let mut rows = vec![
            ("bot database".to_string(), self.database.to_string()),
            (
                "bot processes".to_string(),
                match self.replicas {
                    1 => "1".to_string(),
                    n => format!("{n} replicas"),
                },
            ),
            ("members".to_string(), self.members.to_string()),
            (
                "commands answered / sent".into(),
                format!("{} / {}", self.commands_answered, self.commands_sent),
            ),
            (
                "command latency p50 / max".into(),
                format!(
                    "{} / {}",
                    optional(percentile(latency, 50.0)),
                    optional(max(latency))
                ),
            ),
            (
                "first message after the minute p50".into(),
                optional(percentile(first, 50.0)),
            ),
            (
                "first message after the minute p95".into(),
                optional(percentile(first, 95.0)),
            ),
            (
                "first message after the minute max".into(),
                optional(max(first)),
            ),
            (
                "first messages per second (delivered / max)".into(),
                per_second(first.len(), max(first)),
            ),
            (
                "missing / duplicated".into(),
                format!("{} / {}", self.missing, self.duplicated),
            ),
            (
                "bot CPU over the burst".into(),
                format!("{:.2} s", self.bot_cpu.as_secs_f64()),
            ),
            (
                "bot peak RSS".into(),
                format!(
                    "{:.1} MiB{}",
                    self.bot_peak_rss_kib as f64 / 1024.0,
                    if self.replicas > 1 {
                        " (largest replica)"
                    } else {
                        ""
                    }
                ),
            ),
        ];
        rows.extend(self.extra.iter().cloned());
        rows
    }
}

/// One column per report; a row a report lacks shows `—`.
pub fn print_table(reports: &[Report]) {
    let columns: Vec<Vec<(String, String)>> = reports.iter().map(Report::rows).collect();
    let mut labels: Vec<String> = Vec::new();
    for rows in &columns {
        for (label, _) in rows {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
    }
    let cell = |column: &Vec<(String, String)>, label: &str| {
        column
            .iter()
            .find(|(l, _)| l == label)
            .map_or_else(|| "—".to_string(), |(_, v)| v.clone())
    };
    let label_width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max("burst".len());
    let widths: Vec<usize> = reports
        .iter()
        .zip(&columns)
        .map(|(report, column)| {
            labels
                .iter()
                .map(|label| cell(column, label).chars().count())
                .chain([report.platform.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let pad = |text: &str, width: usize| {
        let len = text.chars().count();
        format!("{text}{}", " ".repeat(width.saturating_sub(len)))
    };
    let mut header = pad("burst", label_width);
    for (report, width) in reports.iter().zip(&widths) {
        header.push_str(" | ");
        header.push_str(&pad(report.platform, *width));
    }
    println!("{}", header.trim_end());
    let rule: usize = label_width + widths.iter().map(|w| w + 3).sum::<usize>();
    println!("{}", "-".repeat(rule));
    for label in &labels {
        let mut line = pad(label, label_width);
        for (column, width) in columns.iter().zip(&widths) {
            line.push_str(" | ");
            line.push_str(&pad(&cell(column, label), *width));
        }
        println!("{}", line.trim_end());
    }
}
