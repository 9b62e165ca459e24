//! Session instants under the daylight-saving policy (SPEC.md, Time):
//! a local time in a spring gap runs shifted forward by the gap's length, a
//! time that exists twice runs once at the first, and never two sessions on
//! one local date.

use std::collections::HashSet;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use proptest::prelude::*;
use upright::schedule::{Occurrence, Schedule, Weekdays, parse_days, parse_time, parse_zone};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

fn schedule(time: &str, days: &str, zone: &str) -> Schedule {
    Schedule::new(
        parse_time(time).unwrap(),
        parse_days(days).unwrap(),
        parse_zone(zone).unwrap(),
    )
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The next `count` sessions as local RFC 3339 strings.
fn local_strings(schedule: &Schedule, from: &str, count: usize) -> Vec<String> {
    schedule
        .occurrences_after(utc(from))
        .take(count)
        .map(|o| schedule.local(o.at).to_rfc3339())
        .collect()
}

fn next(schedule: &Schedule, from: &str) -> Occurrence {
    schedule
        .next_after(utc(from))
        .unwrap_or_else(|| panic!("{schedule:?} has no session after {from}"))
}

/// The UTC offset in force in `zone` at local noon of `day`, in seconds.
fn noon_offset(zone: Tz, day: NaiveDate) -> i32 {
    let noon = day.and_hms_opt(12, 0, 0).unwrap();
    zone.from_local_datetime(&noon)
        .earliest()
        .unwrap()
        .offset()
        .fix()
        .local_minus_utc()
}

/// Every day of `year` whose noon offset differs from the previous day's:
/// the days of the zone's transitions, with the offsets before and after.
fn transition_days(zone: Tz, year: i32) -> Vec<(NaiveDate, i32, i32)> {
    let mut days = Vec::new();
    let mut day = date(year, 1, 1);
    let mut previous = noon_offset(zone, day.pred_opt().unwrap());
    while day.year() == year {
        let offset = noon_offset(zone, day);
        if offset != previous {
            days.push((day, previous, offset));
        }
        previous = offset;
        day = day.succ_opt().unwrap();
    }
    days
}

// --- The two examples from the specification -------------------------------

#[test]
fn berlin_spring_gap_runs_shifted_by_the_gap() {
    let berlin = schedule("02:30", "daily", "Europe/Berlin");
    assert_eq!(
        local_strings(&berlin, "2027-03-27T00:00:00Z", 3),
        [
            "2027-03-27T02:30:00+01:00",
            "2027-03-28T03:30:00+02:00",
            "2027-03-29T02:30:00+02:00",
        ]
    );
    let occurrences: Vec<Occurrence> = berlin
        .occurrences_after(utc("2027-03-27T00:00:00Z"))
        .take(3)
        .collect();
    let dates: Vec<NaiveDate> = occurrences.iter().map(|o| o.local_date).collect();
    assert_eq!(
        dates,
        [date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29)]
    );
    assert_eq!(occurrences[1].at, utc("2027-03-28T01:30:00Z"));
}

#[test]
fn berlin_autumn_overlap_runs_once_at_the_first() {
    let berlin = schedule("02:30", "daily", "Europe/Berlin");
    assert_eq!(
        local_strings(&berlin, "2027-10-30T00:00:00Z", 3),
        [
            "2027-10-30T02:30:00+02:00",
            "2027-10-31T02:30:00+02:00",
            "2027-11-01T02:30:00+01:00",
        ]
    );
    let second = berlin
        .occurrences_after(utc("2027-10-30T00:00:00Z"))
        .nth(1)
        .unwrap();
    assert_eq!(second.at, utc("2027-10-31T00:30:00Z"));
    assert_eq!(second.local_date, date(2027, 10, 31));
}

// --- America/New_York --------------------------------------------------------

#[test]
fn new_york_transition_days_are_as_expected() {
    let days = transition_days(Tz::America__New_York, 2027);
    assert_eq!(
        days,
        [
            (date(2027, 3, 14), -5 * 3600, -4 * 3600),
            (date(2027, 11, 7), -4 * 3600, -5 * 3600),
        ]
    );
}

#[test]
fn new_york_spring_gap_moves_0230_to_0330_edt() {
    let ny = schedule("02:30", "daily", "America/New_York");
    assert_eq!(
        local_strings(&ny, "2027-03-13T12:00:00Z", 3),
        [
            "2027-03-14T03:30:00-04:00",
            "2027-03-15T02:30:00-04:00",
            "2027-03-16T02:30:00-04:00",
        ]
    );
    assert_eq!(
        next(&ny, "2027-03-13T12:00:00Z").at,
        utc("2027-03-14T07:30:00Z")
    );
}

