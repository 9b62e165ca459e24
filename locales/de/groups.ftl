# groups: what the engine posts in a group's channel or room: the day's
# opening and closing, the nudge, the summary, the leaderboard and the
# rest-day notice.

## The group's session

group-opening = Gruppeneinheit: { $count } Übungen, alle { $minutes } Min. eine. Fang hier an und mach mehr, wenn es dir leichtfällt:
# The how-to is session-how-to-check-in.
group-opening-how = Jede Reaktion ist der eigene Check-in. { $how_to_check_in } Die Zusammenfassung kommt um { $time } Uhr. Neu hier? Lies zuerst `disclaimer`: Das ist keine medizinische Beratung.
group-closing-title = Das war die Routine für heute
group-closing = Alle { $count } Übungen stehen oben. Reagiere auf die, die du gemacht hast, auch später am Tag; die Zusammenfassung kommt um { $time } Uhr.
# The names are mentions.
group-nudge = { $names }: Noch ist Zeit für die heutige Routine (sie steht oben). Reagiere mit { $done_emoji } auf jede Übung, die du vor der Zusammenfassung um { $time } Uhr machst. (Schick `nudges off`, wenn du lieber nicht erwähnt werden möchtest.)
group-rest-day = Am { $date } gibt es keine Gruppeneinheit: Die Gruppe ruht, und der Tag zählt für niemanden gegen die Serie.

## The day's summary

group-summary-title = Gruppenübersicht · { $date }
group-summary-completion-same = Gruppenquote über 7 Tage: { $now } % der Mitglieder-Tage geschafft ({ $done } von { $possible }), genauso viel wie in der Woche davor ({ $before } %).
group-summary-completion-up =
    Gruppenquote über 7 Tage: { $now } % der Mitglieder-Tage geschafft ({ $done } von { $possible }), { $points ->
        [one] { $points } Prozentpunkt
       *[other] { $points } Prozentpunkte
    } mehr als in der Woche davor ({ $before } %).
group-summary-completion-down =
    Gruppenquote über 7 Tage: { $now } % der Mitglieder-Tage geschafft ({ $done } von { $possible }), { $points ->
        [one] { $points } Prozentpunkt
       *[other] { $points } Prozentpunkte
    } weniger als in der Woche davor ({ $before } %).
group-summary-completion-first = Gruppenquote über 7 Tage: { $now } % der Mitglieder-Tage geschafft ({ $done } von { $possible }); mit der Woche davor gibt es noch nichts zu vergleichen.
group-summary-no-check-ins = Diese Woche noch keine Check-ins.
group-summary-nobody = Heute hat niemand eingecheckt. Morgen ist eine neue Chance.
# The streaks are session-days; the check-ins list the exercises by emoji.
group-summary-line = - **{ $name }**: { $check_ins } · Serie { $current } (Bestwert { $best })
group-summary-more-checked-in =
    { $count ->
        [one] …und { $count } weitere Person hat eingecheckt.
       *[other] …und { $count } weitere haben eingecheckt.
    }
group-summary-and-more = und { $count } weitere
group-summary-not-yet = Heute noch kein Check-in: { $names }

## The leaderboard

group-leaderboard-title = Bestenliste
group-leaderboard-empty = Hier hat noch niemand eingecheckt. Reagiere auf die heutigen Übungen, um auf die Liste zu kommen.
group-leaderboard-row = { $rank }. **{ $name }**: { $current } (Bestwert { $best })
group-leaderboard-more = …und { $count } weitere.
group-leaderboard-order = Sortiert nach aktueller Serie, dann bester Serie, dann Name.
