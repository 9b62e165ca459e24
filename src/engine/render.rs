//! The words of every message the engine sends on its own.

use chrono::{Duration, NaiveDate};

use crate::check_in::CheckInKind;
use crate::coaching::{Streak, Tally};
use crate::content::{Content, Exercise, Routine, TopicId};
use crate::duration::describe;
use crate::message::Message;

/// "10 reps, hold 3 s" or "10 reps each side, hold 3 s".
pub fn load_text(exercise: &Exercise, reps: u32) -> String {
    let side = if exercise.reps.per_side {
        " each side"
    } else {
        ""
    };
    match exercise.hold_seconds {
        Some(hold) => format!("{reps} reps{side}, hold {hold} s"),
        None => format!("{reps} reps{side}"),
    }
}

pub fn how_to_check_in() -> String {
    format!(
        "React {} when done, {} to skip, {} if it hurts.",
        CheckInKind::Done.emoji(),
        CheckInKind::Skip.emoji(),
        CheckInKind::Pain.emoji()
    )
}

pub fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B").to_string()
}

pub fn opening(
    routine: &Routine,
    date: NaiveDate,
    loads: &[u32],
    pace_minutes: u32,
    late_by: Option<Duration>,
) -> Message {
    let mut body = String::new();
    if let Some(late) = late_by {
        body.push_str(&format!(
            "Sorry, this comes {} late: I was offline at your session time.\n\n",
            describe(late)
        ));
    }
    body.push_str(&format!(
        "{} exercises today, one message each:\n",
        routine.exercises.len()
    ));
    for (exercise, reps) in routine.exercises.iter().zip(loads) {
        body.push_str(&format!(
            "- {}: {}\n",
            exercise.title,
            load_text(exercise, *reps)
        ));
    }
    body.push_str(&format!(
        "\n{} The next exercise follows when you check in, or after {pace_minutes} min.",
        how_to_check_in()
    ));
    Message::new(format!("{} · {}", routine.title, long_date(date)), body)
}

pub fn exercise(routine: &Routine, number: usize, exercise: &Exercise, reps: u32) -> Message {
    let mut body = format!("_{}_\n\n**Setup:** {}\n", exercise.purpose, exercise.setup);
    for (i, step) in exercise.steps.iter().enumerate() {
        body.push_str(&format!("{}. {}\n", i + 1, step));
    }
    body.push_str(&format!(
        "\n**Today:** {}\n**Safety:** {}",
        load_text(exercise, reps),
        exercise.safety
    ));
    Message::new(
        format!(
            "{}/{} · {}",
            number,
            routine.exercises.len(),
            exercise.title
        ),
        body,
    )
    .with_footer(how_to_check_in())
}

/// One exercise in full, outside a session (the `exercise` command).
pub fn exercise_reference(
    routine: &Routine,
    number: usize,
    exercise: &Exercise,
    reps: u32,
) -> Message {
    let mut message = self::exercise(routine, number, exercise, reps);
    message.footer = Some(format!(
        "{} · {}",
        exercise.kind, "part of your daily routine"
    ));
    message
}

pub fn closing(tally: Tally, streak: Streak, stopped_for_pain: bool) -> Message {
    let mut body = String::new();
    if stopped_for_pain {
        body.push_str("We stopped early today because something hurt. Rest, and see how you feel tomorrow.\n\n");
    } else {
        body.push_str("That's the whole routine for today. Well done for showing up.\n\n");
    }
    body.push_str(&format!(
        "{} {} done · {} {} skipped · {} {} pain",
        CheckInKind::Done.emoji(),
        tally.done,
        CheckInKind::Skip.emoji(),
        tally.skipped,
        CheckInKind::Pain.emoji(),
        tally.pain
    ));
    if tally.unanswered > 0 {
        body.push_str(&format!(
            " · {} without a check-in (you can still react)",
            tally.unanswered
        ));
    }
    body.push_str(&format!("\n{}", streak_line(streak)));
    Message::new("Routine complete", body)
}

pub fn streak_line(streak: Streak) -> String {
    let days = |n: u32| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    format!(
        "Streak: {} (best {}, {} done in all)",
        days(streak.current),
        days(streak.best),
        days(streak.done_days)
    )
}

pub fn pain_advice(content: &Content, exercise: &Exercise) -> Message {
    Message::new(
        format!("Stop: {}", exercise.title),
        format!("{}\n\nSee `precautions` for more.", content.pain_advice()),
    )
}

pub fn disclaimer(content: &Content) -> Message {
    let topic = content.topic(TopicId::Disclaimer);
    let mut body = format!("{}\n", topic.intro);
    for point in &topic.points {
        body.push_str(&format!("- {point}\n"));
    }
    body.push_str(&format!(
        "\nTo agree, use `agree` or react {} to this message.",
        CheckInKind::Done.emoji()
    ));
    Message::new(topic.title.clone(), body)
}
