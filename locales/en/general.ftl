# Texts every part of the bot shares: the language command, durations,
# and what is said when something goes wrong.

language-set = From now on I'll write to you in English.
language-unknown = I don't speak `{ $asked }` yet. I can write in: { $languages }.
language-list = I can write to you in: { $languages }. You're reading { $current }. Choose with `language <code>`, e.g. `language de`.
language-list-line = `{ $code }`: { $name }

duration-less-than-a-minute = less than a minute

instant-local = { $date } at { $time } ({ $zone }), in { $from_now }

conventions-plain-commands = Type them with a leading `/`, e.g. `/subscribe 07:30 Europe/Berlin`.
conventions-plain-group-admins = Only admins can set up or change this group.
conventions-discord-commands = Use them as slash commands, e.g. `/subscribe`.
conventions-discord-group-admins = Only members with the Manage Server permission can set up or change this group.
conventions-matrix-commands = Write them after `!upright`, e.g. `!upright subscribe 07:30 Europe/Berlin`.
conventions-matrix-group-admins = Only members who may change this room's settings (power level 50 unless the room asks for another) can set up or change this group.
