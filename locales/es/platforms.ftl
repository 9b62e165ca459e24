# platforms
# Lo que dicen con sus propias palabras los adaptadores de Discord y Matrix
# (botones, formularios, respuestas breves a una pulsación), las
# descripciones de los comandos de barra tal como las muestra Discord y las
# indicaciones de la demo en la terminal.

## Discord: los botones de un mensaje y el pie que los explica

discord-button-done = Hecho
discord-button-skip = Omitido
discord-button-pain = Dolor
discord-button-agree = Acepto
discord-button-later = Más tarde (1 h)
discord-button-how-strong = ¿Con qué intensidad? (0–10)
discord-how-to-check-in = Registra tu ejercicio con un botón de abajo (tus propias reacciones ✅ ⏭️ 🤕 también cuentan).

## Discord: lo que responde una pulsación en un botón

discord-recorded = Registrado: { $emoji } { $label }
discord-recorded-change = Registrado: { $emoji } { $label }. Pulsa otro botón para cambiarlo.
discord-agreed = Aceptado, ¡gracias! /status te muestra tu próxima sesión.
discord-session-over = Esa sesión ya terminó: los registros cuentan hasta que empieza la siguiente.
discord-not-yours = Nada que registrar: estos botones son para la persona a la que se envió este mensaje.
discord-tally = Registros hasta ahora: { $tally }

## Discord: el formulario que abre «¿Con qué intensidad?» (título y etiquetas: 45 caracteres como máximo)

discord-pain-form-title = ¿Cómo te dolió?
discord-pain-form-score = ¿Cuánto, de 0 (nada) a 10?
discord-pain-form-where = ¿Dónde lo sentiste?
discord-pain-form-where-example = Por ejemplo: omóplato izquierdo

discord-error = Algo falló por mi parte y no se cambió nada. Inténtalo de nuevo en un minuto, por favor.

## Discord: los comandos de barra tal como los muestra la lista (100 caracteres
## como máximo). Los nombres siguen en inglés; `off`, `today`, `True` se eligen o escriben así.

discord-cmd-subscribe-description = Empieza o cambia tu rutina diaria
discord-param-subscribe-time = Hora local, por ejemplo 07:30 o 7:30am
discord-param-subscribe-timezone = Tu zona horaria, por ejemplo Europe/Madrid
discord-param-subscribe-days = Qué días
discord-param-subscribe-pace = Minutos entre ejercicios
discord-cmd-pause-description = Pausa tus sesiones hasta que las retomes o durante unos días
discord-param-pause-days = Días de pausa (vacío: hasta que las retomes)
discord-cmd-later-description = Pospón la sesión de hoy una vez (1 h si no dices cuánto)
discord-param-later-delay = Cuánto más tarde
discord-cmd-followup-description = Un recordatorio por la noche si no has hecho la sesión del día
discord-param-followup-time = Hora local, por ejemplo 20:00, u off
discord-cmd-pain-description = La intensidad de tu último 🤕 (0–10) y dónde lo sentiste
discord-param-pain-score = 0 = nada, 10 = lo peor que puedas imaginar
discord-param-pain-where = Dónde lo sentiste, por ejemplo omóplato izquierdo
discord-cmd-timezone-description = Configura tu zona horaria
discord-param-timezone-zone = Por ejemplo Europe/Madrid o una ciudad como madrid
discord-cmd-exercise-description = Un ejercicio completo
discord-param-exercise-which = Su número (1-5) o su nombre
discord-cmd-privacy-description = Tus datos: expórtalos o bórralos
discord-cmd-privacy-export-description = Todos tus datos en un archivo JSON, o tus registros en CSV
discord-param-privacy-export-format = json: todo; csv: tus registros, por ejemplo para tu fisioterapeuta
discord-cmd-privacy-delete-description = Borra todo lo que se guarda sobre ti
discord-param-privacy-delete-confirm = Ponlo en True para borrarlo definitivamente
discord-cmd-weekly-description = Un resumen de tu semana por mensaje directo cada domingo
discord-param-weekly-setting = activado o desactivado
discord-cmd-language-description = El idioma en el que te escribo
discord-param-language-language = Déjalo vacío para ver los idiomas
discord-cmd-leaderboard-description = Las rachas del grupo de este canal
discord-cmd-nudges-description = Si un grupo puede mencionarte antes de su resumen
discord-param-nudges-setting = activado o desactivado
discord-cmd-group-description = Hacer la rutina en grupo en este canal (Gestionar servidor)
discord-cmd-group-setup-description = Publica la rutina aquí cada día, con un resumen por la noche
discord-param-group-setup-time = Hora local, por ejemplo 07:30
discord-param-group-setup-timezone = La zona horaria del grupo, por ejemplo Europe/Madrid
discord-param-group-setup-days = Qué días
discord-param-group-setup-summary = Hora local del resumen del día, por ejemplo 21:00
discord-param-group-setup-language = El idioma de las publicaciones del grupo (por defecto: el del servidor)
discord-cmd-group-status-description = El grupo de este canal: horario, miembros, recordatorios
discord-cmd-group-off-description = Detén el grupo de este canal (el historial se conserva)
discord-cmd-group-nudges-description = Menciona a quienes no se hayan registrado, una hora antes del resumen
discord-param-group-nudges-setting = activado o desactivado
discord-cmd-group-skip-description = Un día sin sesión de grupo (no afecta a las rachas)
discord-param-group-skip-date = El día, por ejemplo 2027-05-05, today o tomorrow
discord-cmd-group-pause-description = Unos días sin sesiones de grupo a partir de mañana (no afecta a las rachas)
discord-param-group-pause-days = Cuántos días

