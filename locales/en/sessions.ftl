# sessions: what the engine sends to a member on its own (the day's
# session, pain advice, follow-ups, the weekly summary, the disclaimer's
# framing) and the words drawn into the progress and trends pictures.

## Loads and check-ins

session-load-resting = resting after pain
session-load-reps = { $reps } reps
session-load-reps-each-side = { $reps } reps each side
# The load is one of the two above.
session-load-hold = { $load }, hold { $seconds } s
session-how-to-check-in = React { $done_emoji } when done, { $skip_emoji } to skip, { $pain_emoji } if it hurts.
session-days =
    { $count ->
        [one] { $count } day
       *[other] { $count } days
    }
session-streak-line = Streak: { $current } (best { $best }, { $done_days } done in all)
session-kind-strength = strength
session-kind-stretch = stretch
session-kind-mobility = mobility

## The session's opening (the days: a list of dates)

session-missed-offline =
    { $count ->
        [one] Your session on { $days } was not sent: Upright was offline. It doesn't count against your streak.
       *[other] Your sessions on { $days } were not sent: Upright was offline. They don't count against your streak.
    }
session-missed-unreachable =
    { $count ->
        [one] Your session on { $days } was not sent: the chat service could not be reached. It doesn't count against your streak.
       *[other] Your sessions on { $days } were not sent: the chat service could not be reached. They don't count against your streak.
    }
session-late = Sorry, this comes { $late } late: I was offline at your session time.
session-opening-exercises = { $count } exercises today, one message each:
session-opening-resting = resting after pain, back on { $date }
session-opening-pace = The next exercise follows when you check in, or after { $minutes } min.

## One exercise

session-exercise-setup = **Setup:** { $setup }
session-exercise-today = **Today:** { $load }
session-exercise-safety = **Safety:** { $safety }
session-exercise-reference-footer = { $kind } · part of your daily routine

## The closing

session-closing-title = Routine complete
session-closing-stopped-for-pain = We stopped early today because something hurt. Rest, and see how you feel tomorrow.
session-closing-done = That's the whole routine for today. Well done for showing up.
session-closing-tally = { $done_emoji } { $done } done · { $skip_emoji } { $skipped } skipped · { $pain_emoji } { $pain } pain
session-closing-unanswered = { $count } without a check-in (you can still react)

## Pain: the advice after a 🤕 and the answer to `pain`

session-pain-title = Stop: { $exercise }
session-pain-answer-with = Answer with `pain <0-10> [where]`, for example `pain 6 between the shoulder blades`.
session-pain-see-precautions = See `precautions` for more.
session-pain-noted = Noted: { $score }/10, on { $exercise }. It's stored with that check-in; `trends` and `privacy export csv` show your reports, to share with a physiotherapist.
session-pain-noted-at = Noted: { $score }/10, { $place }, on { $exercise }. It's stored with that check-in; `trends` and `privacy export csv` show your reports, to share with a physiotherapist.
session-pain-see-professional = If it stays this strong or gets worse, please see a healthcare professional.

## The disclaimer's last line

session-disclaimer-agree = To agree, use `agree` or react { $done_emoji } to this message.

## The evening follow-up

session-followup-none = Nothing checked in yet today: there's still time for today's routine, even a part of it. React { $done_emoji } on each one you do; check-ins count until tomorrow's session. (`followup off` stops these.)
session-followup-some = { $done } of { $count } exercises checked in so far: there's still time for today's routine, even a part of it. React { $done_emoji } on each one you do; check-ins count until tomorrow's session. (`followup off` stops these.)

## The weekly summary

session-weekly-title = Your week
session-weekly-done = { $from } to { $to }: { $done } of { $count } sessions done.
session-weekly-same-load = Your load stayed the same this week.
session-weekly-load-changes = Load changes:
session-weekly-load-change = { $exercise }: { $before } → { $after } reps
session-weekly-off = Send `weekly off` to stop these.

## The progress picture (short: drawn in a fixed space)

session-progress-title = Upright · last 12 weeks
# The streak figures are session-days.
session-progress-streak = Streak { $current } · best { $best } · { $done_days } done
session-progress-less = less
session-progress-more = more

## The trends picture (short: drawn in a fixed space)

session-trends-title = Upright · last 8 weeks, exercise by exercise
session-trends-done = done
session-trends-load = load (reps)
session-trends-pain = pain, with its score 0–10
session-trends-today = today
session-trends-no-sessions = no sessions yet
session-trends-done-share = done { $done } of { $count } ({ $percent }%)
session-trends-pain-reports =
    { $count ->
        [one] { $count } pain report
       *[other] { $count } pain reports
    }
session-trends-load-range = { $first } → { $last } reps
