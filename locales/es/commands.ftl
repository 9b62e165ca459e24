# commands
# Answers to member commands (src/commands/, src/schedule.rs). Command
# words stay English in every language, in backticks.

## Answering at all

cmd-slow-down = Estás enviando comandos más rápido de lo que puedo responderlos bien. Dame unos segundos y vuelve a intentarlo.
cmd-failed = Algo salió mal por mi parte y no se cambió nada. Vuelve a intentarlo dentro de un minuto.
cmd-work-failed = Algo salió mal por mi parte; vuelve a intentarlo dentro de un minuto.
cmd-picture-failed = Ahora mismo no pude dibujar tu imagen; vuelve a intentarlo más tarde.
# reason: what the platform said, as it said it.
cmd-paused-notice = **Tus sesiones están en pausa:** no pude enviarte mensajes ({ $reason }). Permíteme enviarte mensajes directos y luego envía `resume`.

## Text that is not a command

cmd-parse-unknown = No conozco el comando `{ $command }`. Envía `help` para ver lo que puedo hacer.
# what: one of the cmd-what-* texts; example: a command, in English.
cmd-parse-missing = `{ $command }` necesita { $what }, por ejemplo `{ $example }`.
cmd-parse-too-long = Ese argumento es demasiado largo ({ $length } caracteres); cada uno debe tener menos de { $max }.
# usage: one of the cmd-usage-* texts.
cmd-parse-unexpected = `{ $command }` no admite `{ $extra }`. { $usage }

cmd-what-time = una hora
cmd-what-zone = una zona horaria
cmd-what-exercise = un número o un nombre
cmd-what-followup = una hora u `off`
cmd-what-pain = una puntuación de 0 a 10 (y dónde, si quieres)
cmd-what-privacy = `export` o `delete`
cmd-what-group = `setup`, `off`, `status`, `nudges`, `skip` o `pause`
cmd-what-summary-time = una hora después de `summary`
cmd-what-language = un idioma después de `language`
cmd-what-on-off = `on` u `off`
cmd-what-date = una fecha
cmd-what-days = un número de días

cmd-usage-pause = Usa `pause` o `pause 3` (días).
cmd-usage-later = Usa `later`, `later 30m`, `later 1h`, `later 2h` o `later tonight`.
cmd-usage-language = Usa `language` para ver los idiomas, o `language de`.
cmd-usage-no-arguments = No necesita nada después del nombre.
cmd-usage-nothing-more = No necesita nada más.
cmd-usage-followup = Usa `followup 20:00` o `followup off`.
cmd-usage-privacy-export = Usa `privacy export` (JSON) o `privacy export csv`.
cmd-usage-group-skip = Escribe una fecha como `2027-05-05`, o `today` o `tomorrow`.
cmd-usage-group-pause = Escribe un número de días, por ejemplo `group pause 3`.

## Times, zones and days as typed

cmd-input-not-a-time = `{ $input }` no es una hora. Escríbela como HH:MM, por ejemplo `07:30` o `7:30am`.
cmd-input-hour = No existe la hora { $hour }. Usa 00–23, o 1–12 con am/pm (por ejemplo `07:30` o `7:30pm`).
cmd-input-minute = No existe el minuto { $minute }. Los minutos van de 00 a 59 (por ejemplo `07:30`).
cmd-input-unknown-zone = No conozco la zona horaria `{ $input }`. Usa un nombre IANA como `Europe/Madrid` o una ciudad como `madrid`.
# suggestions: zone names joined by cmd-input-or.
cmd-input-unknown-zone-suggest = No conozco la zona horaria `{ $input }`. ¿Querías decir { $suggestions }? Usa un nombre IANA como `Europe/Madrid` o una ciudad como `madrid`.
cmd-input-or = o
cmd-input-ambiguous-zone = `{ $input }` coincide con varias zonas horarias: { $candidates }. Escribe el nombre completo.
cmd-input-unknown-day = `{ $input }` no es un día. Usa `daily`, `weekdays`, `weekends` o días como `mon,wed,fri`.

# A schedule: "07:30 weekdays (Europe/Berlin)"; days is a cmd-days-* text
# or short weekday names ("Mon, Wed, Fri").
cmd-schedule = { $days } a las { $time } ({ $zone })
cmd-days-daily = todos los días
cmd-days-weekdays = de lunes a viernes
cmd-days-weekends = los fines de semana

## help

