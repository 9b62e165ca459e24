# Textos que comparten todas las partes del bot: el comando de idioma,
# las duraciones y lo que se dice cuando algo falla.

language-set = A partir de ahora te escribiré en español.
language-unknown = Todavía no hablo `{ $asked }`. Puedo escribir en: { $languages }.
language-list = Puedo escribirte en: { $languages }. Ahora lees en { $current }. Elige con `language <código>`, por ejemplo `language de`.
language-list-line = `{ $code }`: { $name }

duration-less-than-a-minute = menos de un minuto

instant-local = { $date } a las { $time } ({ $zone }), en { $from_now }

conventions-plain-commands = Escríbelos con una `/` delante, por ejemplo `/subscribe 07:30 Europe/Berlin`.
conventions-plain-group-admins = Solo los administradores pueden crear o cambiar este grupo.
conventions-discord-commands = Úsalos como comandos de barra; Discord te los muestra en español, por ejemplo `/suscribirse` para `subscribe`.
conventions-discord-group-admins = Solo los miembros con el permiso «Gestionar servidor» pueden crear o cambiar este grupo.
conventions-matrix-commands = Escríbelos después de `!upright`, por ejemplo `!upright subscribe 07:30 Europe/Berlin`.
conventions-matrix-group-admins = Solo los miembros que pueden cambiar la configuración de esta sala (nivel de poder 50, salvo que la sala pida otro) pueden crear o cambiar este grupo.
