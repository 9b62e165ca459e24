# groups: what the engine posts in a group's channel or room: the day's
# opening and closing, the nudge, the summary, the leaderboard and the
# rest-day notice.

## The group's session

group-opening = Sesión de grupo: { $count } ejercicios, uno cada { $minutes } min. Empieza por aquí y haz más si te resulta fácil:
# The how-to is session-how-to-check-in.
group-opening-how = La reacción de cada persona es su propio registro. { $how_to_check_in } El resumen llega a las { $time }. ¿Primera vez aquí? Lee primero `disclaimer`: esto no es consejo médico.
group-closing-title = Esa es la rutina de hoy
group-closing = Los { $count } ejercicios están arriba. Reacciona en los que hiciste, incluso más tarde hoy; el resumen llega a las { $time }.
# The names are mentions.
group-nudge = { $names }: aún hay tiempo para la rutina de hoy (está arriba). Reacciona con { $done_emoji } en cada ejercicio que hagas antes del resumen de las { $time }. (Envía `nudges off` si prefieres que no te mencione).
group-rest-day = No hay sesión de grupo el { $date }: el grupo descansa y el día no cuenta en contra de la racha de nadie.

## The day's summary

group-summary-title = Resumen del grupo · { $date }
group-summary-completion-same = Cumplimiento del grupo en 7 días: { $now } % de los días por miembro completados ({ $done } de { $possible }), igual que la semana anterior ({ $before } %).
group-summary-completion-up =
    Cumplimiento del grupo en 7 días: { $now } % de los días por miembro completados ({ $done } de { $possible }), { $points ->
        [one] { $points } punto
       *[other] { $points } puntos
    } más que la semana anterior ({ $before } %).
group-summary-completion-down =
    Cumplimiento del grupo en 7 días: { $now } % de los días por miembro completados ({ $done } de { $possible }), { $points ->
        [one] { $points } punto
       *[other] { $points } puntos
    } menos que la semana anterior ({ $before } %).
group-summary-completion-first = Cumplimiento del grupo en 7 días: { $now } % de los días por miembro completados ({ $done } de { $possible }); aún no hay semana anterior con la que comparar.
group-summary-no-check-ins = Aún no hay registros esta semana.
group-summary-nobody = Hoy nadie ha registrado nada. Mañana es otra oportunidad.
# The streaks are session-days; the check-ins list the exercises by emoji.
group-summary-line = - **{ $name }**: { $check_ins } · racha { $current } (mejor: { $best })
group-summary-more-checked-in =
    { $count ->
        [one] …y { $count } persona más ha registrado.
       *[other] …y { $count } personas más han registrado.
    }
group-summary-and-more = y { $count } más
group-summary-not-yet = Sin registro hoy: { $names }

## The leaderboard

group-leaderboard-title = Clasificación
group-leaderboard-empty = Aquí nadie ha registrado nada aún. Reacciona a los ejercicios de hoy para entrar en la clasificación.
group-leaderboard-row = { $rank }. **{ $name }**: { $current } (mejor: { $best })
group-leaderboard-more = …y { $count } más.
group-leaderboard-order = Ordenado por racha actual, luego por mejor racha y luego por nombre.