# how_to_type: how the member's platform takes commands.
cmd-help-intro = Cada día te envío una rutina corta de ejercicios para la parte alta de la espalda, uno a uno. Reacciona con ✅ al terminar, con ⏭️ para saltarlo y con 🤕 si te duele. { $how_to_type }
cmd-help-title = Upright: comandos
cmd-help-subscribe = empieza o cambia tu rutina diaria, por ejemplo `subscribe 07:30 Europe/Madrid weekdays`
cmd-help-agree = acepta el aviso legal (una sola vez, antes de tu primera sesión)
cmd-help-status = tu próxima sesión, tu racha y la carga de hoy
cmd-help-pause = pausa tus sesiones, del todo o durante unos días
cmd-help-resume = reanuda tus sesiones
cmd-help-skip = salta la sesión de hoy
cmd-help-later = mueve la sesión de hoy una vez (1 h si no dices nada)
cmd-help-followup = un recordatorio esa tarde si la sesión del día no está hecha (desactivado salvo que lo pidas)
cmd-help-timezone = fija tu zona horaria, por ejemplo `timezone madrid`
cmd-help-unsubscribe = detén tus sesiones (tu historial se conserva)
cmd-help-pain = cuánto te dolió en tu último 🤕, y dónde, por ejemplo `pain 6 omóplato izquierdo`
cmd-help-routine = la rutina de hoy
cmd-help-exercise = un ejercicio completo
cmd-help-topics = información sobre el dolor en la parte alta de la espalda
cmd-help-streak = tu racha
cmd-help-progress = una imagen de tus últimas 12 semanas
cmd-help-trends = cada ejercicio en 8 semanas: días hechos, carga, puntuaciones de dolor (para enseñar a tu fisioterapeuta)
cmd-help-weekly = un resumen de tu semana por mensaje directo cada domingo
cmd-help-leaderboard = las rachas del grupo de este canal
cmd-help-nudges = si un grupo puede mencionarte antes de su resumen
cmd-help-group-setup = administradores: hacer la rutina en grupo en este canal, por ejemplo `group setup 07:30 Europe/Madrid weekdays summary 21:00`
cmd-help-group-status = administradores: ver o detener el grupo de este canal, o activar o desactivar sus avisos
cmd-help-group-rest = administradores: el grupo descansa ese día, o unos días a partir de mañana (no afecta a las rachas)
cmd-help-privacy = todos tus datos en un archivo / borrarlos
cmd-help-language = el idioma en el que te escribo: `language de`, `language es`, `language en`
cmd-help-help = esta lista

# A platform's menu of commands (Discord): at most 100 characters each.
cmd-describe-agree = Acepta el aviso legal (una sola vez, antes de tu primera sesión)
cmd-describe-unsubscribe = Detén tus sesiones (tu historial se conserva)
cmd-describe-resume = Reanuda tus sesiones
cmd-describe-skip = Salta la sesión de hoy
cmd-describe-status = Tu próxima sesión, tu racha y la carga de hoy
cmd-describe-routine = La rutina de hoy
cmd-describe-causes = Qué causa el dolor en la parte alta de la espalda
cmd-describe-why = Por qué ayuda el ejercicio
cmd-describe-tips = Consejos para convertirlo en un hábito
cmd-describe-precautions = Precauciones: hacer ejercicio con seguridad con dolor de espalda
cmd-describe-disclaimer = El aviso médico
cmd-describe-streak = Tu racha
cmd-describe-progress = Una imagen de tus últimas 12 semanas
cmd-describe-trends = Cada ejercicio en 8 semanas: días hechos, carga, puntuaciones de dolor
cmd-describe-help = Qué hace Upright y sus comandos

## subscribe, agree, pause, resume, skip, later, followup, status, timezone

cmd-no-subscription = Aún no tienes una rutina diaria. Empieza una con `subscribe 07:30 Europe/Madrid` (la hora y luego tu zona horaria).
# when: "Mon 1 Mar at 07:30 (Europe/Berlin), in 2 h 5 min" or the platform's own.
cmd-next-session = Próxima sesión: { $when }.
cmd-next-after-agree = Tu primera sesión se programará en cuanto aceptes el aviso legal con `agree`.
cmd-next-none = No hay ninguna sesión programada.
cmd-title-daily-routine = Rutina diaria
cmd-subscribed = Suscripción creada: { $schedule }, { $pace } min entre ejercicios.
cmd-subscription-updated = Suscripción actualizada: { $schedule }, { $pace } min entre ejercicios.
cmd-pace-invalid = El ritmo debe ser de 1 a 30 minutos entre ejercicios, no `{ $pace }`.
cmd-zone-from-profile = He usado la zona horaria de tu perfil, { $zone }; fija otra con `timezone <zone>`.
cmd-zone-guessed = He usado UTC porque aún no conozco tu zona horaria; fíjala con `timezone <zone>`, por ejemplo `timezone madrid`.
# Followed by the disclaimer itself.
cmd-disclaimer-below = Antes de tu primera sesión, lee esto, por favor.
cmd-disclaimer-sent = Antes de tu primera sesión, lee el aviso legal que te envié por mensaje directo y luego envía `agree` (o reacciona con ✅).
cmd-agreed-first-session = Gracias. Tu primera sesión: { $when }.
cmd-agreed-subscribe = Gracias. Empieza tu rutina diaria con `subscribe 07:30 Europe/Madrid`.
cmd-unsubscribed = Tu rutina diaria está detenida. Tu historial se conserva: `subscribe` vuelve a empezar donde lo dejaste y `privacy delete` lo borra.
cmd-pause-not-days = `{ $text }` no es un número de días. Usa `pause` para pausar hasta que reanudes, o `pause 3` para 1 a 365 días.
cmd-paused = En pausa. Envía `resume` cuando quieras recuperar tus sesiones.
cmd-paused-for =
    { $days ->
        [one] En pausa durante { $days } día. Las sesiones vuelven el { $date }.
       *[other] En pausa durante { $days } días. Las sesiones vuelven el { $date }.
    }
