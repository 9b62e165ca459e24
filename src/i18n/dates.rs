//! Dates as each language writes them: English "Monday 1 March", German
//! "Montag, 1. März", Spanish "lunes, 1 de marzo", and their short forms
//! for lists. Times are 24-hour `07:30` in all three.

use chrono::{Datelike, NaiveDate, Weekday};

use super::Language;

const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const DE_DAYS: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const ES_DAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// The weekday's full name.
pub fn weekday(language: Language, day: Weekday) -> &'static str {
    let index = day.num_days_from_monday() as usize;
    match language {
        Language::En => EN_DAYS[index],
        Language::De => DE_DAYS[index],
        Language::Es => ES_DAYS[index],
    }
}

/// The weekday's short name: `Mon`, `Mo.`, `lun.`.
pub fn weekday_short(language: Language, day: Weekday) -> String {
    let name = weekday(language, day);
    match language {
        Language::En => name.chars().take(3).collect(),
        Language::De => format!("{}.", name.chars().take(2).collect::<String>()),
        Language::Es => format!("{}.", name.chars().take(3).collect::<String>()),
    }
}

fn month(language: Language, date: NaiveDate) -> &'static str {
    let index = date.month0() as usize;
    match language {
        Language::En => EN_MONTHS[index],
        Language::De => DE_MONTHS[index],
        Language::Es => ES_MONTHS[index],
    }
}

/// `Monday 1 March`, `Montag, 1. März`, `lunes, 1 de marzo`.
pub fn long_date(language: Language, date: NaiveDate) -> String {
    let (day, number, month) = (
        weekday(language, date.weekday()),
        date.day(),
        month(language, date),
    );
    match language {
        Language::En => format!("{day} {number} {month}"),
        Language::De => format!("{day}, {number}. {month}"),
        Language::Es => format!("{day}, {number} de {month}"),
    }
}

/// `Mon 1 Mar`, `Mo., 1. März`, `lun., 1 de marzo`: for lines that
/// list several dates.
pub fn short_date(language: Language, date: NaiveDate) -> String {
    let day = weekday_short(language, date.weekday());
    let (number, month) = (date.day(), month(language, date));
    match language {
        Language::En => format!("{day} {number} {}", &month[..3]),
        Language::De => format!("{day}, {number}. {month}"),
        Language::Es => format!("{day}, {number} de {month}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_writes_its_own_dates() {
        let date = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert_eq!(long_date(Language::En, date), "Monday 1 March");
        assert_eq!(long_date(Language::De, date), "Montag, 1. März");
        assert_eq!(long_date(Language::Es, date), "lunes, 1 de marzo");
        assert_eq!(short_date(Language::En, date), "Mon 1 Mar");
        assert_eq!(short_date(Language::De, date), "Mo., 1. März");
        assert_eq!(short_date(Language::Es, date), "lun., 1 de marzo");
        let wednesday = NaiveDate::from_ymd_opt(2027, 3, 3).unwrap();
        assert_eq!(weekday_short(Language::Es, wednesday.weekday()), "mié.");
    }
}
