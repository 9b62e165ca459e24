//! A platform in the terminal: every bot message is printed with a number
//! `#N`, which `react`/`unreact` in the demo refer to.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono_tz::Tz;

use crate::clock::Clock;
use crate::engine::{Destination, Outgoing, Platform, SendError, Sent};
use crate::i18n::{Language, dates};
use crate::message::{Message, Reply};
use crate::store::deliveries::Kind;
use crate::tr;

pub const PLATFORM: &str = "console";

struct State {
    next_number: u64,
    /// Delivery key → message number: a re-send with the same key prints nothing.
    sent_keys: HashMap<String, String>,
    /// The latest message a check-in can refer to (an exercise, or the disclaimer).
    latest_reactable: Option<String>,
    zone: Tz,
    /// The member's language, for dates and the terminal's own words.
    language: Language,
    out: Box<dyn Write + Send>,
}

/// Prints messages to a writer (stdout in the demo).
#[derive(Clone)]
pub struct Console {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
}

impl Console {
    pub fn new(out: Box<dyn Write + Send>, clock: Arc<dyn Clock>) -> Console {
        Console {
            state: Arc::new(Mutex::new(State {
                next_number: 1,
                sent_keys: HashMap::new(),
                latest_reactable: None,
                zone: Tz::UTC,
                language: Language::default(),
                out,
            })),
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Times are printed in the member's zone once it is known.
    pub fn set_zone(&self, zone: Tz) {
        self.lock().zone = zone;
    }

    /// Dates and the terminal's own words follow the member's language.
    pub fn set_language(&self, language: Language) {
        self.lock().language = language;
    }

    pub fn language(&self) -> Language {
        self.lock().language
    }

    pub fn latest_reactable(&self) -> Option<String> {
        self.lock().latest_reactable.clone()
    }

    /// Prints a line that is not a bot message (demo hints, errors).
    pub fn note(&self, text: &str) {
        let mut state = self.lock();
        write_or_log(&mut state.out, &format!("   {text}\n"));
    }

    /// Prints a command's reply as a numbered message; an attachment is
    /// written next to `attachment_dir` and its path printed.
    pub fn print_reply(&self, reply: &Reply, attachment_dir: &Path) -> String {
        let mut message = reply.message.clone();
        if let Some(attachment) = &reply.attachment {
            let (number, lang) = {
                let state = self.lock();
                (state.next_number, state.language)
            };
            let path = attachment_path(attachment_dir, number, &attachment.filename);
            let shown = path.display().to_string();
            let line = match std::fs::write(&path, &attachment.bytes) {
                Ok(()) => tr!(lang, "demo-attachment", path = shown),
                Err(e) => tr!(
                    lang,
                    "demo-attachment-failed",
                    path = shown,
                    error = e.to_string()
                ),
            };
            message.body.push('\n');
            message.body.push_str(&line);
        }
        self.print(&message)
    }

    fn print(&self, message: &Message) -> String {
        let now = self.clock.now();
        let mut state = self.lock();
        let number = state.next_number;
        state.next_number += 1;
        let local = now.with_timezone(&state.zone);
        let text = format!(
            "\n#{number} · {} {}\n{}\n",
            dates::short_date(state.language, local.date_naive()),
            local.format("%H:%M %Z"),
            message.to_markdown()
        );
        write_or_log(&mut state.out, &text);
        number.to_string()
    }
}

fn attachment_path(dir: &Path, number: u64, filename: &str) -> PathBuf {
    dir.join(format!("upright-demo-{number}-{filename}"))
}

fn write_or_log(out: &mut Box<dyn Write + Send>, text: &str) {
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!("cannot write to the terminal: {e}");
    }
}

#[async_trait]
impl Platform for Console {
    async fn send(&self, _to: &Destination, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        if let Some(number) = self.lock().sent_keys.get(outgoing.key).cloned() {
            return Ok(Sent {
                message_id: number,
                dm: None,
                answered_press: false,
            });
        }
        let number = self.print(outgoing.message);
        let mut state = self.lock();
        state
            .sent_keys
            .insert(outgoing.key.to_string(), number.clone());
        if matches!(outgoing.kind, Kind::Exercise | Kind::Disclaimer) {
            state.latest_reactable = Some(number.clone());
        }
        Ok(Sent {
            message_id: number,
            dm: Some("terminal".to_string()),
            answered_press: false,
        })
    }

    async fn react(
        &self,
        _to: &Destination,
        message_id: &str,
        emoji: &[String],
    ) -> Result<(), SendError> {
        let mut state = self.lock();
        write_or_log(
            &mut state.out,
            &format!("   #{message_id} ↳ {}\n", emoji.join(" ")),
        );
        Ok(())
    }

    /// The terminal has one member and no channels; nobody ever leaves.
    async fn is_member(&self, _channel: &str, _user_id: &str) -> Result<bool, SendError> {
        Ok(true)
    }
}
