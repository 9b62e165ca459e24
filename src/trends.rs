//! The trends picture: the last 8 weeks, one band per exercise, for a member
//! or the professional they show it to — which days it was done, how its
//! load moved, and every pain report with its score.
//!
//! Colours from the Okabe–Ito palette, told apart by people with every kind
//! of colour vision, and each series has its own shape too: done days are
//! squares, the load a line, pain reports triangles with their score.
//! Drawn with plotters and the embedded font, large enough for a thumbnail.

use chrono::{Duration, NaiveDate};
use plotters::prelude::*;

use crate::check_in::CheckInKind;
use crate::coaching::History;
use crate::content::{Content, Routine};
use crate::i18n::Language;
use crate::i18n::dates::short_date;
use crate::message::clip;
use crate::progress::{Canvas, FONT, ProgressError, png, problem};
use crate::store::sessions::Session;
use crate::tr;

pub const WEEKS: i64 = 8;
pub const WIDTH: u32 = 960;
/// Header, five bands, axis.
pub const HEIGHT: u32 = HEADER + BAND * 5 + AXIS;

const HEADER: u32 = 96;
const BAND: u32 = 140;
const AXIS: u32 = 40;
const PLOT_LEFT: u32 = 260;
const PLOT_RIGHT: u32 = WIDTH - 24;

/// Done days (squares).
pub const DONE: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// The load (a line).
pub const LOAD: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Pain reports (triangles, with their score).
pub const PAIN: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// A session the exercise was offered in and not done.
const NOT_DONE: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
const INK: RGBColor = RGBColor(0x20, 0x20, 0x20);
const RULE: RGBColor = RGBColor(0xE8, 0xE8, 0xE8);

/// One day of one exercise in a member's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    /// The repetitions asked for; 0 while it rested after pain.
    pub load: u32,
    pub done: bool,
    /// A 🤕, with its score if the member gave one.
    pub pain: Option<Option<u8>>,
}

/// One exercise's last 8 weeks.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// In the member's language.
    pub title: String,
    pub days: Vec<Day>,
}

/// What a trends picture shows, read from the database; drawn after the
/// connection is released.
#[derive(Debug, Clone)]
pub struct Trends {
    pub today: NaiveDate,
    pub exercises: Vec<Exercise>,
    /// The member's, for the words drawn in.
    pub language: Language,
}

impl Trends {
    /// Each exercise of `routine` over the 8 weeks up to `today` in a
    /// member's `history`: the days it was asked for, done, and reported
    /// painful (with the score); titled in `language`.
    pub fn of(
        content: &Content,
        language: Language,
        history: &History,
        routine: &Routine,
        today: NaiveDate,
    ) -> Trends {
        let words = content.routine_in(language, &routine.id).unwrap_or(routine);
        let first = Trends::first_day(today);
        let delivered: Vec<&Session> = history
            .sessions
            .iter()
            .filter(|s| s.routine_id == routine.id && s.was_delivered())
            .filter(|s| (first..=today).contains(&s.local_date))
            .collect();
        let exercises = (1..)
            .zip(routine.exercises.iter().zip(&words.exercises))
            .map(|(step, (exercise, shown)): (u32, _)| {
                let days = delivered
                    .iter()
                    .map(|s| {
                        let kinds = history.check_ins_of(s.id).get(&step);
                        let has = |kind| kinds.is_some_and(|k| k.contains(&kind));
                        let score = history.pain_scores.get(&s.id).and_then(|p| p.get(&step));
                        Day {
                            date: s.local_date,
                            load: s
                                .loads
                                .get(step as usize - 1)
                                .copied()
                                .unwrap_or(exercise.reps.min),
                            done: has(CheckInKind::Done),
                            pain: has(CheckInKind::Pain).then(|| score.copied()),
                        }
                    })
                    .collect();
                Exercise {
                    title: shown.title.clone(),
                    days,
                }
            })
            .collect();
        Trends {
            today,
            exercises,
            language,
        }
    }

    /// The pixel rows of exercise `index`'s band (0 is the first exercise).
    pub fn band_rows(index: u32) -> std::ops::Range<u32> {
        let top = HEADER + index * BAND;
        top..top + BAND
    }

    /// The first day shown.
    pub fn first_day(today: NaiveDate) -> NaiveDate {
        today - Duration::days(WEEKS * 7 - 1)
    }

    /// The PNG, as a reply's attachment.
    pub fn draw(&self) -> Result<crate::message::Attachment, ProgressError> {
        Ok(crate::message::Attachment {
            filename: "trends.png".to_string(),
            mime: "image/png",
            bytes: self.render()?,
        })
    }

