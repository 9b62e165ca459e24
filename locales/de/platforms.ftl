# platforms
# Was die Discord- und Matrix-Anbindung in eigenen Worten sagt (Buttons,
# Formulare, kurze Antworten auf einen Klick), die Beschreibungen der
# Slash-Befehle, wie Discord sie zeigt, und die Hinweise der Terminal-Demo.

## Discord: die Buttons unter einer Nachricht und die Fußzeile dazu

discord-button-done = Erledigt
discord-button-skip = Übersprungen
discord-button-pain = Schmerz
discord-button-agree = Ich stimme zu
discord-button-later = Später (1 Std.)
discord-button-how-strong = Wie stark? (0–10)
discord-how-to-check-in = Melde dich mit einem Button unten (deine eigenen Reaktionen ✅ ⏭️ 🤕 zählen auch).

## Discord: was ein Klick auf einen Button antwortet

discord-recorded = Eingetragen: { $emoji } { $label }
discord-recorded-change = Eingetragen: { $emoji } { $label } – klick einen anderen Button, um es zu ändern.
discord-agreed = Zugestimmt, danke! /status zeigt dir deine nächste Einheit.
discord-session-over = Diese Einheit ist vorbei: Check-ins zählen, bis die nächste beginnt.
discord-not-yours = Nichts einzutragen: Diese Buttons sind für die Person, an die diese Nachricht ging.
discord-tally = Bisher eingecheckt: { $tally }

## Discord: das Formular hinter „Wie stark?“ (Titel und Beschriftungen: höchstens 45 Zeichen)

discord-pain-form-title = Wie hat es wehgetan?
discord-pain-form-score = Wie stark, von 0 (gar nicht) bis 10?
discord-pain-form-where = Wo hast du es gespürt?
discord-pain-form-where-example = Zum Beispiel: linkes Schulterblatt

discord-error = Bei mir ist etwas schiefgelaufen, geändert wurde nichts. Bitte versuch es in einer Minute noch einmal.

## Discord: Slash-Befehle, wie die Befehlsliste sie zeigt (höchstens 100 Zeichen).
## Die Namen bleiben englisch; `off`, `today`, `True` wählen oder tippen Mitglieder so.

discord-cmd-subscribe-description = Starte oder ändere dein tägliches Programm
discord-param-subscribe-time = Ortszeit, z. B. 07:30 oder 7:30am
discord-param-subscribe-timezone = Deine Zeitzone, z. B. Europe/Berlin
discord-param-subscribe-days = An welchen Tagen
discord-param-subscribe-pace = Minuten zwischen den Übungen
discord-cmd-pause-description = Pausiere deine Einheiten, bis du weitermachst, oder für ein paar Tage
discord-param-pause-days = Tage Pause (leer: bis du weitermachst)
discord-cmd-later-description = Verschiebe die heutige Einheit einmal (um 1 Std., wenn du nichts angibst)
discord-param-later-delay = Wie viel später
discord-cmd-followup-description = Eine Erinnerung am Abend, falls die Einheit des Tages noch offen ist
discord-param-followup-time = Ortszeit, z. B. 20:00, oder off
discord-cmd-pain-description = Wie stark dein letztes 🤕 war (0–10) und wo
discord-param-pain-score = 0 = gar nicht, 10 = das Schlimmste, was du dir vorstellen kannst
discord-param-pain-where = Wo du es gespürt hast, z. B. linkes Schulterblatt
discord-cmd-timezone-description = Stell deine Zeitzone ein
discord-param-timezone-zone = z. B. Europe/Berlin oder eine Stadt wie berlin
discord-cmd-exercise-description = Eine Übung ausführlich
discord-param-exercise-which = Ihre Nummer (1-5) oder ihr Name
discord-cmd-privacy-description = Deine Daten: exportieren oder löschen
discord-cmd-privacy-export-description = Alle deine Daten als JSON-Datei oder deine Check-ins als CSV
discord-param-privacy-export-format = json: alles; csv: deine Check-ins, z. B. für die Physiotherapie
discord-cmd-privacy-delete-description = Lösche alles, was über dich gespeichert ist
discord-param-privacy-delete-confirm = Auf True setzen, um endgültig zu löschen
discord-cmd-weekly-description = Jeden Sonntag eine Zusammenfassung deiner Woche per DM
discord-param-weekly-setting = an oder aus
discord-cmd-language-description = Die Sprache, in der ich dir schreibe
discord-param-language-language = Leer lassen, um die Sprachen zu sehen
discord-cmd-leaderboard-description = Die Serien der Gruppe in diesem Kanal
discord-cmd-nudges-description = Ob eine Gruppe dich vor ihrer Zusammenfassung erwähnen darf
discord-param-nudges-setting = an oder aus
discord-cmd-group-description = Macht das Programm gemeinsam in diesem Kanal (Server verwalten)
discord-cmd-group-setup-description = Poste das Programm hier jeden Tag, mit einer Zusammenfassung am Abend
discord-param-group-setup-time = Ortszeit, z. B. 07:30
discord-param-group-setup-timezone = Die Zeitzone der Gruppe, z. B. Europe/Berlin
discord-param-group-setup-days = An welchen Tagen
discord-param-group-setup-summary = Ortszeit der Tageszusammenfassung, z. B. 21:00
discord-param-group-setup-language = Die Sprache der Gruppenbeiträge (Standard: die des Servers)
discord-cmd-group-status-description = Die Gruppe dieses Kanals: Zeitplan, Mitglieder, Erinnerungen
discord-cmd-group-off-description = Beende die Gruppe dieses Kanals (der Verlauf bleibt erhalten)
discord-cmd-group-nudges-description = Erwähne Mitglieder ohne Check-in eine Stunde vor der Zusammenfassung
discord-param-group-nudges-setting = an oder aus
discord-cmd-group-skip-description = An einem Tag keine Gruppeneinheit (zählt nicht gegen Serien)
discord-param-group-skip-date = Der Tag, z. B. 2027-05-05, today oder tomorrow
discord-cmd-group-pause-description = Ab morgen ein paar Tage keine Gruppeneinheiten (zählt nicht gegen Serien)
discord-param-group-pause-days = Wie viele Tage

