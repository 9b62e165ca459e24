# commands
# Answers to member commands (src/commands/, src/schedule.rs). Command
# words stay English in every language, in backticks.

## Answering at all

cmd-slow-down = Du schickst Befehle schneller, als ich sie gut beantworten kann. Gib mir ein paar Sekunden und versuch es dann noch mal.
cmd-failed = Bei mir ist etwas schiefgelaufen, geändert wurde nichts. Bitte versuch es in einer Minute noch mal.
cmd-work-failed = Bei mir ist etwas schiefgelaufen; bitte versuch es in einer Minute noch mal.
cmd-picture-failed = Dein Bild konnte ich gerade nicht zeichnen; bitte versuch es später noch mal.
# reason: what the platform said, as it said it.
cmd-paused-notice = **Deine Einheiten sind pausiert:** Ich konnte dir keine Nachricht schicken ({ $reason }). Erlaube mir Direktnachrichten und schick dann `resume`.

## Text that is not a command

cmd-parse-unknown = Den Befehl `{ $command }` kenne ich nicht. Schick `help`, um zu sehen, was ich kann.
# what: one of the cmd-what-* texts; example: a command, in English.
cmd-parse-missing = `{ $command }` braucht { $what }, zum Beispiel `{ $example }`.
cmd-parse-too-long = Dieses Argument ist zu lang ({ $length } Zeichen); jedes muss kürzer als { $max } sein.
# usage: one of the cmd-usage-* texts.
cmd-parse-unexpected = `{ $command }` nimmt kein `{ $extra }`. { $usage }

cmd-what-time = eine Uhrzeit
cmd-what-zone = eine Zeitzone
cmd-what-exercise = eine Nummer oder einen Namen
cmd-what-followup = eine Uhrzeit oder `off`
cmd-what-pain = einen Wert von 0 bis 10 (und wo, wenn du magst)
cmd-what-privacy = `export` oder `delete`
cmd-what-group = `setup`, `off`, `status`, `nudges`, `skip` oder `pause`
cmd-what-summary-time = eine Uhrzeit nach `summary`
cmd-what-language = eine Sprache nach `language`
cmd-what-on-off = `on` oder `off`
cmd-what-date = ein Datum
cmd-what-days = eine Anzahl von Tagen

cmd-usage-pause = Nutze `pause` oder `pause 3` (Tage).
cmd-usage-later = Nutze `later`, `later 30m`, `later 1h`, `later 2h` oder `later tonight`.
cmd-usage-language = Nutze `language`, um die Sprachen zu sehen, oder `language es`.
cmd-usage-no-arguments = Der Befehl braucht nach seinem Namen nichts weiter.
cmd-usage-nothing-more = Er braucht nichts weiter.
cmd-usage-followup = Nutze `followup 20:00` oder `followup off`.
cmd-usage-privacy-export = Nutze `privacy export` (JSON) oder `privacy export csv`.
cmd-usage-group-skip = Schreib ein Datum wie `2027-05-05`, oder `today` oder `tomorrow`.
cmd-usage-group-pause = Schreib eine Anzahl von Tagen, z. B. `group pause 3`.

## Times, zones and days as typed

cmd-input-not-a-time = `{ $input }` ist keine Uhrzeit. Schreib sie als HH:MM, zum Beispiel `07:30` oder `7:30am`.
cmd-input-hour = Eine Stunde { $hour } gibt es nicht. Nutze 00–23 oder 1–12 mit am/pm (zum Beispiel `07:30` oder `7:30pm`).
cmd-input-minute = Eine Minute { $minute } gibt es nicht. Minuten gehen von 00 bis 59 (zum Beispiel `07:30`).
cmd-input-unknown-zone = Die Zeitzone `{ $input }` kenne ich nicht. Nutze einen IANA-Namen wie `Europe/Berlin` oder eine Stadt wie `berlin`.
# suggestions: zone names joined by cmd-input-or.
cmd-input-unknown-zone-suggest = Die Zeitzone `{ $input }` kenne ich nicht. Meinst du { $suggestions }? Nutze einen IANA-Namen wie `Europe/Berlin` oder eine Stadt wie `berlin`.
cmd-input-or = oder
cmd-input-ambiguous-zone = `{ $input }` passt zu mehreren Zeitzonen: { $candidates }. Bitte gib den vollen Namen an.
cmd-input-unknown-day = `{ $input }` ist kein Tag. Nutze `daily`, `weekdays`, `weekends` oder Tage wie `mon,wed,fri`.

