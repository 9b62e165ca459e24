//! When sessions happen: parsing what members type, storing it as a cron
//! expression plus a zone, and computing session instants under an explicit
//! daylight-saving policy.
//!
//! The policy (SPEC.md, Time):
//! - a local time that does not exist (spring gap) runs shifted forward by the
//!   length of the gap — 02:30 becomes 03:30;
//! - a local time that exists twice (autumn overlap) runs once, at the first;
//! - never two sessions on one local date: in the rare zones whose gap
//!   crosses midnight (23:00 → 00:00), a session the shift would carry into
//!   the next day is dropped for that day.
//!
//! `cron` is used to enumerate matching *dates* on a wall clock without
//! transitions (UTC stands in for "local naive time"); each wall-clock time is
//! then placed into the real zone here. The `cron` iterator on a real zone skips
//! gap days and fires twice on overlap days, so it is never used that way.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

use crate::i18n::{Language, dates};
use crate::tr;

/// A set of weekdays, Monday first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl Weekdays {
    pub const DAILY: Weekdays = Weekdays(0b111_1111);
    pub const WEEKDAYS: Weekdays = Weekdays(0b001_1111);
    pub const WEEKENDS: Weekdays = Weekdays(0b110_0000);
    pub const SUNDAY: Weekdays = Weekdays(0b100_0000);

    fn bit(day: Weekday) -> u8 {
        1 << day.num_days_from_monday()
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & Self::bit(day) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        WEEK.into_iter().filter(move |d| self.contains(*d))
    }

    fn from_days(days: impl IntoIterator<Item = Weekday>) -> Weekdays {
        Weekdays(days.into_iter().fold(0, |acc, d| acc | Self::bit(d)))
    }

    /// The day-of-week field of a cron expression, with day names (the `cron`
    /// crate numbers Sunday as 1, so numbers invite mistakes).
    fn cron_field(self) -> String {
        if self == Self::DAILY {
            return "*".to_string();
        }
        self.iter()
            .map(|d| format!("{d:?}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `daily`, `weekdays`, `weekends` or `Mon, Wed, Fri`, in `lang`.
    pub fn describe(self, lang: Language) -> String {
        match self {
            Self::DAILY => tr!(lang, "cmd-days-daily"),
            Self::WEEKDAYS => tr!(lang, "cmd-days-weekdays"),
            Self::WEEKENDS => tr!(lang, "cmd-days-weekends"),
            days => {
                let names: Vec<String> =
                    days.iter().map(|d| dates::weekday_short(lang, d)).collect();
                names.join(", ")
            }
        }
    }
}

impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Language::En))
    }
}

impl fmt::Debug for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Weekdays({self})")
    }
}

/// A mistake in what a member typed, worded for the member in their
/// language by [`InputError::message`]; `Display` is the English one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    NotATime(String),
    HourOutOfRange(u32),
    MinuteOutOfRange(u32),
    UnknownZone {
        input: String,
        suggestions: Vec<String>,
    },
    AmbiguousZone {
        input: String,
        candidates: Vec<String>,
    },
    UnknownDay(String),
}

impl InputError {
    /// What went wrong and what would work, in `lang`.
    pub fn message(&self, lang: Language) -> String {
        match self {
            InputError::NotATime(input) => {
                tr!(lang, "cmd-input-not-a-time", input = input.as_str())
            }
            InputError::HourOutOfRange(hour) => tr!(lang, "cmd-input-hour", hour = *hour),
            InputError::MinuteOutOfRange(minute) => {
                tr!(lang, "cmd-input-minute", minute = *minute)
            }
            InputError::UnknownZone { input, suggestions } if suggestions.is_empty() => {
                tr!(lang, "cmd-input-unknown-zone", input = input.as_str())
            }
            InputError::UnknownZone { input, suggestions } => {
                let or = format!(" {} ", tr!(lang, "cmd-input-or"));
                tr!(
                    lang,
                    "cmd-input-unknown-zone-suggest",
                    input = input.as_str(),
                    suggestions = suggestions.join(&or)
                )
            }
            InputError::AmbiguousZone { input, candidates } => tr!(
                lang,
                "cmd-input-ambiguous-zone",
                input = input.as_str(),
                candidates = candidates.join(", ")
            ),
            InputError::UnknownDay(input) => {
                tr!(lang, "cmd-input-unknown-day", input = input.as_str())
            }
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Language::En))
    }
}

