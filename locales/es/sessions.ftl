# sessions: what the engine sends to a member on its own (the day's
# session, pain advice, follow-ups, the weekly summary, the disclaimer's
# framing) and the words drawn into the progress and trends pictures.

## Loads and check-ins

session-load-resting = en pausa por dolor
session-load-reps =
    { $reps ->
        [one] { $reps } repetición
       *[other] { $reps } repeticiones
    }
session-load-reps-each-side =
    { $reps ->
        [one] { $reps } repetición por lado
       *[other] { $reps } repeticiones por lado
    }
# The load is one of the two above.
session-load-hold = { $load }, mantén { $seconds } s
session-how-to-check-in = Reacciona con { $done_emoji } al terminar, con { $skip_emoji } para saltarlo y con { $pain_emoji } si te duele.
session-days =
    { $count ->
        [one] { $count } día
       *[other] { $count } días
    }
session-streak-line = Racha: { $current } (mejor: { $best }; en total, { $done_days } con la rutina hecha)
session-kind-strength = fuerza
session-kind-stretch = estiramiento
session-kind-mobility = movilidad

## The session's opening (the days: a list of dates)

session-missed-offline =
    { $count ->
        [one] Tu sesión del { $days } no se envió: Upright estaba desconectado. No cuenta en contra de tu racha.
       *[other] Tus sesiones del { $days } no se enviaron: Upright estaba desconectado. No cuentan en contra de tu racha.
    }
session-missed-unreachable =
    { $count ->
        [one] Tu sesión del { $days } no se envió: no se pudo conectar con el servicio de chat. No cuenta en contra de tu racha.
       *[other] Tus sesiones del { $days } no se enviaron: no se pudo conectar con el servicio de chat. No cuentan en contra de tu racha.
    }
session-late = Perdona, esto llega con { $late } de retraso: estaba desconectado a la hora de tu sesión.
session-opening-exercises =
    { $count ->
        [one] Hoy { $count } ejercicio, un mensaje por ejercicio:
       *[other] Hoy { $count } ejercicios, un mensaje por ejercicio:
    }
session-opening-resting = en pausa por dolor, vuelve el { $date }
session-opening-pace = El siguiente ejercicio llega cuando registres este, o a los { $minutes } min.

## One exercise

session-exercise-setup = **Posición inicial:** { $setup }
session-exercise-today = **Hoy:** { $load }
session-exercise-safety = **Seguridad:** { $safety }
session-exercise-reference-footer = { $kind } · parte de tu rutina diaria

## The closing

session-closing-title = Rutina completada
session-closing-stopped-for-pain = Hoy paramos antes porque algo te dolió. Descansa y mira cómo te sientes mañana.
session-closing-done = Esa es toda la rutina de hoy. ¡Bien hecho por estar aquí!
session-closing-tally = { $done_emoji } { $done } hechos · { $skip_emoji } { $skipped } saltados · { $pain_emoji } { $pain } con dolor
session-closing-unanswered = { $count } sin registrar (aún puedes reaccionar)

## Pain: the advice after a 🤕 and the answer to `pain`

session-pain-title = Para: { $exercise }
session-pain-answer-with = Responde con `pain <0-10> [dónde]`, por ejemplo `pain 6 entre los omóplatos`.
session-pain-see-precautions = Consulta `precautions` para saber más.
session-pain-noted = Anotado: { $score }/10 en { $exercise }. Queda guardado con ese registro; `trends` y `privacy export csv` muestran tus reportes para compartirlos con un fisioterapeuta.
session-pain-noted-at = Anotado: { $score }/10, { $place }, en { $exercise }. Queda guardado con ese registro; `trends` y `privacy export csv` muestran tus reportes para compartirlos con un fisioterapeuta.
session-pain-see-professional = Si sigue así de fuerte o empeora, consulta a un profesional de la salud.

## The disclaimer's last line

session-disclaimer-agree = Para aceptar, usa `agree` o reacciona con { $done_emoji } a este mensaje.

## The evening follow-up

session-followup-none = Hoy aún no has registrado nada: todavía hay tiempo para la rutina de hoy, aunque sea una parte. Reacciona con { $done_emoji } en cada ejercicio que hagas; los registros cuentan hasta la sesión de mañana. (`followup off` desactiva estos mensajes.)
session-followup-some = { $done } de { $count } ejercicios registrados por ahora: todavía hay tiempo para la rutina de hoy, aunque sea una parte. Reacciona con { $done_emoji } en cada ejercicio que hagas; los registros cuentan hasta la sesión de mañana. (`followup off` desactiva estos mensajes.)

## The weekly summary

session-weekly-title = Tu semana
session-weekly-done =
    { $count ->
        [one] Del { $from } al { $to }: { $done } de { $count } sesión completada.
       *[other] Del { $from } al { $to }: { $done } de { $count } sesiones completadas.
    }
session-weekly-same-load = Tu carga no cambió esta semana.
session-weekly-load-changes = Cambios de carga:
session-weekly-load-change = { $exercise }: { $before } → { $after } repeticiones
session-weekly-off = Envía `weekly off` para dejar de recibir estos resúmenes.

## The progress picture (short: drawn in a fixed space)

session-progress-title = Upright · últimas 12 semanas
# The streak figures are session-days.
session-progress-streak = Racha { $current } · mejor { $best } · total { $done_days }
session-progress-less = menos
session-progress-more = más

## The trends picture (short: drawn in a fixed space)

session-trends-title = Upright · últimas 8 semanas, ejercicio por ejercicio
session-trends-done = hecho
session-trends-load = carga (rep.)
session-trends-pain = dolor, con su intensidad 0–10
session-trends-today = hoy
session-trends-no-sessions = aún sin sesiones
session-trends-done-share = hecho { $done } de { $count } ({ $percent } %)
session-trends-pain-reports =
    { $count ->
        [one] { $count } reporte de dolor
       *[other] { $count } reportes de dolor
    }
session-trends-load-range = { $first } → { $last } rep.