    /// The x of `date`'s column centre.
    pub fn x_of(&self, date: NaiveDate) -> i32 {
        let days = (date - Self::first_day(self.today)).num_days();
        let span = f64::from(PLOT_RIGHT - PLOT_LEFT);
        (f64::from(PLOT_LEFT) + span * (days as f64 + 0.5) / (WEEKS * 7) as f64) as i32
    }

    fn render(&self) -> Result<Vec<u8>, ProgressError> {
        let lang = self.language;
        png(WIDTH, HEIGHT, |root| {
            root.draw(&Text::new(
                tr!(lang, "session-trends-title"),
                (24, 16),
                text(28, INK),
            ))
            .map_err(problem)?;
            legend(root, lang)?;
            for (i, exercise) in self.exercises.iter().take(5).enumerate() {
                self.band(root, i as u32, exercise)?;
            }
            let axis_y = (HEADER + BAND * 5 + 10) as i32;
            for weeks_ago in [8, 6, 4, 2] {
                let date = self.today - Duration::weeks(weeks_ago) + Duration::days(1);
                root.draw(&Text::new(
                    axis_date(lang, date),
                    (self.x_of(date) - 18, axis_y),
                    text(16, INK),
                ))
                .map_err(problem)?;
            }
            root.draw(&Text::new(
                tr!(lang, "session-trends-today"),
                (self.x_of(self.today) - 40, axis_y),
                text(16, INK),
            ))
            .map_err(problem)?;
            Ok(())
        })
    }

    /// One exercise's band: its name and share done on the left; on the
    /// right, the load line over the pain triangles, and the done squares
    /// along the bottom.
    fn band(
        &self,
        root: &Canvas<'_>,
        index: u32,
        exercise: &Exercise,
    ) -> Result<(), ProgressError> {
        let top = (HEADER + index * BAND) as i32;
        let bottom = top + BAND as i32 - 12;
        let offered: Vec<&Day> = exercise.days.iter().filter(|d| d.load > 0).collect();
        labels(root, self.language, top, exercise, &offered)?;
        self.done_squares(root, bottom, &offered)?;
        let line = (top + 18, bottom - SQUARE - 14);
        self.load_line(root, line, exercise, &offered)?;
        self.pain_marks(root, line.0, exercise)
    }

    /// Done squares along the bottom; grey outlines for days not done.
    fn done_squares(
        &self,
        root: &Canvas<'_>,
        bottom: i32,
        offered: &[&Day],
    ) -> Result<(), ProgressError> {
        for day in offered {
            let x = self.x_of(day.date);
            let corners = [(x - SQUARE / 2, bottom - SQUARE), (x + SQUARE / 2, bottom)];
            if day.done {
                root.draw(&Rectangle::new(corners, DONE.filled()))
            } else {
                root.draw(&Rectangle::new(corners, NOT_DONE.stroke_width(1)))
            }
            .map_err(problem)?;
        }
        Ok(())
    }

    /// The load line, scaled between `line`'s top and bottom from the
    /// lowest load to the highest.
    fn load_line(
        &self,
        root: &Canvas<'_>,
        (line_top, line_bottom): (i32, i32),
        exercise: &Exercise,
        offered: &[&Day],
    ) -> Result<(), ProgressError> {
        let loads: Vec<u32> = offered.iter().map(|d| d.load).collect();
        let (low, high) = (
            loads.iter().copied().min().unwrap_or(0),
            loads.iter().copied().max().unwrap_or(1),
        );
        let y_of = |load: u32| {
            if high == low {
                (line_top + line_bottom) / 2
            } else {
                let share = f64::from(load - low) / f64::from(high - low);
                line_bottom - (share * f64::from(line_bottom - line_top)) as i32
            }
        };
        // The line breaks while the exercise rests after pain.
        for run in exercise.days.split(|d| d.load == 0) {
            let points: Vec<(i32, i32)> = run
                .iter()
                .map(|d| (self.x_of(d.date), y_of(d.load)))
                .collect();
            if points.len() > 1 {
                root.draw(&PathElement::new(points.clone(), LOAD.stroke_width(3)))
                    .map_err(problem)?;
            }
            for point in points {
                root.draw(&Circle::new(point, 3, LOAD.filled()))
                    .map_err(problem)?;
            }
        }
        Ok(())
    }

    /// Pain reports over the line, with their score.
    fn pain_marks(
        &self,
        root: &Canvas<'_>,
        line_top: i32,
        exercise: &Exercise,
    ) -> Result<(), ProgressError> {
        for day in exercise.days.iter().filter(|d| d.pain.is_some()) {
            let x = self.x_of(day.date);
            let y = line_top + 6;
            root.draw(&triangle((x, y))).map_err(problem)?;
            if let Some(Some(score)) = day.pain {
                root.draw(&Text::new(
                    score.to_string(),
                    (x + 8, y - 10),
                    text(16, PAIN),
                ))
                .map_err(problem)?;
            }
        }
        Ok(())
    }
}