#[test]
fn new_york_fall_back_runs_0130_once_in_edt() {
    let ny = schedule("01:30", "daily", "America/New_York");
    assert_eq!(
        local_strings(&ny, "2027-11-06T12:00:00Z", 3),
        [
            "2027-11-07T01:30:00-04:00",
            "2027-11-08T01:30:00-05:00",
            "2027-11-09T01:30:00-05:00",
        ]
    );
    let first = next(&ny, "2027-11-06T12:00:00Z");
    assert_eq!(first.at, utc("2027-11-07T05:30:00Z"));
    assert_eq!(first.local_date, date(2027, 11, 7));
    // Asking again from the first run (and from inside the repeated hour)
    // never yields the second 01:30 EST of the same day.
    assert_eq!(
        ny.next_after(first.at).unwrap().local_date,
        date(2027, 11, 8)
    );
    assert_eq!(
        next(&ny, "2027-11-07T06:15:00Z").at,
        utc("2027-11-08T06:30:00Z")
    );
}

// --- Australia/Lord_Howe: half-hour shifts -----------------------------------

fn lord_howe_transitions() -> (NaiveDate, NaiveDate) {
    let days = transition_days(Tz::Australia__Lord_Howe, 2027);
    assert_eq!(days.len(), 2, "{days:?}");
    // +11:00 → +10:30 in April, +10:30 → +11:00 in October.
    let (fall, before, after) = days[0];
    assert_eq!((before, after), (11 * 3600, 10 * 3600 + 1800), "{days:?}");
    let (spring, before, after) = days[1];
    assert_eq!((before, after), (10 * 3600 + 1800, 11 * 3600), "{days:?}");
    (fall, spring)
}

#[test]
fn lord_howe_transition_days_are_as_expected() {
    let (fall, spring) = lord_howe_transitions();
    assert_eq!(fall, date(2027, 4, 4));
    assert_eq!(spring, date(2027, 10, 3));
    let zone = Tz::Australia__Lord_Howe;
    // 02:15 on the spring day does not exist; 01:45 on the fall day exists twice.
    assert!(matches!(
        zone.from_local_datetime(&spring.and_hms_opt(2, 15, 0).unwrap()),
        LocalResult::None
    ));
    assert!(matches!(
        zone.from_local_datetime(&fall.and_hms_opt(1, 45, 0).unwrap()),
        LocalResult::Ambiguous(..)
    ));
}

