# commands
# Answers to member commands (src/commands/, src/schedule.rs). Command
# words stay English in every language, in backticks.

## Answering at all

cmd-slow-down = You're sending commands faster than I can answer them well. Give me a few seconds, then try again.
cmd-failed = Something went wrong on my side, and nothing was changed. Please try again in a minute.
cmd-work-failed = Something went wrong on my side; please try again in a minute.
cmd-picture-failed = I could not draw your picture just now; please try again later.
# reason: what the platform said, as it said it.
cmd-paused-notice = **Your sessions are paused:** I could not message you ({ $reason }). Allow direct messages from me, then send `resume`.

## Text that is not a command

cmd-parse-unknown = I don't know the command `{ $command }`. Send `help` to see what I can do.
# what: one of the cmd-what-* texts; example: a command, in English.
cmd-parse-missing = `{ $command }` needs { $what }, for example `{ $example }`.
cmd-parse-too-long = That argument is too long ({ $length } characters); keep each one under { $max }.
# usage: one of the cmd-usage-* texts.
cmd-parse-unexpected = `{ $command }` takes no `{ $extra }`. { $usage }

cmd-what-time = a time
cmd-what-zone = a time zone
cmd-what-exercise = a number or a name
cmd-what-followup = a time or `off`
cmd-what-pain = a score from 0 to 10 (and where, if you like)
cmd-what-privacy = `export` or `delete`
cmd-what-group = `setup`, `off`, `status`, `nudges`, `skip` or `pause`
cmd-what-summary-time = a time after `summary`
cmd-what-language = a language after `language`
cmd-what-on-off = `on` or `off`
cmd-what-date = a date
cmd-what-days = a number of days

cmd-usage-pause = Use `pause` or `pause 3` (days).
cmd-usage-later = Use `later`, `later 30m`, `later 1h`, `later 2h` or `later tonight`.
cmd-usage-language = Use `language` to see the languages, or `language de`.
cmd-usage-no-arguments = It needs nothing after its name.
cmd-usage-nothing-more = It needs nothing more.
cmd-usage-followup = Use `followup 20:00` or `followup off`.
cmd-usage-privacy-export = Use `privacy export` (JSON) or `privacy export csv`.
cmd-usage-group-skip = Write one date like `2027-05-05`, or `today` or `tomorrow`.
cmd-usage-group-pause = Write one number of days, e.g. `group pause 3`.

## Times, zones and days as typed

cmd-input-not-a-time = `{ $input }` is not a time. Write it as HH:MM, for example `07:30` or `7:30am`.
cmd-input-hour = There is no hour { $hour }. Use 00–23, or 1–12 with am/pm (for example `07:30` or `7:30pm`).
cmd-input-minute = There is no minute { $minute }. Minutes go from 00 to 59 (for example `07:30`).
cmd-input-unknown-zone = I don't know the time zone `{ $input }`. Use an IANA name such as `Europe/Berlin` or a city such as `berlin`.
# suggestions: zone names joined by cmd-input-or.
cmd-input-unknown-zone-suggest = I don't know the time zone `{ $input }`. Did you mean { $suggestions }? Use an IANA name such as `Europe/Berlin` or a city such as `berlin`.
cmd-input-or = or
cmd-input-ambiguous-zone = `{ $input }` matches several time zones: { $candidates }. Please give the full name.
cmd-input-unknown-day = `{ $input }` is not a day. Use `daily`, `weekdays`, `weekends`, or days like `mon,wed,fri`.

# A schedule: "07:30 weekdays (Europe/Berlin)"; days is a cmd-days-* text
# or short weekday names ("Mon, Wed, Fri").
cmd-schedule = { $time } { $days } ({ $zone })
cmd-days-daily = daily
cmd-days-weekdays = weekdays
cmd-days-weekends = weekends

## help

# how_to_type: how the member's platform takes commands.
cmd-help-intro = I send you a short routine of exercises for your upper back each day, one at a time. React ✅ when done, ⏭️ to skip, 🤕 if it hurts. { $how_to_type }
cmd-help-title = Upright: commands
cmd-help-subscribe = start or change your daily routine, e.g. `subscribe 07:30 Europe/Berlin weekdays`
cmd-help-agree = accept the disclaimer (needed once, before your first session)
cmd-help-status = your next session, streak and today's load
cmd-help-pause = pause your sessions, for good or for some days
cmd-help-resume = start your sessions again
cmd-help-skip = skip today's session
cmd-help-later = move today's session once (1 h if you don't say)
cmd-help-followup = one reminder that evening if the day's session isn't done (off unless you ask)
cmd-help-timezone = set your time zone, e.g. `timezone berlin`
cmd-help-unsubscribe = stop your sessions (your history is kept)
cmd-help-pain = how strong your latest 🤕 was, and where, e.g. `pain 6 left shoulder blade`
cmd-help-routine = today's routine
cmd-help-exercise = one exercise in full
cmd-help-topics = background on upper back pain
cmd-help-streak = your streak
cmd-help-progress = a picture of your last 12 weeks
cmd-help-trends = each exercise over 8 weeks: days done, load, pain scores (to show a physiotherapist)
cmd-help-weekly = a summary of your week by direct message each Sunday
cmd-help-leaderboard = the streaks of this channel's group
cmd-help-nudges = whether a group may mention you before its summary
cmd-help-group-setup = admins: do the routine together in this channel, e.g. `group setup 07:30 Europe/Berlin weekdays summary 21:00`
cmd-help-group-status = admins: see, stop, or turn nudges on or off for this channel's group
cmd-help-group-rest = admins: the group rests that day, or for some days from tomorrow (neutral for streaks)
cmd-help-privacy = all your data as a file / erase it
cmd-help-language = the language I write to you in: `language de`, `language es`, `language en`
cmd-help-help = this list