impl std::error::Error for InputError {}

/// Parses `07:30`, `7:30`, `7:30am`, `7 pm`, `12:00am` into a wall-clock time.
pub fn parse_time(input: &str) -> Result<NaiveTime, InputError> {
    let cleaned: String = input
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    let not_a_time = || InputError::NotATime(input.trim().to_string());
    let (digits, meridiem) = if let Some(rest) = cleaned.strip_suffix("am") {
        (rest, Some(false))
    } else if let Some(rest) = cleaned.strip_suffix("pm") {
        (rest, Some(true))
    } else {
        (cleaned.as_str(), None)
    };
    let (hour_text, minute_text) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if meridiem.is_some() => (digits, "00"),
        None => return Err(not_a_time()),
    };
    let is_number =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !is_number(hour_text) || !is_number(minute_text) || minute_text.len() != 2 {
        return Err(not_a_time());
    }
    let hour: u32 = hour_text.parse().map_err(|_| not_a_time())?;
    let minute: u32 = minute_text.parse().map_err(|_| not_a_time())?;
    if minute > 59 {
        return Err(InputError::MinuteOutOfRange(minute));
    }
    let hour = match meridiem {
        None if hour <= 23 => hour,
        None => return Err(InputError::HourOutOfRange(hour)),
        Some(_) if !(1..=12).contains(&hour) => return Err(InputError::HourOutOfRange(hour)),
        Some(pm) => hour % 12 + if pm { 12 } else { 0 },
    };
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(not_a_time)
}

/// Parses an IANA zone name case-insensitively, or a city that names exactly
/// one zone (`berlin` → `Europe/Berlin`, `new york` → `America/New_York`).
pub fn parse_zone(input: &str) -> Result<Tz, InputError> {
    let wanted = input.trim().replace(' ', "_");
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(&wanted))
    {
        return Ok(*tz);
    }
    let city_of = |tz: &Tz| tz.name().rsplit('/').next().unwrap_or_default().to_string();
    let matches: Vec<Tz> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|tz| city_of(tz).eq_ignore_ascii_case(&wanted))
        .copied()
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => {
            let needle = wanted.to_ascii_lowercase();
            let suggestions = if needle.len() >= 3 {
                chrono_tz::TZ_VARIANTS
                    .iter()
                    .filter(|tz| tz.name().to_ascii_lowercase().contains(&needle))
                    .take(3)
                    .map(|tz| tz.name().to_string())
                    .collect()
            } else {
                Vec::new()
            };
            Err(InputError::UnknownZone {
                input: input.trim().to_string(),
                suggestions,
            })
        }
        many => Err(InputError::AmbiguousZone {
            input: input.trim().to_string(),
            candidates: many.iter().map(|tz| tz.name().to_string()).collect(),
        }),
    }
}