/// The side of a done square.
const SQUARE: i32 = 9;

fn text(size: u32, color: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color)
}

/// The legend: each colour with its shape and name, in a row. An item
/// moves right of its usual place when the name before it needs the room.
fn legend(root: &Canvas<'_>, lang: Language) -> Result<(), ProgressError> {
    const GAP: i32 = 12;
    let y = 60;
    let style = text(18, INK);
    let width = |label: &str| {
        root.estimate_text_size(label, &style)
            .map(|(width, _)| width as i32)
            .map_err(problem)
    };
    let done = tr!(lang, "session-trends-done");
    root.draw(&Rectangle::new([(24, y), (40, y + 16)], DONE.filled()))
        .map_err(problem)?;
    root.draw(&Text::new(done.as_str(), (46, y - 2), style.clone()))
        .map_err(problem)?;
    let line = 120.max(46 + width(&done)? + GAP);
    root.draw(&PathElement::new(
        vec![(line, y + 8), (line + 30, y + 8)],
        LOAD.stroke_width(4),
    ))
    .map_err(problem)?;
    let load = tr!(lang, "session-trends-load");
    root.draw(&Text::new(load.as_str(), (line + 36, y - 2), style.clone()))
        .map_err(problem)?;
    let mark = 290.max(line + 36 + width(&load)? + GAP + 7);
    root.draw(&triangle((mark, y + 8))).map_err(problem)?;
    root.draw(&Text::new(
        tr!(lang, "session-trends-pain"),
        (mark + 14, y - 2),
        style,
    ))
    .map_err(problem)?;
    Ok(())
}

/// "3 May", "3. Mai", "3 de mayo": a date on the axis, without its weekday.
fn axis_date(lang: Language, date: NaiveDate) -> String {
    // `short_date` leads with the weekday: "Mon 3 May", "Mo., 3. Mai",
    // "lun., 3 de mayo".
    let short = short_date(lang, date);
    let after_weekday = match lang {
        Language::En => short.split_once(' '),
        Language::De | Language::Es => short.split_once(", "),
    };
    after_weekday.map_or(short.clone(), |(_, rest)| rest.to_string())
}

/// The band's left side: a rule above, the exercise's name, the share done,
/// the pain reports and the load from first to last.
fn labels(
    root: &Canvas<'_>,
    lang: Language,
    top: i32,
    exercise: &Exercise,
    offered: &[&Day],
) -> Result<(), ProgressError> {
    root.draw(&PathElement::new(
        vec![(24, top), ((WIDTH - 24) as i32, top)],
        RULE.stroke_width(2),
    ))
    .map_err(problem)?;
    root.draw(&Text::new(
        clip(&exercise.title, 22),
        (24, top + 14),
        text(19, INK),
    ))
    .map_err(problem)?;
    let done = offered.iter().filter(|d| d.done).count();
    let share = if offered.is_empty() {
        tr!(lang, "session-trends-no-sessions")
    } else {
        tr!(
            lang,
            "session-trends-done-share",
            done = done,
            count = offered.len(),
            percent = done * 100 / offered.len()
        )
    };
    root.draw(&Text::new(share, (24, top + 44), text(17, INK)))
        .map_err(problem)?;
    let pains = exercise.days.iter().filter(|d| d.pain.is_some()).count();
    if pains > 0 {
        root.draw(&Text::new(
            tr!(lang, "session-trends-pain-reports", count = pains),
            (24, top + 70),
            text(17, PAIN),
        ))
        .map_err(problem)?;
    }
    if let (Some(first), Some(last)) = (offered.first(), offered.last()) {
        root.draw(&Text::new(
            tr!(
                lang,
                "session-trends-load-range",
                first = first.load,
                last = last.load
            ),
            (24, top + 96),
            text(16, LOAD),
        ))
        .map_err(problem)?;
    }
    Ok(())
}

/// A filled triangle pointing down, centred on `at`.
fn triangle(at: (i32, i32)) -> Polygon<(i32, i32)> {
    let (x, y) = at;
    Polygon::new(
        vec![(x - 7, y - 6), (x + 7, y - 6), (x, y + 7)],
        PAIN.filled(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eight_weeks_fit_the_plot_from_the_first_day_to_today() {
        let Some(today) = NaiveDate::from_ymd_opt(2027, 6, 27) else {
            panic!("a valid date");
        };
        let trends = Trends {
            today,
            exercises: Vec::new(),
            language: Language::En,
        };
        let first = trends.x_of(Trends::first_day(today));
        let last = trends.x_of(today);
        assert!(first > PLOT_LEFT as i32 && first < PLOT_LEFT as i32 + 12);
        assert!(last < PLOT_RIGHT as i32 && last > PLOT_RIGHT as i32 - 12);
    }
}