#[test]
fn lord_howe_spring_gap_shifts_by_half_an_hour() {
    let (_, spring) = lord_howe_transitions();
    let lh = schedule("02:15", "daily", "Australia/Lord_Howe");
    let from = Tz::Australia__Lord_Howe
        .from_local_datetime(&spring.pred_opt().unwrap().and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let occurrences: Vec<Occurrence> = lh.occurrences_after(from).take(3).collect();
    let local: Vec<String> = occurrences
        .iter()
        .map(|o| lh.local(o.at).to_rfc3339())
        .collect();
    assert_eq!(
        local,
        [
            "2027-10-03T02:45:00+11:00",
            "2027-10-04T02:15:00+11:00",
            "2027-10-05T02:15:00+11:00",
        ]
    );
    assert_eq!(occurrences[0].local_date, spring);
    assert_eq!(occurrences[0].at, utc("2027-10-02T15:45:00Z"));
}

#[test]
fn lord_howe_fall_back_runs_once_at_the_first() {
    let (fall, _) = lord_howe_transitions();
    let lh = schedule("01:45", "daily", "Australia/Lord_Howe");
    let from = Tz::Australia__Lord_Howe
        .from_local_datetime(&fall.pred_opt().unwrap().and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let occurrences: Vec<Occurrence> = lh.occurrences_after(from).take(3).collect();
    let local: Vec<String> = occurrences
        .iter()
        .map(|o| lh.local(o.at).to_rfc3339())
        .collect();
    assert_eq!(
        local,
        [
            "2027-04-04T01:45:00+11:00",
            "2027-04-05T01:45:00+10:30",
            "2027-04-06T01:45:00+10:30",
        ]
    );
    assert_eq!(occurrences[0].at, utc("2027-04-03T14:45:00Z"));
    // The second 01:45 (+10:30) is 30 minutes later; it must not be a session.
    assert!(occurrences[1].at - occurrences[0].at > Duration::hours(23));
}

// --- Zones without DST ---------------------------------------------------------

#[test]
fn kathmandu_quarter_hour_offset() {
    let ktm = schedule("07:30", "daily", "Asia/Kathmandu");
    let first = next(&ktm, "2027-06-01T00:00:00Z");
    assert_eq!(first.at, utc("2027-06-01T01:45:00Z"));
    assert_eq!(first.local_date, date(2027, 6, 1));
    assert_eq!(
        ktm.local(first.at).to_rfc3339(),
        "2027-06-01T07:30:00+05:45"
    );
    // From just after it: the next day, same UTC time.
    assert_eq!(
        next(&ktm, "2027-06-01T01:45:00Z").at,
        utc("2027-06-02T01:45:00Z")
    );
}

#[test]
fn zones_without_dst_run_exactly_every_24_hours() {
    for zone in ["Asia/Tokyo", "UTC"] {
        let s = schedule("07:30", "daily", zone);
        let occurrences: Vec<Occurrence> = s
            .occurrences_after(utc("2027-03-25T00:00:00Z"))
            .take(7)
            .collect();
        assert_eq!(occurrences.len(), 7);
        for pair in occurrences.windows(2) {
            assert_eq!(pair[1].at - pair[0].at, Duration::hours(24), "{zone}");
            assert_eq!(
                pair[1].local_date,
                pair[0].local_date.succ_opt().unwrap(),
                "{zone}"
            );
        }
    }
    let tokyo = schedule("07:30", "daily", "Asia/Tokyo");
    assert_eq!(
        next(&tokyo, "2027-03-25T00:00:00Z").at,
        utc("2027-03-25T22:30:00Z")
    );
    let utc_schedule = schedule("07:30", "daily", "UTC");
    assert_eq!(
        next(&utc_schedule, "2027-03-25T00:00:00Z").at,
        utc("2027-03-25T07:30:00Z")
    );
}

// --- Times exactly at a transition -----------------------------------------------

#[test]
fn berlin_0200_on_the_spring_day_runs_at_0300_summer_time() {
    let s = schedule("02:00", "daily", "Europe/Berlin");
    assert_eq!(
        local_strings(&s, "2027-03-27T12:00:00Z", 2),
        ["2027-03-28T03:00:00+02:00", "2027-03-29T02:00:00+02:00"]
    );
    assert_eq!(
        next(&s, "2027-03-27T12:00:00Z").at,
        utc("2027-03-28T01:00:00Z")
    );
}

#[test]
fn berlin_0300_on_the_autumn_day_is_after_the_overlap() {
    let s = schedule("03:00", "daily", "Europe/Berlin");
    assert_eq!(
        local_strings(&s, "2027-10-30T12:00:00Z", 2),
        ["2027-10-31T03:00:00+01:00", "2027-11-01T03:00:00+01:00"]
    );
    assert_eq!(
        next(&s, "2027-10-30T12:00:00Z").at,
        utc("2027-10-31T02:00:00Z")
    );
}

#[test]
fn berlin_0200_on_the_autumn_day_runs_at_the_first_0200() {
    let s = schedule("02:00", "daily", "Europe/Berlin");
    assert_eq!(
        local_strings(&s, "2027-10-30T12:00:00Z", 2),
        ["2027-10-31T02:00:00+02:00", "2027-11-01T02:00:00+01:00"]
    );
    assert_eq!(
        next(&s, "2027-10-30T12:00:00Z").at,
        utc("2027-10-31T00:00:00Z")
    );
}

// --- Starting inside the repeated hour -------------------------------------------

#[test]
fn from_the_second_0245_the_next_session_is_tomorrow() {
    let s = schedule("02:30", "daily", "Europe/Berlin");
    // 02:45+01:00 is the second 02:45 of 2027-10-31; the session at the
    // first 02:30 has passed, and the second 02:30 is not a session.
    let first = next(&s, "2027-10-31T02:45:00+01:00");
    assert_eq!(s.local(first.at).to_rfc3339(), "2027-11-01T02:30:00+01:00");
    assert_eq!(first.local_date, date(2027, 11, 1));
    // Exactly at the second 02:30 as well.
    let at_second = next(&s, "2027-10-31T02:30:00+01:00");
    assert_eq!(at_second.local_date, date(2027, 11, 1));
}

#[test]
fn from_the_first_0215_the_session_is_the_same_day() {
    let s = schedule("02:30", "daily", "Europe/Berlin");
    assert_eq!(
        local_strings(&s, "2027-10-31T02:15:00+02:00", 2),
        ["2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00"]
    );
    let first = next(&s, "2027-10-31T02:15:00+02:00");
    assert_eq!(first.local_date, date(2027, 10, 31));
    // Strictly after: from the session instant itself, the next is tomorrow.
    assert_eq!(
        s.next_after(first.at).unwrap().local_date,
        date(2027, 11, 1)
    );
}

// --- Weekday sets across a week boundary --------------------------------------------

#[test]
fn mon_wed_fri_from_friday_evening_is_monday() {
    let from = utc("2027-01-08T18:00:00Z");
    assert_eq!(
        from.with_timezone(&Tz::Europe__Berlin).weekday(),
        Weekday::Fri
    );
    let s = schedule("07:30", "mon,wed,fri", "Europe/Berlin");
    let occurrences: Vec<Occurrence> = s.occurrences_after(from).take(4).collect();
    let local: Vec<String> = occurrences
        .iter()
        .map(|o| s.local(o.at).to_rfc3339())
        .collect();
    assert_eq!(
        local,
        [
            "2027-01-11T07:30:00+01:00",
            "2027-01-13T07:30:00+01:00",
            "2027-01-15T07:30:00+01:00",
            "2027-01-18T07:30:00+01:00",
        ]
    );
    let weekdays: Vec<Weekday> = occurrences.iter().map(|o| o.local_date.weekday()).collect();
    assert_eq!(
        weekdays,
        [Weekday::Mon, Weekday::Wed, Weekday::Fri, Weekday::Mon]
    );
}

#[test]
fn weekends_from_sunday_after_the_time_is_next_saturday() {
    // Sunday 2027-01-10, 13:00 in Berlin: the 09:00 session has passed.
    let from = utc("2027-01-10T12:00:00Z");
    assert_eq!(
        from.with_timezone(&Tz::Europe__Berlin).weekday(),
        Weekday::Sun
    );
    let s = schedule("09:00", "weekends", "Europe/Berlin");
    assert_eq!(s.days(), Weekdays::WEEKENDS);
    assert_eq!(
        local_strings(&s, "2027-01-10T12:00:00Z", 3),
        [
            "2027-01-16T09:00:00+01:00",
            "2027-01-17T09:00:00+01:00",
            "2027-01-23T09:00:00+01:00",
        ]
    );
}

#[test]
fn weekdays_skip_the_weekend() {
    let s = schedule("07:30", "weekdays", "America/New_York");
    let dates: Vec<NaiveDate> = s
        .occurrences_after(utc("2027-01-08T18:00:00Z"))
        .take(6)
        .map(|o| o.local_date)
        .collect();
    assert_eq!(
        dates,
        [
            date(2027, 1, 11),
            date(2027, 1, 12),
            date(2027, 1, 13),
            date(2027, 1, 14),
            date(2027, 1, 15),
            date(2027, 1, 18),
        ]
    );
}

// --- Year end ---------------------------------------------------------------------

#[test]
fn year_end_in_auckland() {
    // 2027-12-31T23:00Z is already 2028-01-01 12:00 in Auckland (+13:00).
    let s = schedule("23:30", "daily", "Pacific/Auckland");
    let occurrences: Vec<Occurrence> = s
        .occurrences_after(utc("2027-12-31T23:00:00Z"))
        .take(2)
        .collect();
    assert_eq!(
        occurrences
            .iter()
            .map(|o| s.local(o.at).to_rfc3339())
            .collect::<Vec<_>>(),
        ["2028-01-01T23:30:00+13:00", "2028-01-02T23:30:00+13:00"]
    );
    assert_eq!(occurrences[0].at, utc("2028-01-01T10:30:00Z"));
    assert_eq!(occurrences[0].local_date, date(2028, 1, 1));
}

#[test]
fn year_end_in_los_angeles() {
    // 2027-12-31T23:00Z is 2027-12-31 15:00 in Los Angeles (-08:00).
    let s = schedule("23:30", "daily", "America/Los_Angeles");
    let occurrences: Vec<Occurrence> = s
        .occurrences_after(utc("2027-12-31T23:00:00Z"))
        .take(2)
        .collect();
    assert_eq!(
        occurrences
            .iter()
            .map(|o| s.local(o.at).to_rfc3339())
            .collect::<Vec<_>>(),
        ["2027-12-31T23:30:00-08:00", "2028-01-01T23:30:00-08:00"]
    );
    assert_eq!(occurrences[0].at, utc("2028-01-01T07:30:00Z"));
    assert_eq!(occurrences[0].local_date, date(2027, 12, 31));
    assert_eq!(occurrences[1].local_date, date(2028, 1, 1));
}

#[test]
fn quarter_past_midnight_across_new_year() {
    let berlin = schedule("00:15", "daily", "Europe/Berlin");
    let occurrences: Vec<Occurrence> = berlin
        .occurrences_after(utc("2027-12-30T12:00:00Z"))
        .take(3)
        .collect();
    assert_eq!(
        occurrences
            .iter()
            .map(|o| berlin.local(o.at).to_rfc3339())
            .collect::<Vec<_>>(),
        [
            "2027-12-31T00:15:00+01:00",
            "2028-01-01T00:15:00+01:00",
            "2028-01-02T00:15:00+01:00",
        ]
    );
    // The new year's session is still in 2027 in UTC.
    assert_eq!(occurrences[1].at, utc("2027-12-31T23:15:00Z"));
    assert_eq!(occurrences[1].local_date, date(2028, 1, 1));

    let in_utc = schedule("00:15", "daily", "UTC");
    assert_eq!(
        local_strings(&in_utc, "2027-12-31T00:15:00Z", 2),
        ["2028-01-01T00:15:00+00:00", "2028-01-02T00:15:00+00:00"]
    );
}

// --- A gap that crosses midnight ------------------------------------------------

/// America/Nuuk has been on -02:00 with EU rules since 2023: DST begins at
/// 01:00 UTC on the last Sunday of March, which is 23:00 on Saturday local
/// time, so the clock jumps from Saturday 23:00 to Sunday 00:00. A 23:30
/// session shifted by the gap lands on Sunday 00:30 — and Sunday's own 23:30
/// session is on the same local date. SPEC.md: never two sessions on one
/// local date; the schedule drops Saturday's session instead.
#[test]
fn a_gap_crossing_midnight_never_puts_two_sessions_on_one_date() {
    let zone = Tz::America__Nuuk;
    let saturday = date(2027, 3, 27);
    assert_eq!(saturday.weekday(), Weekday::Sat);
    assert!(matches!(
        zone.from_local_datetime(&saturday.and_hms_opt(23, 30, 0).unwrap()),
        LocalResult::None
    ));
    let s = schedule("23:30", "daily", "America/Nuuk");
    let occurrences: Vec<Occurrence> = s
        .occurrences_after(utc("2027-03-27T12:00:00Z"))
        .take(3)
        .collect();
    // Policy: the shift would carry Saturday's session into Sunday, so
    // Saturday has none; Sunday keeps its own.
    assert!(occurrences.iter().all(|o| o.local_date != saturday));
    assert_eq!(
        s.local(occurrences[0].at).to_rfc3339(),
        "2027-03-28T23:30:00-01:00"
    );
    let local: Vec<String> = occurrences
        .iter()
        .map(|o| s.local(o.at).to_rfc3339())
        .collect();
    let wall_dates: Vec<NaiveDate> = occurrences
        .iter()
        .map(|o| s.local(o.at).date_naive())
        .collect();
    let distinct: HashSet<NaiveDate> = wall_dates.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        wall_dates.len(),
        "two sessions on one local date: {local:?}"
    );
}

// --- Properties -----------------------------------------------------------------------

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// 2000-01-01T00:00:00Z and 2037-12-31T23:59:59Z.
const FIRST_START: i64 = 946_684_800;
const LAST_START: i64 = 2_145_916_799;

fn days_text(mask: u8) -> String {
    DAY_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(",")
}

fn check_properties(
    zone: Tz,
    from: DateTime<Utc>,
    time: NaiveTime,
    days: Weekdays,
) -> Result<(), TestCaseError> {
    let schedule = Schedule::new(time, days, zone);
    let occurrences: Vec<Occurrence> = schedule.occurrences_after(from).take(40).collect();
    prop_assert_eq!(
        occurrences.len(),
        40,
        "{:?} ran dry after {}",
        schedule,
        from
    );
    prop_assert!(occurrences[0].at > from);

    let mut instant_dates = HashSet::new();
    for (i, occurrence) in occurrences.iter().enumerate() {
        let local = schedule.local(occurrence.at);
        let context = format!(
            "{:?} from {from}: occurrence {i} for {} at {} ({})",
            schedule,
            occurrence.local_date,
            local.to_rfc3339(),
            occurrence.at
        );
        if i > 0 {
            let previous = occurrences[i - 1];
            prop_assert!(occurrence.at > previous.at, "not increasing: {}", context);
            // No matching day is skipped between two sessions, unless its
            // time falls in a gap whose shift would cross midnight (the
            // policy drops that day rather than put two sessions on the next).
            let mut day = previous.local_date.succ_opt().unwrap();
            while day < occurrence.local_date {
                let wall_time_missing = zone
                    .from_local_datetime(&day.and_time(time))
                    .earliest()
                    .is_none();
                prop_assert!(
                    !days.contains(day.weekday()) || wall_time_missing,
                    "{} skipped; {}",
                    day,
                    context
                );
                day = day.succ_opt().unwrap();
            }
            prop_assert!(occurrence.local_date > previous.local_date, "{}", context);
        }
        prop_assert!(
            instant_dates.insert(local.date_naive()),
            "two sessions on local date {}: {}",
            local.date_naive(),
            context
        );
        prop_assert!(
            days.contains(occurrence.local_date.weekday()),
            "{}",
            context
        );

        let wanted = occurrence.local_date.and_time(time);
        match zone.from_local_datetime(&wanted) {
            LocalResult::Single(at) => {
                prop_assert_eq!(occurrence.at, at.with_timezone(&Utc), "{}", context);
            }
            LocalResult::Ambiguous(first, _) => {
                prop_assert_eq!(occurrence.at, first.with_timezone(&Utc), "{}", context);
            }
            LocalResult::None => {
                let shift = local.naive_local() - wanted;
                prop_assert!(shift > Duration::zero(), "{}", context);
                // Shifted by exactly the gap: the offset after it minus the
                // offset in force just before it (at `wanted` read with the
                // offset after, which always lies before the transition).
                let after = local.offset().fix().local_minus_utc();
                let before_gap = Utc.from_utc_datetime(&(wanted - Duration::seconds(after.into())));
                let before = zone
                    .offset_from_utc_datetime(&before_gap.naive_utc())
                    .fix()
                    .local_minus_utc();
                let gap = Duration::seconds((after - before).into());
                prop_assert_eq!(shift, gap, "{}", context);
                // The one exclusion from the 3-hour bound: a whole calendar
                // day that does not exist (Pacific/Apia and Pacific/Fakaofo
                // skipped 2011-12-30 when they crossed the date line) runs
                // the next day, a 24-hour shift. Every other gap is short.
                if gap < Duration::days(1) {
                    prop_assert!(shift <= Duration::hours(3), "{}", context);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sessions_follow_the_policy_in_every_zone(
        zone_index in 0..chrono_tz::TZ_VARIANTS.len(),
        start in FIRST_START..=LAST_START,
        hour in 0u32..24,
        minute in 0u32..60,
        mask in 1u8..128,
    ) {
        let zone = chrono_tz::TZ_VARIANTS[zone_index];
        let from = DateTime::from_timestamp(start, 0).unwrap();
        let time = parse_time(&format!("{hour:02}:{minute:02}")).unwrap();
        let days = parse_days(&days_text(mask)).unwrap();
        prop_assert!(!days.is_empty());
        for (i, name) in DAY_NAMES.iter().enumerate() {
            let day: Weekday = name.parse().unwrap();
            prop_assert_eq!(days.contains(day), mask & (1 << i) != 0);
        }
        check_properties(zone, from, time, days)?;
    }

    /// The same properties, concentrated on the weeks around DST transitions
    /// in zones that have them, where random starts rarely land.
    #[test]
    fn sessions_follow_the_policy_around_transitions(
        zone_index in 0..chrono_tz::TZ_VARIANTS.len(),
        year in 2000i32..=2037,
        month in prop::sample::select(vec![3u32, 4, 9, 10, 11]),
        day in 1u32..=28,
        hour in 0u32..24,
        minute in prop::sample::select(vec![0u32, 15, 30, 45, 59]),
        mask in 1u8..128,
    ) {
        let zone = chrono_tz::TZ_VARIANTS[zone_index];
        let from = Utc.from_utc_datetime(&date(year, month, day).and_hms_opt(0, 0, 0).unwrap());
        let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
        let days = parse_days(&days_text(mask)).unwrap();
        check_properties(zone, from, time, days)?;
    }
}