# A schedule: "07:30 weekdays (Europe/Berlin)"; days is a cmd-days-* text
# or short weekday names ("Mon, Wed, Fri").
cmd-schedule = { $days } um { $time } ({ $zone })
cmd-days-daily = täglich
cmd-days-weekdays = werktags
cmd-days-weekends = am Wochenende

## help

# how_to_type: how the member's platform takes commands.
cmd-help-intro = Ich schicke dir jeden Tag eine kurze Routine mit Übungen für deinen oberen Rücken, eine nach der anderen. Reagiere mit ✅, wenn du fertig bist, mit ⏭️ zum Überspringen und mit 🤕, wenn es wehtut. { $how_to_type }
cmd-help-title = Upright: Befehle
cmd-help-subscribe = deine tägliche Routine starten oder ändern, z. B. `subscribe 07:30 Europe/Berlin weekdays`
cmd-help-agree = den Haftungsausschluss annehmen (einmal nötig, vor deiner ersten Einheit)
cmd-help-status = deine nächste Einheit, deine Serie und die heutige Belastung
cmd-help-pause = deine Einheiten pausieren, ganz oder für ein paar Tage
cmd-help-resume = deine Einheiten wieder starten
cmd-help-skip = die heutige Einheit auslassen
cmd-help-later = die heutige Einheit einmal verschieben (um 1 Std., wenn du nichts angibst)
cmd-help-followup = eine Erinnerung am Abend, falls die Einheit des Tages noch offen ist (aus, solange du nicht fragst)
cmd-help-timezone = deine Zeitzone festlegen, z. B. `timezone berlin`
cmd-help-unsubscribe = deine Einheiten beenden (dein Verlauf bleibt erhalten)
cmd-help-pain = wie stark dein letztes 🤕 war und wo, z. B. `pain 6 linkes Schulterblatt`
cmd-help-routine = die heutige Routine
cmd-help-exercise = eine Übung ausführlich
cmd-help-topics = Hintergrund zu Schmerzen im oberen Rücken
cmd-help-streak = deine Serie
cmd-help-progress = ein Bild deiner letzten 12 Wochen
cmd-help-trends = jede Übung über 8 Wochen: geschaffte Tage, Belastung, Schmerzwerte (für die Physiotherapie)
cmd-help-weekly = jeden Sonntag eine Zusammenfassung deiner Woche per Direktnachricht
cmd-help-leaderboard = die Serien der Gruppe in diesem Kanal
cmd-help-nudges = ob eine Gruppe dich vor ihrer Zusammenfassung erwähnen darf
cmd-help-group-setup = Admins: die Routine gemeinsam in diesem Kanal machen, z. B. `group setup 07:30 Europe/Berlin weekdays summary 21:00`
cmd-help-group-status = Admins: die Gruppe dieses Kanals ansehen, beenden oder ihre Stupser an- oder ausschalten
cmd-help-group-rest = Admins: die Gruppe ruht an diesem Tag oder ab morgen für ein paar Tage (neutral für Serien)
cmd-help-privacy = alle deine Daten als Datei / sie löschen
cmd-help-language = die Sprache, in der ich dir schreibe: `language de`, `language es`, `language en`
cmd-help-help = diese Liste

# A platform's menu of commands (Discord): at most 100 characters each.
cmd-describe-agree = Haftungsausschluss annehmen (einmal nötig, vor deiner ersten Einheit)
cmd-describe-unsubscribe = Deine Einheiten beenden (dein Verlauf bleibt erhalten)
cmd-describe-resume = Deine Einheiten wieder starten
cmd-describe-skip = Die heutige Einheit auslassen
cmd-describe-status = Deine nächste Einheit, deine Serie und die heutige Belastung
cmd-describe-routine = Die heutige Routine
cmd-describe-causes = Was Schmerzen im oberen Rücken verursacht
cmd-describe-why = Warum Bewegung hilft
cmd-describe-tips = Tipps, wie es zur Gewohnheit wird
cmd-describe-precautions = Vorsicht: sicher trainieren mit Rückenschmerzen
cmd-describe-disclaimer = Der medizinische Haftungsausschluss
cmd-describe-streak = Deine Serie
cmd-describe-progress = Ein Bild deiner letzten 12 Wochen
cmd-describe-trends = Jede Übung über 8 Wochen: geschaffte Tage, Belastung, Schmerzwerte
cmd-describe-help = Was Upright macht, und seine Befehle