# A platform's menu of commands (Discord): at most 100 characters each.
cmd-describe-agree = Accept the disclaimer (needed once, before your first session)
cmd-describe-unsubscribe = Stop your sessions (your history is kept)
cmd-describe-resume = Start your sessions again
cmd-describe-skip = Skip today's session
cmd-describe-status = Your next session, streak and today's load
cmd-describe-routine = Today's routine
cmd-describe-causes = What causes upper back pain
cmd-describe-why = Why exercise helps
cmd-describe-tips = Tips for making it a habit
cmd-describe-precautions = Precautions: exercising safely with back pain
cmd-describe-disclaimer = The medical disclaimer
cmd-describe-streak = Your streak
cmd-describe-progress = A picture of your last 12 weeks
cmd-describe-trends = Each exercise over 8 weeks: days done, load, pain scores
cmd-describe-help = What Upright does, and its commands

## subscribe, agree, pause, resume, skip, later, followup, status, timezone

cmd-no-subscription = You have no daily routine yet. Start one with `subscribe 07:30 Europe/Berlin` (time, then your time zone).
# when: "Mon 1 Mar at 07:30 (Europe/Berlin), in 2 h 5 min" or the platform's own.
cmd-next-session = Next session: { $when }.
cmd-next-after-agree = Your first session is scheduled once you `agree` to the disclaimer.
cmd-next-none = No session is scheduled.
cmd-title-daily-routine = Daily routine
cmd-subscribed = Subscribed: { $schedule }, { $pace } min between exercises.
cmd-subscription-updated = Updated: { $schedule }, { $pace } min between exercises.
cmd-pace-invalid = the pace must be 1 to 30 minutes between exercises, not `{ $pace }`
cmd-zone-from-profile = I used the time zone in your profile, { $zone }; set another with `timezone <zone>`.
cmd-zone-guessed = I used UTC because I don't know your time zone yet; set it with `timezone <zone>`, e.g. `timezone berlin`.
# Followed by the disclaimer itself.
cmd-disclaimer-below = Before your first session, please read this.
cmd-disclaimer-sent = Before your first session, please read the disclaimer I sent you by direct message, then send `agree` (or react ✅ to it).
cmd-agreed-first-session = Thank you. Your first session: { $when }.
cmd-agreed-subscribe = Thank you. Start your daily routine with `subscribe 07:30 Europe/Berlin`.
cmd-unsubscribed = Your daily routine is stopped. Your history is kept: `subscribe` starts again where you left off, `privacy delete` erases it.
cmd-pause-not-days = `{ $text }` is not a number of days. Use `pause` to pause until you resume, or `pause 3` for 1 to 365 days.
cmd-paused = Paused. Send `resume` when you want your sessions back.
cmd-paused-for = Paused for { $days } day(s). Sessions start again on { $date }.
# next: a cmd-next-* text.
cmd-not-paused = You're not paused. { $next }
cmd-welcome-back = Welcome back. { $next }
cmd-skipped-today = Today's session is skipped; it won't count against your streak. { $next }
cmd-nothing-to-skip = There is no session left to skip today. { $next }
cmd-later-already-moved = Today's session has already been moved once, to { $time }.
cmd-later-under-way = Today's session is already under way, so it goes on at its own pace; `skip` stops it for today.
cmd-later-nothing-left = There's no session left today to move.
cmd-later-evening = It's already evening by your session's time; try `later 1h`. { cmd-usage-later }
cmd-later-unknown = `{ $delay }` is not a delay I know. { cmd-usage-later }
cmd-later-too-late = That would be { $time }, past 23:00: too late for today's session. Try a shorter delay, or `skip` it.
cmd-later-moved = Moved: today's session now starts { $when }.
cmd-followup-off = Follow-ups off: no reminders in the evening.
cmd-followup-no-such-time = { $time } does not exist in { $zone } in the next days.
cmd-followup-on = Follow-up on: at { $time } ({ $zone }) I'll send one reminder if that day's session isn't done yet — not after a skip or a 🤕, nor while paused. The first check is { $when }.
cmd-title-your-routine = Your routine
cmd-status-schedule = Schedule: { $schedule }, { $pace } min between exercises.
cmd-status-paused-until = Paused until { $date }.
cmd-status-paused = Paused until you `resume`.
cmd-status-load = Today's load:
cmd-timezone-set = Your time zone is now { $zone }.

