//! Durations as people and `.env` files write them: `90s`, `10m`, `2h`, `1d`.

use chrono::Duration;

use crate::i18n::Language;

/// Parses `<number><unit>` with unit `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let problem = || {
        format!(
            "`{text}` is not a duration; write a number and a unit, like `90s`, `10m`, `2h` or `1d`"
        )
    };
    let amount: i64 = number.parse().map_err(|_| problem())?;
    let duration = match unit.trim() {
        "s" | "sec" | "secs" => Duration::try_seconds(amount),
        "m" | "min" | "mins" => Duration::try_minutes(amount),
        "h" | "hour" | "hours" => Duration::try_hours(amount),
        "d" | "day" | "days" => Duration::try_days(amount),
        _ => None,
    };
    duration.ok_or_else(problem)
}

/// Writes a duration the way people say it: `3 min`, `2 h 5 min` (the
/// units read the same in every language Upright speaks).
pub fn describe(lang: Language, duration: Duration) -> String {
    let minutes = duration.num_minutes();
    if minutes < 1 {
        return crate::tr!(lang, "duration-less-than-a-minute");
    }
    let (days, hours, minutes) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} d"));
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if minutes > 0 && days == 0 {
        parts.push(format!("{minutes} min"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::minutes(10)));
        assert_eq!(parse_duration("2h"), Ok(Duration::hours(2)));
        assert_eq!(parse_duration("1d"), Ok(Duration::days(1)));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-5m").is_err());
    }

    #[test]
    fn describes_for_people() {
        assert_eq!(
            describe(Language::En, Duration::seconds(30)),
            "less than a minute"
        );
        assert_eq!(describe(Language::En, Duration::minutes(3)), "3 min");
        assert_eq!(describe(Language::En, Duration::minutes(125)), "2 h 5 min");
        assert_eq!(describe(Language::En, Duration::hours(49)), "2 d 1 h");
    }
}
