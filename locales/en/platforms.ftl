# platforms
# What the Discord and Matrix adapters say in their own words (buttons,
# forms, short answers to a press), the slash commands' descriptions as
# Discord shows them, and the terminal demo's hints.

## Discord: the buttons on a message, and the footer that explains them

discord-button-done = Done
discord-button-skip = Skip
discord-button-pain = Pain
discord-button-agree = I agree
discord-button-later = Later (1 h)
discord-button-how-strong = How strong? (0–10)
discord-how-to-check-in = Check in with a button below (your own ✅ ⏭️ 🤕 reactions count too).

## Discord: what a press on a button answers

discord-recorded = Recorded: { $emoji } { $label }
discord-recorded-change = Recorded: { $emoji } { $label } — press another button to change it.
discord-agreed = Agreed, thank you. /status shows your next session.
discord-session-over = That session is over: check-ins count until the next one starts.
discord-not-yours = Nothing to record: these buttons are for the member this message was sent to.
discord-tally = Checked in so far: { $tally }

## Discord: the form "How strong?" opens (title and labels: 45 characters at most)

discord-pain-form-title = How did it hurt?
discord-pain-form-score = How strong, from 0 (nothing) to 10?
discord-pain-form-where = Where did you feel it?
discord-pain-form-where-example = For example: left shoulder blade

discord-error = Something went wrong on my side, and nothing was changed. Please try again in a minute.

## Discord: slash commands as the command list shows them (100 characters at
## most). Names stay English; `off`, `today`, `True` are what members pick or type.

discord-cmd-subscribe-description = Start or change your daily routine
discord-param-subscribe-time = Local time, e.g. 07:30 or 7:30am
discord-param-subscribe-timezone = Your time zone, e.g. Europe/Berlin
discord-param-subscribe-days = Which days
discord-param-subscribe-pace = Minutes between exercises
discord-cmd-pause-description = Pause your sessions, until you resume or for some days
discord-param-pause-days = Days to pause (empty: until you resume)
discord-cmd-later-description = Move today's session once (1 h if you don't say)
discord-param-later-delay = How much later
discord-cmd-followup-description = One reminder in the evening if the day's session isn't done
discord-param-followup-time = Local time, e.g. 20:00, or off
discord-cmd-pain-description = How strong your latest 🤕 was (0–10), and where
discord-param-pain-score = 0 = nothing, 10 = the worst you can imagine
discord-param-pain-where = Where you felt it, e.g. left shoulder blade
discord-cmd-timezone-description = Set your time zone
discord-param-timezone-zone = e.g. Europe/Berlin or a city such as berlin
discord-cmd-exercise-description = One exercise in full
discord-param-exercise-which = Its number (1-5) or name
discord-cmd-privacy-description = Your data: export it or erase it
discord-cmd-privacy-export-description = All your data as a JSON file, or your check-ins as CSV
discord-param-privacy-export-format = json: everything; csv: your check-ins, for a physiotherapist
discord-cmd-privacy-delete-description = Erase everything stored about you
discord-param-privacy-delete-confirm = Set to True to erase for good
discord-cmd-weekly-description = A summary of your week by DM each Sunday
discord-param-weekly-setting = on or off
discord-cmd-language-description = The language I write to you in
discord-param-language-language = Leave it out to see the languages
discord-cmd-leaderboard-description = The streaks of this channel's group
discord-cmd-nudges-description = Whether a group may mention you before its summary
discord-param-nudges-setting = on or off
discord-cmd-group-description = Do the routine together in this channel (Manage Server)
discord-cmd-group-setup-description = Post the routine here each day, with a summary in the evening
discord-param-group-setup-time = Local time, e.g. 07:30
discord-param-group-setup-timezone = The group's time zone, e.g. Europe/Berlin
discord-param-group-setup-days = Which days
discord-param-group-setup-summary = Local time of the day's summary, e.g. 21:00
discord-param-group-setup-language = The language of the group's posts (default: the server's)
discord-cmd-group-status-description = This channel's group: schedule, members, nudges
discord-cmd-group-off-description = Stop this channel's group (history is kept)
discord-cmd-group-nudges-description = Mention members who haven't checked in, an hour before the summary
discord-param-group-nudges-setting = on or off
discord-cmd-group-skip-description = No group session on one day (neutral for streaks)
discord-param-group-skip-date = The day, e.g. 2027-05-05, today or tomorrow
discord-cmd-group-pause-description = No group sessions for some days from tomorrow (neutral for streaks)
discord-param-group-pause-days = How many days

## Discord: the choices of a command's options, as the pickers show them

discord-choice-daily = daily
discord-choice-weekdays = weekdays
discord-choice-weekends = weekends
discord-choice-mon-wed-fri = mon,wed,fri
discord-choice-tue-thu = tue,thu
discord-choice-30m = 30m
discord-choice-1h = 1h
discord-choice-2h = 2h
discord-choice-tonight = tonight
discord-choice-on = on
discord-choice-off = off

## Matrix

matrix-answered-in-dm = I've answered you in our direct messages.
matrix-files-need-encryption = I only send files with your records into an encrypted room, and this one is not. Turn on encryption here (room settings → Security) and ask again.

## The terminal demo (`upright demo`)

demo-intro = Upright demo. It is { $now } UTC here. Try:
demo-intro-start = /subscribe { $time } UTC   then   /agree   then   wait 2m
demo-intro-more = react ✅ (or ⏭️, 🤕) checks in on the latest exercise; /help lists commands; quit ends.
demo-unknown-input = Commands start with `/` (try `/help`); also `react ✅ [#N]`, `unreact ✅ [#N]`, `wait 10m`, `quit`.
demo-nothing-to-react-to = There is no exercise to check in on yet.
demo-reacted = (you reacted { $emoji } on #{ $number })
demo-unreacted = (you removed { $emoji } on #{ $number })
demo-reacted-nothing = (reacted { $emoji } on #{ $number }: nothing to check in there)
demo-unreacted-nothing = (removed { $emoji } on #{ $number }: nothing to check in there)
demo-attachment = [attachment: { $path }]
demo-attachment-failed = [attachment could not be written to { $path }: { $error }]

# Slash command names as Discord shows them (lowercase, no spaces, at most
# 32 characters); the English name always works too.
discord-name-subscribe = subscribe
discord-name-agree = agree
discord-name-unsubscribe = unsubscribe
discord-name-pause = pause
discord-name-resume = resume
discord-name-skip = skip
discord-name-later = later
discord-name-followup = followup
discord-name-pain = pain
discord-name-status = status
discord-name-timezone = timezone
discord-name-routine = routine
discord-name-exercise = exercise
discord-name-causes = causes
discord-name-why = why
discord-name-tips = tips
discord-name-precautions = precautions
discord-name-disclaimer = disclaimer
discord-name-streak = streak
discord-name-progress = progress
discord-name-trends = trends
discord-name-weekly = weekly
discord-name-leaderboard = leaderboard
discord-name-nudges = nudges
discord-name-privacy = privacy
discord-name-language = language
discord-name-help = help
discord-name-group = group