## routine, exercise, streak, trends, progress

cmd-routine-unavailable = The routine is not available right now.
cmd-routine-see-one = See one in full with `exercise <number>`.
# names: "1 Chin tucks, 2 …"
cmd-no-such-exercise = There is no exercise `{ $which }`. Choose 1 to { $count }: { $names }.
cmd-no-streak = No streak yet: start your daily routine with `subscribe 07:30 Europe/Berlin`.
cmd-title-your-streak = Your streak
cmd-streak-rule = A day counts when you check in ✅ on at least { $needed } of the { $count } exercises. Days with 🤕, skipped or paused days don't break it.
cmd-nothing-yet = Nothing to show yet: start your daily routine with `subscribe 07:30 Europe/Berlin`.
cmd-title-your-trends = Your trends
cmd-trends = Each exercise over the last 8 weeks: green squares are days you did it, the blue line its load, orange triangles pain reports with their score. Handy to show a physiotherapist, with `privacy export csv`.
cmd-title-your-progress = Your progress
cmd-progress = Your last 12 weeks, a square a day: the darker, the more of the routine you did; grey days had no session.

## pain

cmd-pain-not-a-score = `{ $score }` is not a score: give a whole number from 0 (nothing) to 10 (the worst you can imagine), for example `pain 6 neck`.
cmd-pain-nothing-to-rate = There's no pain report to rate and no session under way. When an exercise hurts, react 🤕 to it, then tell me how strong.

## privacy

cmd-export-failed = The export could not be written: { $error }
cmd-export-json = Here is everything I store about you, as JSON.
cmd-export-csv = Your { $count } check-ins as CSV, one row each, to open in a spreadsheet or share with a physiotherapist.
cmd-delete-confirm = This erases your subscription, sessions, check-ins and group records for good. To go ahead, send `privacy delete confirm`.
cmd-deleted = Done: everything I stored about you is erased. You're welcome back any time with `subscribe`.

## Groups (admins), leaderboard, nudges, weekly summary

cmd-no-group = There is no group in this channel. An admin can start one with `group setup 07:30 Europe/Berlin`.
cmd-group-not-here = Group commands work in the channel or room the group meets in, not in a direct message.
cmd-group-ends-too-late = A session at { $time } would end at { $end }, with no time left for the day's summary; start it by { $latest }.
cmd-group-summary-too-early = The summary at { $summary } would come before the routine is over ({ $count } exercises from { $start } end at { $end }); pick { $earliest } or later.
cmd-title-group-set-up = Group set up
cmd-group-set-up = This channel now does the routine together: { $schedule }, one exercise every { $pace } min, summary at { $summary }.
cmd-group-zone-guessed = I used UTC because no time zone was given; add one, e.g. `group setup 07:30 Europe/Berlin`.
cmd-group-first-session = First session: { $when }.
# how: how to check in ("React ✅ when done, ⏭️ to skip, 🤕 if it hurts.").
cmd-group-set-up-nudges-on = Everyone checks in by reacting { $how }. Nudges are on (`group nudges off` to stop them).
cmd-group-set-up-nudges-off = Everyone checks in by reacting { $how }. Nudges are off; `group nudges on` mentions members who haven't checked in an hour before the summary.
cmd-title-group-stopped = Group stopped
cmd-group-stopped = No more group sessions here. Streaks and history are kept; `group setup` starts again.
cmd-title-group-status = Group status
cmd-group-status = { $schedule }, one exercise every { $pace } min, summary at { $summary }.
cmd-group-status-nudges-on = Members taking part: { $members }. Nudges: on.
cmd-group-status-nudges-off = Members taking part: { $members }. Nudges: off.
cmd-group-nudges-on = Nudges on: { $lead } min before the summary I'll mention members who took part this week but haven't checked in today. Anyone can opt out with `nudges off`.
cmd-group-nudges-off = Nudges off: nobody is mentioned before the summary.
cmd-group-not-a-date = `{ $date }` is not a date I can read; write it like `2027-05-05`, or `today` or `tomorrow`.
cmd-group-date-passed = { $date } has passed; choose today or a later day.
cmd-group-too-far = That is more than a year ahead; choose a nearer day.
cmd-group-already-started = Today's session has already started; it runs its course. Choose a later day.
cmd-group-pause-not-days = `{ $days }` is not a number of days from 1 to { $longest }, e.g. `group pause 3`.
cmd-group-rests = The group rests from { $from } to { $to }: no sessions, and those days don't count against anyone's streak.
cmd-leaderboard-not-here = Use `leaderboard` in the channel or room of a group.
cmd-nudges-on = Group nudges are on for you again: I may mention you before a summary if you haven't checked in.
cmd-nudges-off = Done: I won't mention you in group nudges.
cmd-weekly-off = Weekly summary off.
cmd-weekly-on = Weekly summary on: each Sunday at 18:00 I'll send you your days done, streak and load changes by direct message.
cmd-weekly-first = First one: { $when }.
cmd-weekly-no-routine = It covers your own daily routine, which you can start with `subscribe 07:30 Europe/Berlin`.
