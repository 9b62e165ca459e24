# Texte, die alle Teile des Bots teilen: der Sprachbefehl, Zeitspannen
# und was gesagt wird, wenn etwas schiefgeht.

language-set = Ab jetzt schreibe ich dir auf Deutsch.
language-unknown = `{ $asked }` spreche ich noch nicht. Ich kann schreiben auf: { $languages }.
language-list = Ich kann dir schreiben auf: { $languages }. Gerade liest du { $current }. Wähle mit `language <Code>`, z. B. `language es`.
language-list-line = `{ $code }`: { $name }

duration-less-than-a-minute = weniger als eine Minute

instant-local = { $date } um { $time } ({ $zone }), in { $from_now }

conventions-plain-commands = Tippe sie mit einem `/` davor, z. B. `/subscribe 07:30 Europe/Berlin`.
conventions-plain-group-admins = Nur Admins können diese Gruppe einrichten oder ändern.
conventions-discord-commands = Nutze sie als Slash-Befehle; Discord zeigt sie dir auf Deutsch, z. B. `/abonnieren` für `subscribe`.
conventions-discord-group-admins = Nur Mitglieder mit der Berechtigung „Server verwalten“ können diese Gruppe einrichten oder ändern.
conventions-matrix-commands = Schreib sie nach `!upright`, z. B. `!upright subscribe 07:30 Europe/Berlin`.
conventions-matrix-group-admins = Nur Mitglieder, die die Einstellungen dieses Raums ändern dürfen (Berechtigungsstufe 50, sofern der Raum keine andere verlangt), können diese Gruppe einrichten oder ändern.