## Discord: las opciones de los comandos, tal como las muestran las listas

discord-choice-daily = todos los días
discord-choice-weekdays = entre semana
discord-choice-weekends = fines de semana
discord-choice-mon-wed-fri = lun, mié, vie
discord-choice-tue-thu = mar, jue
discord-choice-30m = 30 min
discord-choice-1h = 1 h
discord-choice-2h = 2 h
discord-choice-tonight = esta noche
discord-choice-on = activado
discord-choice-off = desactivado

## Matrix

matrix-answered-in-dm = Te he respondido en nuestros mensajes directos.
matrix-files-need-encryption = Solo envío archivos con tus datos a salas cifradas, y esta no lo está. Activa el cifrado aquí (ajustes de la sala → Seguridad) y vuelve a pedirlo.

## La demo en la terminal (`upright demo`)

demo-intro = Demo de Upright. Hora aquí: { $now } UTC. Prueba:
demo-intro-start = /subscribe { $time } UTC   luego   /agree   luego   wait 2m
demo-intro-more = react ✅ (o ⏭️, 🤕) registra el último ejercicio; /help muestra los comandos; quit termina.
demo-unknown-input = Los comandos empiezan con `/` (prueba `/help`); también `react ✅ [#N]`, `unreact ✅ [#N]`, `wait 10m`, `quit`.
demo-nothing-to-react-to = Todavía no hay ningún ejercicio que registrar.
demo-reacted = (reaccionaste con { $emoji } a #{ $number })
demo-unreacted = (quitaste { $emoji } de #{ $number })
demo-reacted-nothing = ({ $emoji } en #{ $number }: ahí no hay nada que registrar)
demo-unreacted-nothing = ({ $emoji } quitado de #{ $number }: ahí no hay nada que registrar)
demo-attachment = [adjunto: { $path }]
demo-attachment-failed = [no se pudo escribir el adjunto en { $path }: { $error }]

# Nombres de los comandos de barra tal como los muestra Discord (minúsculas,
# sin espacios, 32 caracteres como máximo); el nombre en inglés siempre funciona.
discord-name-subscribe = suscribirse
discord-name-agree = aceptar
discord-name-unsubscribe = darse-de-baja
discord-name-pause = pausar
discord-name-resume = reanudar
discord-name-skip = saltar
discord-name-later = más-tarde
discord-name-followup = seguimiento
discord-name-pain = dolor
discord-name-status = estado
discord-name-timezone = zona-horaria
discord-name-routine = rutina
discord-name-exercise = ejercicio
discord-name-causes = causas
discord-name-why = por-qué
discord-name-tips = consejos
discord-name-precautions = precauciones
discord-name-disclaimer = descargo
discord-name-streak = racha
discord-name-progress = progreso
discord-name-trends = tendencias
discord-name-weekly = resumen-semanal
discord-name-leaderboard = clasificación
discord-name-nudges = recordatorios
discord-name-privacy = privacidad
discord-name-language = idioma
discord-name-help = ayuda
discord-name-group = grupo