/// Parses `daily`, `weekdays`, `weekends`, or a list such as `mon,wed,fri`
/// (full names and spaces also accepted).
pub fn parse_days(input: &str) -> Result<Weekdays, InputError> {
    let lowered = input.trim().to_ascii_lowercase();
    match lowered.as_str() {
        "daily" | "every day" | "everyday" | "all" => return Ok(Weekdays::DAILY),
        "weekdays" | "workdays" => return Ok(Weekdays::WEEKDAYS),
        "weekends" | "weekend" => return Ok(Weekdays::WEEKENDS),
        _ => {}
    }
    let days = lowered
        .split([',', ' '])
        .filter(|part| !part.is_empty())
        .map(|part| {
            Weekday::from_str(part)
                .ok()
                .filter(|_| part.len() >= 3)
                .ok_or_else(|| InputError::UnknownDay(part.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if days.is_empty() {
        return Err(InputError::UnknownDay(input.trim().to_string()));
    }
    Ok(Weekdays::from_days(days))
}

/// One session instant: the local date it belongs to and when it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub local_date: NaiveDate,
    pub at: DateTime<Utc>,
}

/// A daily local time on some weekdays in one zone (`Display`: English).
#[derive(Clone)]
pub struct Schedule {
    time: NaiveTime,
    days: Weekdays,
    zone: Tz,
    cron: cron::Schedule,
}

/// A stored schedule that no longer parses (a hand-edited database row).
#[derive(Debug, thiserror::Error)]
pub enum StoredScheduleError {
    #[error("cron expression `{0}`: {1}")]
    Cron(String, String),
    #[error("cron expression `{0}` must name one time and at least one weekday")]
    NotDaily(String),
    #[error("time zone `{0}` is unknown")]
    Zone(String),
}

impl Schedule {
    pub fn new(time: NaiveTime, days: Weekdays, zone: Tz) -> Schedule {
        let days = if days.is_empty() {
            Weekdays::DAILY
        } else {
            days
        };
        let time = time.with_second(0).unwrap_or(time);
        let expression = format!(
            "0 {} {} * * {}",
            time.minute(),
            time.hour(),
            days.cron_field()
        );
        let cron = match cron::Schedule::from_str(&expression) {
            Ok(cron) => cron,
            // Every expression built above is valid; a daily one is the safe fallback.
            Err(_) => Self::daily_fallback(time),
        };
        Schedule {
            time,
            days,
            zone,
            cron,
        }
    }

    fn daily_fallback(time: NaiveTime) -> cron::Schedule {
        let expression = format!("0 {} {} * * *", time.minute(), time.hour());
        cron::Schedule::from_str(&expression).unwrap_or_else(|_| {
            cron::Schedule::from_str("0 0 0 * * *").unwrap_or_else(|_| unreachable!())
        })
    }

    /// Rebuilds a schedule from its stored form (`cron` expression + zone name).
    pub fn from_stored(expression: &str, zone: &str) -> Result<Schedule, StoredScheduleError> {
        let cron = cron::Schedule::from_str(expression)
            .map_err(|e| StoredScheduleError::Cron(expression.to_string(), e.to_string()))?;
        let zone: Tz = zone
            .parse()
            .map_err(|_| StoredScheduleError::Zone(zone.to_string()))?;
        let single = |values: Vec<u32>| match values.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        use cron::TimeUnitSpec;
        let hour = single(cron.hours().iter().collect());
        let minute = single(cron.minutes().iter().collect());
        // cron numbers weekdays from Sunday = 1.
        let days = Weekdays::from_days(
            cron.days_of_week()
                .iter()
                .filter_map(|n| Weekday::try_from(((n + 5) % 7) as u8).ok()),
        );
        let time = hour
            .zip(minute)
            .and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0))
            .filter(|_| !days.is_empty())
            .ok_or_else(|| StoredScheduleError::NotDaily(expression.to_string()))?;
        Ok(Schedule {
            time,
            days,
            zone,
            cron,
        })
    }

    pub fn time(&self) -> NaiveTime {
        self.time
    }

    pub fn days(&self) -> Weekdays {
        self.days
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// `07:30 weekdays (Europe/Berlin)` as a member reads it in `lang`.
    pub fn describe(&self, lang: Language) -> String {
        tr!(
            lang,
            "cmd-schedule",
            time = self.time.format("%H:%M").to_string(),
            days = self.days.describe(lang),
            zone = self.zone.name()
        )
    }

    /// The 6-field cron expression stored in the database.
    pub fn cron_expression(&self) -> &str {
        self.cron.source()
    }

    /// The first session strictly after `from`.
    pub fn next_after(&self, from: DateTime<Utc>) -> Option<Occurrence> {
        let from_local_date = from.with_timezone(&self.zone).date_naive();
        // Start a little before `from`'s local date: an occurrence on that date may
        // still lie ahead, and shifted gap times may move across midnight.
        let start = from_local_date.checked_sub_signed(Duration::days(2))?;
        let start = Utc.from_utc_datetime(&start.and_time(NaiveTime::MIN));
        self.cron
            .after(&start)
            // A wrong expression could match nothing; no daily schedule needs more.
            .take(800)
            .map(|wall| {
                let wall = wall.naive_utc();
                Occurrence {
                    local_date: wall.date(),
                    at: self.place(wall),
                }
            })
            // A gap shift that would carry a session into the next local date
            // (zones jumping from 23:00 to 00:00) drops that day's session, so
            // no date ever gets two.
            .filter(|occurrence| self.local(occurrence.at).date_naive() == occurrence.local_date)
            .find(|occurrence| occurrence.at > from)
    }

    /// The sessions after `from`, in order.
    pub fn occurrences_after(&self, from: DateTime<Utc>) -> impl Iterator<Item = Occurrence> + '_ {
        std::iter::successors(self.next_after(from), move |previous| {
            self.next_after(previous.at)
        })
    }

    /// Local date and time of an instant in this schedule's zone.
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Tz> {
        at.with_timezone(&self.zone)
    }

    /// Places a wall-clock time into the zone under the DST policy.
    fn place(&self, wall: NaiveDateTime) -> DateTime<Utc> {
        match self.zone.from_local_datetime(&wall) {
            LocalResult::Single(at) => at.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            LocalResult::None => self.shift_past_gap(wall),
        }
    }

    /// A wall time inside a gap, read with the offset in force before the gap,
    /// lands exactly the gap's length later on the clock.
    fn shift_past_gap(&self, wall: NaiveDateTime) -> DateTime<Utc> {
        let day_before = Utc.from_utc_datetime(&(wall - Duration::days(1)));
        let offset_before = self
            .zone
            .offset_from_utc_datetime(&day_before.naive_utc())
            .fix()
            .local_minus_utc();
        let shifted = Utc.from_utc_datetime(&(wall - Duration::seconds(offset_before.into())));
        if shifted.with_timezone(&self.zone).naive_local() > wall {
            return shifted;
        }
        // Zones with two transitions within a day: take the first minute after the gap.
        (1..=48 * 60)
            .map(|minutes| wall + Duration::minutes(minutes))
            .find_map(|later| self.zone.from_local_datetime(&later).earliest())
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or(shifted)
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Schedule({} {} {})",
            self.time.format("%H:%M"),
            self.days,
            self.zone.name()
        )
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Language::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_accepted_spelling() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(parse_time("07:30"), Ok(t(7, 30)));
        assert_eq!(parse_time("7:30"), Ok(t(7, 30)));
        assert_eq!(parse_time("7:30am"), Ok(t(7, 30)));
        assert_eq!(parse_time("7:30 PM"), Ok(t(19, 30)));
        assert_eq!(parse_time("12:00am"), Ok(t(0, 0)));
        assert_eq!(parse_time("12pm"), Ok(t(12, 0)));
        assert_eq!(parse_time("7 a.m."), Ok(t(7, 0)));
        assert_eq!(parse_time("23:59"), Ok(t(23, 59)));
    }

    #[test]
    fn bad_times_say_what_is_wrong() {
        assert_eq!(parse_time("25:61"), Err(InputError::MinuteOutOfRange(61)));
        assert_eq!(parse_time("25:00"), Err(InputError::HourOutOfRange(25)));
        assert_eq!(parse_time("13:00pm"), Err(InputError::HourOutOfRange(13)));
        assert!(matches!(parse_time("noon"), Err(InputError::NotATime(_))));
        assert!(matches!(parse_time("7"), Err(InputError::NotATime(_))));
        assert!(matches!(parse_time("7:5"), Err(InputError::NotATime(_))));
        assert!(matches!(parse_time(""), Err(InputError::NotATime(_))));
        let message = parse_time("25:00").unwrap_err().to_string();
        assert!(message.contains("00–23"), "{message}");
    }

    /// English reads as it always did; the other languages say it in theirs.
    #[test]
    fn mistakes_and_schedules_read_in_the_members_language() {
        let suggestions = vec!["Europe/Berlin".into(), "Europe/Paris".into()];
        let unknown = InputError::UnknownZone {
            input: "eurpoe".into(),
            suggestions,
        };
        let english = unknown.to_string();
        assert!(english.contains("Did you mean Europe/Berlin or Europe/Paris? Use"));
        let german = unknown.message(Language::De);
        assert!(
            german.contains("Europe/Berlin oder Europe/Paris"),
            "{german}"
        );
        let time = parse_time("07:30").unwrap();
        let mwf = Schedule::new(time, parse_days("mon,wed,fri").unwrap(), Tz::Europe__Berlin);
        assert_eq!(mwf.to_string(), "07:30 Mon, Wed, Fri (Europe/Berlin)");
        assert_eq!(
            mwf.describe(Language::De),
            "Mo., Mi., Fr. um 07:30 (Europe/Berlin)"
        );
        let daily = Schedule::new(time, Weekdays::DAILY, Tz::UTC).describe(Language::Es);
        assert_eq!(daily, "todos los días a las 07:30 (UTC)");
    }

    #[test]
    fn zones_by_name_or_unique_city() {
        assert_eq!(parse_zone("Europe/Berlin"), Ok(Tz::Europe__Berlin));
        assert_eq!(parse_zone("europe/berlin"), Ok(Tz::Europe__Berlin));
        assert_eq!(parse_zone("berlin"), Ok(Tz::Europe__Berlin));
        assert_eq!(parse_zone("New York"), Ok(Tz::America__New_York));
        assert_eq!(parse_zone("utc"), Ok(Tz::UTC));
        assert!(matches!(
            parse_zone("Mars/Olympus"),
            Err(InputError::UnknownZone { .. })
        ));
        match parse_zone("berlinn") {
            Err(InputError::UnknownZone { suggestions, .. }) => assert!(suggestions.is_empty()),
            other => panic!("{other:?}"),
        }
        match parse_zone("eastern") {
            Err(InputError::AmbiguousZone { candidates, .. }) => assert!(candidates.len() > 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn day_sets() {
        assert_eq!(parse_days("daily"), Ok(Weekdays::DAILY));
        assert_eq!(parse_days("Weekdays"), Ok(Weekdays::WEEKDAYS));
        assert_eq!(parse_days("weekends"), Ok(Weekdays::WEEKENDS));
        let mwf = parse_days("mon,wed,fri").unwrap();
        assert!(mwf.contains(Weekday::Mon) && mwf.contains(Weekday::Fri));
        assert!(!mwf.contains(Weekday::Tue));
        assert_eq!(parse_days("monday, wednesday"), parse_days("mon,wed"));
        assert_eq!(
            parse_days("mon,xyz"),
            Err(InputError::UnknownDay("xyz".into()))
        );
        assert_eq!(parse_days("m"), Err(InputError::UnknownDay("m".into())));
    }

    #[test]
    fn stored_form_round_trips() {
        let schedule = Schedule::new(
            parse_time("07:30").unwrap(),
            parse_days("mon,wed,fri").unwrap(),
            Tz::Europe__Berlin,
        );
        assert_eq!(schedule.cron_expression(), "0 30 7 * * Mon,Wed,Fri");
        let back = Schedule::from_stored(schedule.cron_expression(), "Europe/Berlin").unwrap();
        assert_eq!(back.time(), schedule.time());
        assert_eq!(back.days(), schedule.days());
        let daily = Schedule::new(parse_time("6:05").unwrap(), Weekdays::DAILY, Tz::UTC);
        assert_eq!(daily.cron_expression(), "0 5 6 * * *");
        assert_eq!(
            Schedule::from_stored("0 5 6 * * *", "UTC").unwrap().days(),
            Weekdays::DAILY
        );
        assert!(Schedule::from_stored("0 5 6,7 * * *", "UTC").is_err());
        assert!(Schedule::from_stored("0 5 6 * * *", "Nowhere/City").is_err());
    }
}
