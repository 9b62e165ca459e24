//! The progress picture: the last 12 weeks as a calendar, one square a day,
//! darker the more of the routine was done, with the streak on top.
//!
//! Drawn in-process with plotters and an embedded font (no system fonts),
//! large enough to read as a chat thumbnail. The colours are one blue hue
//! from light to dark, so they differ in lightness for every kind of colour
//! vision; days without a session are grey.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use image::ImageEncoder;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::coaching::Streak;
use crate::i18n::Language;
use crate::i18n::dates::weekday_short;
use crate::tr;

pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 500;
pub const WEEKS: u32 = 12;

const LEFT: u32 = 76;
const TOP: u32 = 92;
const CELL: u32 = 46;
const GAP: u32 = 6;
/// The embedded font's name, for this picture and the trends one.
pub(crate) const FONT: &str = "upright-sans";
const FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// No session that day.
pub const NO_SESSION: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Shares of the routine done: none, some, at least half, all.
pub const SHADES: [RGBColor; 4] = [
    RGBColor(0xDE, 0xEB, 0xF7),
    RGBColor(0x9E, 0xCA, 0xE1),
    RGBColor(0x42, 0x92, 0xC6),
    RGBColor(0x08, 0x30, 0x6B),
];

#[derive(Debug, thiserror::Error)]
#[error("the picture could not be drawn: {0}")]
pub struct ProgressError(String);

/// The colour of a day: `None` when there was no session, else the share done.
pub fn shade(share: Option<f32>) -> RGBColor {
    match share {
        None => NO_SESSION,
        Some(s) if s >= 1.0 => SHADES[3],
        Some(s) if s >= 0.5 => SHADES[2],
        Some(s) if s > 0.0 => SHADES[1],
        Some(_) => SHADES[0],
    }
}

/// Top-left pixel of a day's square: `week` 0 is the oldest column,
/// `weekday` 0 is Monday.
pub fn cell_origin(week: u32, weekday: u32) -> (u32, u32) {
    (LEFT + week * (CELL + GAP), TOP + weekday * (CELL + GAP))
}

/// The square of `date` in a picture ending with `today`'s week, if shown.
pub fn cell_of(today: NaiveDate, date: NaiveDate) -> Option<(u32, u32)> {
    let first_monday = monday_of(today) - Duration::weeks(i64::from(WEEKS) - 1);
    let days = (date - first_monday).num_days();
    if date > today || days < 0 {
        return None;
    }
    let week = u32::try_from(days / 7).ok().filter(|w| *w < WEEKS)?;
    Some(cell_origin(week, date.weekday().num_days_from_monday()))
}

fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(date.weekday().num_days_from_monday().into())
}

pub(crate) fn font_ready() -> Result<(), ProgressError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ProgressError(
            "the embedded font is not a valid font".into(),
        ))
    }
}

pub(crate) fn problem(error: impl std::fmt::Display) -> ProgressError {
    ProgressError(error.to_string())
}

/// The drawing area pictures are drawn on.
pub(crate) type Canvas<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// A `width` × `height` PNG: a white canvas, drawn on by `draw` with the
/// embedded font ready.
pub(crate) fn png(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Canvas<'_>) -> Result<(), ProgressError>,
) -> Result<Vec<u8>, ProgressError> {
    font_ready()?;
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(problem)?;
        draw(&root)?;
        root.present().map_err(problem)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, width, height, image::ColorType::Rgb8)
        .map_err(problem)?;
    Ok(png)
}

/// What a progress picture shows, read from the database; drawn after the
/// connection is released, so a drawing never holds up other members.
#[derive(Debug, Clone)]
pub struct Picture {
    pub today: NaiveDate,
    pub days: BTreeMap<NaiveDate, f32>,
    pub streak: Streak,
    /// The member's, for the words drawn in.
    pub language: Language,
}