# next: a cmd-next-* text.
cmd-not-paused = No estás en pausa. { $next }
cmd-welcome-back = ¡Hola de nuevo! { $next }
cmd-skipped-today = La sesión de hoy queda saltada; no cuenta en contra de tu racha. { $next }
cmd-nothing-to-skip = Hoy no queda ninguna sesión que saltar. { $next }
cmd-later-already-moved = La sesión de hoy ya se movió una vez, a las { $time }.
cmd-later-under-way = La sesión de hoy ya está en marcha, así que sigue a su ritmo; `skip` la detiene por hoy.
cmd-later-nothing-left = Hoy no queda ninguna sesión que mover.
cmd-later-evening = A la hora de tu sesión ya es de noche; prueba `later 1h`. { cmd-usage-later }
cmd-later-unknown = `{ $delay }` no es un aplazamiento que conozca. { cmd-usage-later }
cmd-later-too-late = Sería a las { $time }, después de las 23:00: demasiado tarde para la sesión de hoy. Prueba un aplazamiento más corto o sáltala con `skip`.
cmd-later-moved = Movida. Nueva hora de la sesión de hoy: { $when }.
cmd-followup-off = Recordatorios desactivados: nada de mensajes por la tarde.
cmd-followup-no-such-time = Las { $time } no existen en { $zone } en los próximos días.
cmd-followup-on = Recordatorio activado: a las { $time } ({ $zone }) te enviaré un recordatorio si la sesión de ese día aún no está hecha; no después de saltarla o de un 🤕, ni mientras estés en pausa. La primera comprobación: { $when }.
cmd-title-your-routine = Tu rutina
cmd-status-schedule = Horario: { $schedule }, { $pace } min entre ejercicios.
cmd-status-paused-until = En pausa hasta el { $date }.
cmd-status-paused = En pausa hasta que envíes `resume`.
cmd-status-load = Carga de hoy:
cmd-timezone-set = Tu zona horaria es ahora { $zone }.

## routine, exercise, streak, trends, progress

cmd-routine-unavailable = La rutina no está disponible en este momento.
cmd-routine-see-one = Mira uno completo con `exercise <number>`.
# names: "1 Chin tucks, 2 …"
cmd-no-such-exercise = No hay ningún ejercicio `{ $which }`. Elige del 1 al { $count }: { $names }.
cmd-no-streak = Aún no tienes racha: empieza tu rutina diaria con `subscribe 07:30 Europe/Madrid`.
cmd-title-your-streak = Tu racha
cmd-streak-rule = Un día cuenta cuando registras ✅ en al menos { $needed } de los { $count } ejercicios. Los días con 🤕, saltados o en pausa no la rompen.
cmd-nothing-yet = Aún no hay nada que mostrar: empieza tu rutina diaria con `subscribe 07:30 Europe/Madrid`.
cmd-title-your-trends = Tus tendencias
cmd-trends = Cada ejercicio en las últimas 8 semanas: los cuadrados verdes son los días que lo hiciste, la línea azul su carga y los triángulos naranjas los avisos de dolor con su puntuación. Útil para enseñárselo a tu fisioterapeuta, junto con `privacy export csv`.
cmd-title-your-progress = Tu progreso
cmd-progress = Tus últimas 12 semanas, un cuadrado por día: cuanto más oscuro, más parte de la rutina hiciste; los días grises no tuvieron sesión.

## pain

cmd-pain-not-a-score = `{ $score }` no es una puntuación: da un número entero de 0 (nada) a 10 (lo peor que puedas imaginar), por ejemplo `pain 6 cuello`.
cmd-pain-nothing-to-rate = No hay ningún aviso de dolor que puntuar ni ninguna sesión en marcha. Cuando un ejercicio te duela, reacciona con 🤕 y luego dime cuánto.

