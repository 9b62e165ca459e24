# sessions: what the engine sends to a member on its own (the day's
# session, pain advice, follow-ups, the weekly summary, the disclaimer's
# framing) and the words drawn into the progress and trends pictures.

## Loads and check-ins

session-load-resting = Pause wegen Schmerzen
session-load-reps =
    { $reps ->
        [one] { $reps } Wiederholung
       *[other] { $reps } Wiederholungen
    }
session-load-reps-each-side =
    { $reps ->
        [one] { $reps } Wiederholung pro Seite
       *[other] { $reps } Wiederholungen pro Seite
    }
# The load is one of the two above.
session-load-hold = { $load }, { $seconds } s halten
session-how-to-check-in = Reagiere mit { $done_emoji }, wenn du fertig bist, mit { $skip_emoji } zum Überspringen und mit { $pain_emoji }, wenn es wehtut.
session-days =
    { $count ->
        [one] { $count } Tag
       *[other] { $count } Tage
    }
session-streak-line = Serie: { $current } (Bestwert { $best }, insgesamt { $done_days } geschafft)
session-kind-strength = Kraft
session-kind-stretch = Dehnung
session-kind-mobility = Mobilität

## The session's opening (the days: a list of dates)

session-missed-offline =
    { $count ->
        [one] Deine Einheit am { $days } wurde nicht gesendet: Upright war offline. Sie zählt nicht gegen deine Serie.
       *[other] Deine Einheiten am { $days } wurden nicht gesendet: Upright war offline. Sie zählen nicht gegen deine Serie.
    }
session-missed-unreachable =
    { $count ->
        [one] Deine Einheit am { $days } wurde nicht gesendet: Der Chat-Dienst war nicht erreichbar. Sie zählt nicht gegen deine Serie.
       *[other] Deine Einheiten am { $days } wurden nicht gesendet: Der Chat-Dienst war nicht erreichbar. Sie zählen nicht gegen deine Serie.
    }
session-late = Entschuldige, das kommt { $late } zu spät: Ich war zu deiner Trainingszeit offline.
session-opening-exercises =
    { $count ->
        [one] Heute { $count } Übung, eine Nachricht pro Übung:
       *[other] Heute { $count } Übungen, eine Nachricht pro Übung:
    }
session-opening-resting = Pause wegen Schmerzen, wieder dabei am { $date }
session-opening-pace = Die nächste Übung kommt, sobald du eincheckst, spätestens nach { $minutes } Min.

## One exercise

session-exercise-setup = **Ausgangsposition:** { $setup }
session-exercise-today = **Heute:** { $load }
session-exercise-safety = **Sicherheit:** { $safety }
session-exercise-reference-footer = { $kind } · Teil deiner täglichen Routine

## The closing

session-closing-title = Routine geschafft
session-closing-stopped-for-pain = Wir haben heute früher aufgehört, weil etwas wehgetan hat. Ruh dich aus und schau, wie es dir morgen geht.
session-closing-done = Das war die ganze Routine für heute. Schön, dass du dabei warst!
session-closing-tally = { $done_emoji } { $done } erledigt · { $skip_emoji } { $skipped } übersprungen · { $pain_emoji } { $pain } mit Schmerzen
session-closing-unanswered = { $count } ohne Check-in (du kannst noch reagieren)

## Pain: the advice after a 🤕 and the answer to `pain`

session-pain-title = Stopp: { $exercise }
session-pain-answer-with = Antworte mit `pain <0-10> [wo]`, zum Beispiel `pain 6 zwischen den Schulterblättern`.
session-pain-see-precautions = Mehr dazu unter `precautions`.
session-pain-noted = Notiert: { $score }/10 bei { $exercise }. Das ist bei diesem Check-in gespeichert; `trends` und `privacy export csv` zeigen deine Meldungen, zum Beispiel für deine Physiotherapie.
session-pain-noted-at = Notiert: { $score }/10, { $place }, bei { $exercise }. Das ist bei diesem Check-in gespeichert; `trends` und `privacy export csv` zeigen deine Meldungen, zum Beispiel für deine Physiotherapie.
session-pain-see-professional = Wenn es so stark bleibt oder schlimmer wird, geh bitte zu einer medizinischen Fachkraft.

## The disclaimer's last line

session-disclaimer-agree = Um zuzustimmen, nutze `agree` oder reagiere mit { $done_emoji } auf diese Nachricht.

## The evening follow-up

session-followup-none = Heute noch nichts eingecheckt: Du hast noch Zeit für die heutige Routine, auch für einen Teil davon. Reagiere mit { $done_emoji } auf jede Übung, die du machst; Check-ins zählen bis zur Einheit morgen. (`followup off` stellt diese Nachrichten ab.)
session-followup-some = Bisher { $done } von { $count } Übungen eingecheckt: Du hast noch Zeit für die heutige Routine, auch für einen Teil davon. Reagiere mit { $done_emoji } auf jede Übung, die du machst; Check-ins zählen bis zur Einheit morgen. (`followup off` stellt diese Nachrichten ab.)

## The weekly summary

session-weekly-title = Deine Woche
session-weekly-done =
    { $count ->
        [one] { $from } bis { $to }: { $done } von { $count } Einheit geschafft.
       *[other] { $from } bis { $to }: { $done } von { $count } Einheiten geschafft.
    }
session-weekly-same-load = Deine Belastung ist diese Woche gleich geblieben.
session-weekly-load-changes = Geänderte Belastung:
session-weekly-load-change = { $exercise }: { $before } → { $after } Wiederholungen
session-weekly-off = Mit `weekly off` stellst du diese Nachrichten ab.

## The progress picture (short: drawn in a fixed space)

session-progress-title = Upright · letzte 12 Wochen
# The streak figures are session-days.
session-progress-streak = Serie { $current } · Bestwert { $best } · { $done_days } geschafft
session-progress-less = weniger
session-progress-more = mehr

## The trends picture (short: drawn in a fixed space)

session-trends-title = Upright · letzte 8 Wochen, Übung für Übung
session-trends-done = geschafft
session-trends-load = Last (Wdh.)
session-trends-pain = Schmerz, mit Stärke 0–10
session-trends-today = heute
session-trends-no-sessions = noch keine Einheiten
session-trends-done-share = { $done } von { $count } geschafft ({ $percent } %)
session-trends-pain-reports =
    { $count ->
        [one] { $count } Schmerzmeldung
       *[other] { $count } Schmerzmeldungen
    }
session-trends-load-range = { $first } → { $last } Wdh.