## subscribe, agree, pause, resume, skip, later, followup, status, timezone

cmd-no-subscription = Du hast noch keine tägliche Routine. Starte eine mit `subscribe 07:30 Europe/Berlin` (Uhrzeit, dann deine Zeitzone).
# when: "Mon 1 Mar at 07:30 (Europe/Berlin), in 2 h 5 min" or the platform's own.
cmd-next-session = Nächste Einheit: { $when }.
cmd-next-after-agree = Deine erste Einheit wird geplant, sobald du dem Haftungsausschluss mit `agree` zustimmst.
cmd-next-none = Es ist keine Einheit geplant.
cmd-title-daily-routine = Tägliche Routine
cmd-subscribed = Abonniert: { $schedule }, { $pace } Min. zwischen den Übungen.
cmd-subscription-updated = Geändert: { $schedule }, { $pace } Min. zwischen den Übungen.
cmd-pace-invalid = Das Tempo muss 1 bis 30 Minuten zwischen den Übungen sein, nicht `{ $pace }`.
cmd-zone-from-profile = Ich habe die Zeitzone aus deinem Profil genommen, { $zone }; eine andere legst du mit `timezone <zone>` fest.
cmd-zone-guessed = Ich habe UTC genommen, weil ich deine Zeitzone noch nicht kenne; leg sie mit `timezone <zone>` fest, z. B. `timezone berlin`.
# Followed by the disclaimer itself.
cmd-disclaimer-below = Bitte lies das hier vor deiner ersten Einheit.
cmd-disclaimer-sent = Bitte lies vor deiner ersten Einheit den Haftungsausschluss, den ich dir per Direktnachricht geschickt habe, und schick dann `agree` (oder reagiere darauf mit ✅).
cmd-agreed-first-session = Danke! Deine erste Einheit: { $when }.
cmd-agreed-subscribe = Danke! Starte deine tägliche Routine mit `subscribe 07:30 Europe/Berlin`.
cmd-unsubscribed = Deine tägliche Routine ist beendet. Dein Verlauf bleibt erhalten: `subscribe` macht da weiter, wo du aufgehört hast, `privacy delete` löscht ihn.
cmd-pause-not-days = `{ $text }` ist keine Anzahl von Tagen. Nutze `pause`, um zu pausieren, bis du weitermachst, oder `pause 3` für 1 bis 365 Tage.
cmd-paused = Pausiert. Schick `resume`, wenn du deine Einheiten zurückhaben willst.
cmd-paused-for =
    { $days ->
        [one] Pausiert für { $days } Tag. Die Einheiten gehen am { $date } weiter.
       *[other] Pausiert für { $days } Tage. Die Einheiten gehen am { $date } weiter.
    }
# next: a cmd-next-* text.
cmd-not-paused = Du bist nicht pausiert. { $next }
cmd-welcome-back = Willkommen zurück! { $next }
cmd-skipped-today = Die heutige Einheit ist ausgelassen; sie zählt nicht gegen deine Serie. { $next }
cmd-nothing-to-skip = Heute gibt es keine Einheit mehr zum Auslassen. { $next }
cmd-later-already-moved = Die heutige Einheit wurde schon einmal verschoben, auf { $time } Uhr.
cmd-later-under-way = Die heutige Einheit läuft schon, also geht sie in ihrem eigenen Tempo weiter; `skip` beendet sie für heute.
cmd-later-nothing-left = Heute gibt es keine Einheit mehr zum Verschieben.
cmd-later-evening = Zur Zeit deiner Einheit ist es schon Abend; versuch `later 1h`. { cmd-usage-later }
cmd-later-unknown = `{ $delay }` ist keine Verschiebung, die ich kenne. { cmd-usage-later }
cmd-later-too-late = Das wäre um { $time } Uhr, nach 23:00: zu spät für die heutige Einheit. Versuch eine kürzere Verschiebung oder lass sie mit `skip` aus.
cmd-later-moved = Verschoben. Neuer Beginn der heutigen Einheit: { $when }.
cmd-followup-off = Erinnerungen aus: keine Nachrichten am Abend.
cmd-followup-no-such-time = { $time } Uhr gibt es in { $zone } in den nächsten Tagen nicht.
cmd-followup-on = Erinnerung an: Um { $time } Uhr ({ $zone }) schicke ich dir eine Erinnerung, falls die Einheit des Tages noch nicht erledigt ist – nicht nach einem Auslassen oder einem 🤕 und nicht, solange du pausierst. Der erste Check: { $when }.
cmd-title-your-routine = Deine Routine
cmd-status-schedule = Plan: { $schedule }, { $pace } Min. zwischen den Übungen.
cmd-status-paused-until = Pausiert bis { $date }.
cmd-status-paused = Pausiert, bis du `resume` schickst.
cmd-status-load = Heutige Belastung:
cmd-timezone-set = Deine Zeitzone ist jetzt { $zone }.