## privacy

cmd-export-failed = No se pudo escribir la exportación: { $error }
cmd-export-json = Aquí tienes todo lo que guardo sobre ti, en JSON.
cmd-export-csv =
    { $count ->
        [one] Tu { $count } registro en CSV, una fila por registro, para abrirlo en una hoja de cálculo o compartirlo con tu fisioterapeuta.
       *[other] Tus { $count } registros en CSV, una fila por registro, para abrirlos en una hoja de cálculo o compartirlos con tu fisioterapeuta.
    }
cmd-delete-confirm = Esto borra para siempre tu suscripción, tus sesiones, tus registros y tus datos de grupo. Para continuar, envía `privacy delete confirm`.
cmd-deleted = Hecho: todo lo que guardaba sobre ti está borrado. Puedes volver cuando quieras con `subscribe`.

## Groups (admins), leaderboard, nudges, weekly summary

cmd-no-group = No hay ningún grupo en este canal. Un administrador puede crear uno con `group setup 07:30 Europe/Madrid`.
cmd-group-not-here = Los comandos de grupo funcionan en el canal o la sala donde se reúne el grupo, no en un mensaje directo.
cmd-group-ends-too-late = Una sesión a las { $time } terminaría a las { $end }, sin tiempo para el resumen del día; empiézala como muy tarde a las { $latest }.
cmd-group-summary-too-early = El resumen de las { $summary } llegaría antes de que termine la rutina ({ $count } ejercicios desde las { $start } terminan a las { $end }); elige las { $earliest } o más tarde.
cmd-title-group-set-up = Grupo creado
cmd-group-set-up = Este canal hace ahora la rutina en grupo: { $schedule }, un ejercicio cada { $pace } min, resumen a las { $summary }.
cmd-group-zone-guessed = He usado UTC porque no se indicó ninguna zona horaria; añade una, por ejemplo `group setup 07:30 Europe/Madrid`.
cmd-group-first-session = Primera sesión: { $when }.
# how: how to check in ("React ✅ when done, ⏭️ to skip, 🤕 if it hurts.").
cmd-group-set-up-nudges-on = Cada persona se registra con una reacción: { $how } Los avisos están activados (`group nudges off` los desactiva).
cmd-group-set-up-nudges-off = Cada persona se registra con una reacción: { $how } Los avisos están desactivados; `group nudges on` menciona, una hora antes del resumen, a quienes aún no se han registrado.
cmd-title-group-stopped = Grupo detenido
cmd-group-stopped = Se acabaron las sesiones de grupo aquí. Las rachas y el historial se conservan; `group setup` vuelve a empezar.
cmd-title-group-status = Estado del grupo
cmd-group-status = { $schedule }, un ejercicio cada { $pace } min, resumen a las { $summary }.
cmd-group-status-nudges-on = Miembros participantes: { $members }. Avisos: activados.
cmd-group-status-nudges-off = Miembros participantes: { $members }. Avisos: desactivados.
cmd-group-nudges-on = Avisos activados: { $lead } min antes del resumen mencionaré a quienes participaron esta semana pero aún no se han registrado hoy. Cualquiera puede excluirse con `nudges off`.
cmd-group-nudges-off = Avisos desactivados: no se menciona a nadie antes del resumen.
cmd-group-not-a-date = No puedo leer `{ $date }` como fecha; escríbela como `2027-05-05`, o `today` o `tomorrow`.
cmd-group-date-passed = El { $date } ya pasó; elige hoy o un día posterior.
cmd-group-too-far = Eso es dentro de más de un año; elige un día más cercano.
cmd-group-already-started = La sesión de hoy ya ha empezado y seguirá su curso. Elige un día posterior.
cmd-group-pause-not-days = `{ $days }` no es un número de días entre 1 y { $longest }, por ejemplo `group pause 3`.
cmd-group-rests = El grupo descansa del { $from } al { $to }: no hay sesiones y esos días no cuentan en contra de la racha de nadie.
cmd-leaderboard-not-here = Usa `leaderboard` en el canal o la sala de un grupo.
cmd-nudges-on = Los avisos de grupo vuelven a estar activados para ti: puede que te mencione antes de un resumen si aún no te has registrado.
cmd-nudges-off = Hecho: no te mencionaré en los avisos de grupo.
cmd-weekly-off = Resumen semanal desactivado.
cmd-weekly-on = Resumen semanal activado: cada domingo a las 18:00 te enviaré por mensaje directo tus días hechos, tu racha y los cambios de carga.
cmd-weekly-first = El primero: { $when }.
cmd-weekly-no-routine = Cubre tu propia rutina diaria, que puedes empezar con `subscribe 07:30 Europe/Madrid`.
