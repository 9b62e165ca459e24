# groups: what the engine posts in a group's channel or room: the day's
# opening and closing, the nudge, the summary, the leaderboard and the
# rest-day notice.

## The group's session

group-opening = Group session: { $count } exercises, one every { $minutes } min. Start here and do more if it feels easy:
# The how-to is session-how-to-check-in.
group-opening-how = Everyone's reaction is their own check-in. { $how_to_check_in } The summary follows at { $time }. New here? Read `disclaimer` first: this is not medical advice.
group-closing-title = That's the routine for today
group-closing = All { $count } exercises are above. React on the ones you did, even later today; the summary comes at { $time }.
# The names are mentions.
group-nudge = { $names }: there's still time for today's routine (it's above). React { $done_emoji } on each exercise you do before the summary at { $time }. (Send `nudges off` if you'd rather not be mentioned.)
group-rest-day = No group session on { $date }: the group rests, and the day doesn't count against anyone's streak.

## The day's summary

group-summary-title = Group summary · { $date }
group-summary-completion-same = Group completion over 7 days: { $now }% of member-days done ({ $done } of { $possible }), the same as the week before ({ $before }%).
group-summary-completion-up = Group completion over 7 days: { $now }% of member-days done ({ $done } of { $possible }), up { $points } points from the week before ({ $before }%).
group-summary-completion-down = Group completion over 7 days: { $now }% of member-days done ({ $done } of { $possible }), down { $points } points from the week before ({ $before }%).
group-summary-completion-first = Group completion over 7 days: { $now }% of member-days done ({ $done } of { $possible }); nothing to compare with the week before.
group-summary-no-check-ins = No check-ins this week yet.
group-summary-nobody = Nobody checked in today. Tomorrow is another chance.
# The streaks are session-days; the check-ins list the exercises by emoji.
group-summary-line = - **{ $name }**: { $check_ins } · streak { $current } (best { $best })
group-summary-more-checked-in = …and { $count } more checked in.
group-summary-and-more = and { $count } more
group-summary-not-yet = No check-in today: { $names }

## The leaderboard

group-leaderboard-title = Leaderboard
group-leaderboard-empty = Nobody has checked in here yet. React to today's exercises to get on the board.
group-leaderboard-row = { $rank }. **{ $name }**: { $current } (best { $best })
group-leaderboard-more = …and { $count } more.
group-leaderboard-order = Ordered by current streak, then best streak, then name.