## routine, exercise, streak, trends, progress

cmd-routine-unavailable = Die Routine ist gerade nicht verfügbar.
cmd-routine-see-one = Eine Übung im Detail siehst du mit `exercise <number>`.
# names: "1 Chin tucks, 2 …"
cmd-no-such-exercise = Eine Übung `{ $which }` gibt es nicht. Wähl 1 bis { $count }: { $names }.
cmd-no-streak = Noch keine Serie: Starte deine tägliche Routine mit `subscribe 07:30 Europe/Berlin`.
cmd-title-your-streak = Deine Serie
cmd-streak-rule = Ein Tag zählt, wenn du bei mindestens { $needed } der { $count } Übungen mit ✅ eincheckst. Tage mit 🤕, ausgelassene oder pausierte Tage unterbrechen sie nicht.
cmd-nothing-yet = Noch nichts zu zeigen: Starte deine tägliche Routine mit `subscribe 07:30 Europe/Berlin`.
cmd-title-your-trends = Deine Trends
cmd-trends = Jede Übung über die letzten 8 Wochen: Grüne Quadrate sind Tage, an denen du sie gemacht hast, die blaue Linie ihre Belastung, orange Dreiecke Schmerzmeldungen mit ihrem Wert. Praktisch für die Physiotherapie, zusammen mit `privacy export csv`.
cmd-title-your-progress = Dein Fortschritt
cmd-progress = Deine letzten 12 Wochen, ein Quadrat pro Tag: Je dunkler, desto mehr von der Routine hast du gemacht; graue Tage hatten keine Einheit.

## pain

cmd-pain-not-a-score = `{ $score }` ist kein Wert: Gib eine ganze Zahl von 0 (nichts) bis 10 (das Schlimmste, was du dir vorstellen kannst) an, zum Beispiel `pain 6 Nacken`.
cmd-pain-nothing-to-rate = Es gibt keine Schmerzmeldung zu bewerten und keine laufende Einheit. Wenn eine Übung wehtut, reagiere mit 🤕 darauf und sag mir dann, wie stark.

## privacy

cmd-export-failed = Der Export konnte nicht geschrieben werden: { $error }
cmd-export-json = Hier ist alles, was ich über dich speichere, als JSON.
cmd-export-csv =
    { $count ->
        [one] Dein { $count } Check-in als CSV, eine Zeile pro Check-in, zum Öffnen in einer Tabellenkalkulation oder für die Physiotherapie.
       *[other] Deine { $count } Check-ins als CSV, eine Zeile pro Check-in, zum Öffnen in einer Tabellenkalkulation oder für die Physiotherapie.
    }
cmd-delete-confirm = Das löscht dein Abo, deine Einheiten, Check-ins und Gruppeneinträge endgültig. Wenn du das willst, schick `privacy delete confirm`.
cmd-deleted = Erledigt: Alles, was ich über dich gespeichert hatte, ist gelöscht. Mit `subscribe` bist du jederzeit wieder willkommen.

## Groups (admins), leaderboard, nudges, weekly summary