impl Picture {
    /// The PNG, as a reply's attachment.
    pub fn draw(&self) -> Result<crate::message::Attachment, ProgressError> {
        Ok(crate::message::Attachment {
            filename: "progress.png".to_string(),
            mime: "image/png",
            bytes: render(self.language, self.today, &self.days, self.streak)?,
        })
    }
}

/// Draws the picture as PNG bytes, its words in `lang`. `days` maps each day
/// with a session to the share of the routine done (0.0–1.0).
pub fn render(
    lang: Language,
    today: NaiveDate,
    days: &BTreeMap<NaiveDate, f32>,
    streak: Streak,
) -> Result<Vec<u8>, ProgressError> {
    png(WIDTH, HEIGHT, |root| {
        let text = |size: u32, color: RGBColor| (FONT, size).into_font().color(&color);
        let dark = RGBColor(0x20, 0x20, 0x20);
        root.draw(&Text::new(
            tr!(lang, "session-progress-title"),
            (24, 16),
            text(30, dark),
        ))
        .map_err(problem)?;
        let day_count = |n: u32| tr!(lang, "session-days", count = n);
        let line = tr!(
            lang,
            "session-progress-streak",
            current = day_count(streak.current),
            best = streak.best,
            done_days = day_count(streak.done_days)
        );
        root.draw(&Text::new(
            line,
            (24, 54),
            text(22, RGBColor(0x08, 0x30, 0x6B)),
        ))
        .map_err(problem)?;
        for day in [Weekday::Mon, Weekday::Wed, Weekday::Fri, Weekday::Sun] {
            let (_, y) = cell_origin(0, day.num_days_from_monday());
            let name = weekday_short(lang, day);
            root.draw(&Text::new(name, (20, (y + 14) as i32), text(17, dark)))
                .map_err(problem)?;
        }
        let first_monday = monday_of(today) - Duration::weeks(i64::from(WEEKS) - 1);
        for offset in 0..(WEEKS * 7) {
            let date = first_monday + Duration::days(offset.into());
            let Some((x, y)) = cell_of(today, date) else {
                continue;
            };
            let color = shade(days.get(&date).copied());
            let square = [(x as i32, y as i32), ((x + CELL) as i32, (y + CELL) as i32)];
            root.draw(&Rectangle::new(square, color.filled()))
                .map_err(problem)?;
            if date == today {
                root.draw(&Rectangle::new(
                    square,
                    RGBColor(0xE6, 0x55, 0x0D).stroke_width(3),
                ))
                .map_err(problem)?;
            }
        }
        draw_legend(root, lang)?;
        Ok(())
    })
}

/// The legend, left to right: no session, none, some, half or more, all;
/// its squares move right when "less" is a longer word.
fn draw_legend(root: &Canvas<'_>, lang: Language) -> Result<(), ProgressError> {
    let text = |size: u32, color: RGBColor| (FONT, size).into_font().color(&color);
    let dark = RGBColor(0x20, 0x20, 0x20);
    let legend_y = (HEIGHT - 32) as i32;
    let less = tr!(lang, "session-progress-less");
    let (less_width, _) = root
        .estimate_text_size(&less, &text(16, dark))
        .map_err(problem)?;
    let squares = LEFT as i32 + 48.max(less_width as i32 + 8);
    root.draw(&Text::new(
        less,
        (LEFT as i32, legend_y - 2),
        text(16, dark),
    ))
    .map_err(problem)?;
    for (i, color) in std::iter::once(NO_SESSION).chain(SHADES).enumerate() {
        let x = squares + i as i32 * 26;
        root.draw(&Rectangle::new(
            [(x, legend_y - 2), (x + 20, legend_y + 18)],
            color.filled(),
        ))
        .map_err(problem)?;
    }
    root.draw(&Text::new(
        tr!(lang, "session-progress-more"),
        (squares + 5 * 26 + 6, legend_y - 2),
        text(16, dark),
    ))
    .map_err(problem)?;
    Ok(())
}