## Discord: die Auswahlmöglichkeiten der Optionen, wie die Auswahllisten sie zeigen

discord-choice-daily = täglich
discord-choice-weekdays = werktags
discord-choice-weekends = am Wochenende
discord-choice-mon-wed-fri = Mo, Mi, Fr
discord-choice-tue-thu = Di, Do
discord-choice-30m = 30 Min.
discord-choice-1h = 1 Std.
discord-choice-2h = 2 Std.
discord-choice-tonight = heute Abend
discord-choice-on = an
discord-choice-off = aus

## Matrix

matrix-answered-in-dm = Ich habe dir in unseren Direktnachrichten geantwortet.
matrix-files-need-encryption = Dateien mit deinen Daten schicke ich nur in verschlüsselte Räume, und dieser ist es nicht. Schalte hier die Verschlüsselung ein (Raumeinstellungen → Sicherheit) und frag noch einmal.

## Die Terminal-Demo (`upright demo`)

demo-intro = Upright-Demo. Hier ist es { $now } UTC. Probier:
demo-intro-start = /subscribe { $time } UTC   dann   /agree   dann   wait 2m
demo-intro-more = react ✅ (oder ⏭️, 🤕) checkt bei der letzten Übung ein; /help listet die Befehle; quit beendet.
demo-unknown-input = Befehle beginnen mit `/` (probier `/help`); außerdem `react ✅ [#N]`, `unreact ✅ [#N]`, `wait 10m`, `quit`.
demo-nothing-to-react-to = Es gibt noch keine Übung zum Einchecken.
demo-reacted = (du hast { $emoji } auf #{ $number } reagiert)
demo-unreacted = (du hast { $emoji } von #{ $number } entfernt)
demo-reacted-nothing = ({ $emoji } auf #{ $number }: hier gibt es nichts einzuchecken)
demo-unreacted-nothing = ({ $emoji } von #{ $number } entfernt: hier gibt es nichts einzuchecken)
demo-attachment = [Anhang: { $path }]
demo-attachment-failed = [Anhang konnte nicht nach { $path } geschrieben werden: { $error }]

# Namen der Slash-Befehle, wie Discord sie zeigt (klein, ohne Leerzeichen,
# höchstens 32 Zeichen); der englische Name funktioniert immer auch.
discord-name-subscribe = abonnieren
discord-name-agree = zustimmen
discord-name-unsubscribe = abbestellen
discord-name-pause = pausieren
discord-name-resume = fortsetzen
discord-name-skip = überspringen
discord-name-later = später
discord-name-followup = nachfrage
discord-name-pain = schmerz
discord-name-status = status
discord-name-timezone = zeitzone
discord-name-routine = programm
discord-name-exercise = übung
discord-name-causes = ursachen
discord-name-why = warum
discord-name-tips = tipps
discord-name-precautions = vorsicht
discord-name-disclaimer = haftungshinweis
discord-name-streak = serie
discord-name-progress = fortschritt
discord-name-trends = verlauf
discord-name-weekly = wochenbericht
discord-name-leaderboard = rangliste
discord-name-nudges = stupser
discord-name-privacy = datenschutz
discord-name-language = sprache
discord-name-help = hilfe
discord-name-group = gruppe