cmd-no-group = In diesem Kanal gibt es keine Gruppe. Ein Admin kann eine mit `group setup 07:30 Europe/Berlin` starten.
cmd-group-not-here = Gruppenbefehle funktionieren im Kanal oder Raum, in dem sich die Gruppe trifft, nicht in einer Direktnachricht.
cmd-group-ends-too-late = Eine Einheit um { $time } Uhr würde um { $end } Uhr enden, ohne Zeit für die Zusammenfassung des Tages; beginne sie spätestens um { $latest } Uhr.
cmd-group-summary-too-early = Die Zusammenfassung um { $summary } Uhr käme, bevor die Routine vorbei ist ({ $count } Übungen ab { $start } Uhr enden um { $end } Uhr); wähl { $earliest } Uhr oder später.
cmd-title-group-set-up = Gruppe eingerichtet
cmd-group-set-up = Dieser Kanal macht die Routine jetzt gemeinsam: { $schedule }, alle { $pace } Min. eine Übung, Zusammenfassung um { $summary } Uhr.
cmd-group-zone-guessed = Ich habe UTC genommen, weil keine Zeitzone angegeben war; gib eine an, z. B. `group setup 07:30 Europe/Berlin`.
cmd-group-first-session = Erste Einheit: { $when }.
# how: how to check in ("React ✅ when done, ⏭️ to skip, 🤕 if it hurts.").
cmd-group-set-up-nudges-on = Alle checken per Reaktion ein: { $how } Stupser sind an (`group nudges off` stellt sie ab).
cmd-group-set-up-nudges-off = Alle checken per Reaktion ein: { $how } Stupser sind aus; `group nudges on` erwähnt eine Stunde vor der Zusammenfassung alle, die noch nicht eingecheckt haben.
cmd-title-group-stopped = Gruppe beendet
cmd-group-stopped = Hier gibt es keine Gruppeneinheiten mehr. Serien und Verlauf bleiben erhalten; `group setup` startet neu.
cmd-title-group-status = Gruppenstatus
cmd-group-status = { $schedule }, alle { $pace } Min. eine Übung, Zusammenfassung um { $summary } Uhr.
cmd-group-status-nudges-on = Teilnehmende Mitglieder: { $members }. Stupser: an.
cmd-group-status-nudges-off = Teilnehmende Mitglieder: { $members }. Stupser: aus.
cmd-group-nudges-on = Stupser an: { $lead } Min. vor der Zusammenfassung erwähne ich alle, die diese Woche mitgemacht, aber heute noch nicht eingecheckt haben. Wer das nicht möchte, schickt `nudges off`.
cmd-group-nudges-off = Stupser aus: Vor der Zusammenfassung wird niemand erwähnt.
cmd-group-not-a-date = `{ $date }` kann ich nicht als Datum lesen; schreib es wie `2027-05-05`, oder `today` oder `tomorrow`.
cmd-group-date-passed = { $date } ist schon vorbei; wähl heute oder einen späteren Tag.
cmd-group-too-far = Das ist mehr als ein Jahr entfernt; wähl einen näheren Tag.
cmd-group-already-started = Die heutige Einheit hat schon begonnen und läuft zu Ende. Wähl einen späteren Tag.
cmd-group-pause-not-days = `{ $days }` ist keine Anzahl von Tagen zwischen 1 und { $longest }, z. B. `group pause 3`.
cmd-group-rests = Die Gruppe ruht von { $from } bis { $to }: keine Einheiten, und diese Tage zählen für niemanden gegen die Serie.
cmd-leaderboard-not-here = Nutze `leaderboard` im Kanal oder Raum einer Gruppe.
cmd-nudges-on = Gruppen-Stupser sind für dich wieder an: Ich erwähne dich vielleicht vor einer Zusammenfassung, wenn du noch nicht eingecheckt hast.
cmd-nudges-off = Erledigt: In Gruppen-Stupsern erwähne ich dich nicht.
cmd-weekly-off = Wochenzusammenfassung aus.
cmd-weekly-on = Wochenzusammenfassung an: Jeden Sonntag um 18:00 Uhr schicke ich dir per Direktnachricht deine geschafften Tage, deine Serie und wie sich die Belastung verändert hat.
cmd-weekly-first = Die erste: { $when }.
cmd-weekly-no-routine = Sie umfasst deine eigene tägliche Routine, die du mit `subscribe 07:30 Europe/Berlin` starten kannst.
