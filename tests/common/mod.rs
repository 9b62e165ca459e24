//! Shared test helpers: a fake platform that deduplicates by delivery key,
//! like Matrix transaction ids and Discord nonces do, and a bot on a
//! temporary database with a manual clock.
#![allow(dead_code)]

pub mod database;
pub mod http;
#[path = "../postgres/mod.rs"]
pub mod postgres;

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use upright::check_in::CheckInKind;
use upright::clock::ManualClock;
use upright::commands::{self, Member, Place};
use upright::content::Content;
use upright::engine::{
    ChoiceEvent, Destination, Engine, Outgoing, Platform, ReactionEvent, ReactionOutcome,
    SendError, Sent, Settings,
};
use upright::message::Reply;
use upright::store::deliveries::Kind;
use upright::store::sql::{ConnExt, Row};
use upright::store::{Database, Db};

pub const PLATFORM: &str = "fake";

#[derive(Debug, Clone)]
pub struct Posted {
    pub id: String,
    pub key: String,
    pub to: Destination,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    pub at: DateTime<Utc>,
    pub opens_day: bool,
}

impl Posted {
    /// The day's first message: its first exercise (exercise 1 unless that
    /// one rests after pain), headed by the opening — or the same again,
    /// when the member moved their session with `later`; as the engine
    /// marks it for the platform.
    pub fn is_opening(&self) -> bool {
        self.opens_day
    }
}

/// The openings among `posted` (each the day's exercise 1).
pub fn openings(posted: &[Posted]) -> Vec<Posted> {
    posted.iter().filter(|p| p.is_opening()).cloned().collect()
}

/// Where the fake stops answering, to simulate the bot dying mid-send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hang {
    /// Before the platform has the message.
    BeforeSend,
    /// After the platform has the message, before the bot hears back.
    AfterSend,
}

#[derive(Default)]
struct State {
    posted: Vec<Posted>,
    by_key: HashMap<String, String>,
    reactions: Vec<(String, String)>,
    reaction_set: std::collections::HashSet<(String, String)>,
    /// Errors returned by the next sends, in order.
    failures: VecDeque<SendError>,
    /// An error every send and reaction returns, until cleared.
    outage: Option<SendError>,
    /// Every call, in order: ("send", key) / ("react", message id) /
    /// ("is_member", user id).
    calls: Vec<(String, String)>,
    hang: Option<Hang>,
    next_id: u64,
    /// (channel, user) pairs no longer in the channel.
    left: std::collections::HashSet<(String, String)>,
    /// Users the platform cannot look up at all (a deleted account).
    unknown: std::collections::HashSet<String>,
    /// Reactions made while no bot was told: (message id, user, emoji).
    unseen: Vec<(String, String, String)>,
}

pub struct FakePlatform {
    state: Mutex<State>,
    clock: ManualClock,
    pub hung: Notify,
    /// While true, membership lookups wait: a platform slow to answer them.
    lookups_held: tokio::sync::watch::Sender<bool>,
}

impl FakePlatform {
    pub fn new(clock: ManualClock) -> Arc<FakePlatform> {
        Arc::new(FakePlatform {
            state: Mutex::new(State::default()),
            clock,
            hung: Notify::new(),
            lookups_held: tokio::sync::watch::Sender::new(false),
        })
    }

    pub fn posted(&self) -> Vec<Posted> {
        self.state.lock().unwrap().posted.clone()
    }

    pub fn posted_to(&self, user: &str) -> Vec<Posted> {
        self.posted()
            .into_iter()
            .filter(|p| matches!(&p.to, Destination::Direct { user_id, .. } if user_id == user))
            .collect()
    }

    pub fn reactions_on(&self, message_id: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state
            .reactions
            .iter()
            .filter(|(m, _)| m == message_id)
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn calls(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn fail_next(&self, error: SendError) {
        self.state.lock().unwrap().failures.push_back(error);
    }

    /// Every send and reaction fails with `error` until `None` is set.
    pub fn outage(&self, error: Option<SendError>) {
        self.state.lock().unwrap().outage = error;
    }

    pub fn posted_in(&self, channel: &str) -> Vec<Posted> {
        self.posted()
            .into_iter()
            .filter(|p| matches!(&p.to, Destination::Channel(c) if c == channel))
            .collect()
    }

    /// The member leaves the channel, as far as `is_member` can tell.
    pub fn leave(&self, channel: &str, user: &str) {
        self.state
            .lock()
            .unwrap()
            .left
            .insert((channel.to_string(), user.to_string()));
    }

    /// The platform cannot look this account up any more.
    pub fn forget_account(&self, user: &str) {
        self.state.lock().unwrap().unknown.insert(user.to_string());
    }

    pub fn hang_at(&self, hang: Option<Hang>) {
        self.state.lock().unwrap().hang = hang;
    }

    /// Membership lookups wait (`true`) until released (`false`).
    pub fn hold_lookups(&self, held: bool) {
        self.lookups_held.send_replace(held);
    }

    /// `user` reacts with `emoji` while no bot is there to be told (as
    /// Discord keeps it); only [`Platform::reactors`] shows it.
    pub fn reacted_unseen(&self, message_id: &str, user: &str, emoji: &str) {
        let reaction = (message_id.to_string(), user.to_string(), emoji.to_string());
        self.state.lock().unwrap().unseen.push(reaction);
    }
}

#[async_trait]
impl Platform for FakePlatform {
    async fn send(&self, to: &Destination, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let hang = {
            let mut state = self.state.lock().unwrap();
            state.calls.push(("send".into(), outgoing.key.to_string()));
            if let Some(error) = state.failures.pop_front().or_else(|| state.outage.clone()) {
                return Err(error);
            }
            state.hang
        };
        if hang == Some(Hang::BeforeSend) {
            self.hung.notify_one();
            std::future::pending::<()>().await;
        }
        let id = {
            let mut state = self.state.lock().unwrap();
            match state.by_key.get(outgoing.key) {
                Some(id) => id.clone(),
                None => {
                    state.next_id += 1;
                    let id = format!("m{}", state.next_id);
                    state.by_key.insert(outgoing.key.to_string(), id.clone());
                    let at = upright::clock::Clock::now(&self.clock);
                    state.posted.push(Posted {
                        id: id.clone(),
                        key: outgoing.key.to_string(),
                        to: to.clone(),
                        kind: outgoing.kind,
                        title: outgoing.message.title.clone().unwrap_or_default(),
                        body: outgoing.message.body.clone(),
                        at,
                        opens_day: outgoing.opens_day,
                    });
                    id
                }
            }
        };
        if hang == Some(Hang::AfterSend) {
            self.hung.notify_one();
            std::future::pending::<()>().await;
        }
        let dm = match to {
            Destination::Direct { user_id, .. } => Some(format!("dm-{user_id}")),
            Destination::Channel(_) => None,
        };
        Ok(Sent {
            message_id: id,
            dm,
            answered_press: false,
        })
    }

    /// As Matrix finds it: by where and when, not by key (another
    /// device's transaction ids are not visible).
    async fn already_sent(
        &self,
        to: &Destination,
        since: DateTime<Utc>,
        known: &[String],
    ) -> Result<Option<Sent>, SendError> {
        let mut state = self.state.lock().unwrap();
        state.calls.push(("already_sent".into(), format!("{to:?}")));
        let same_place = |posted: &Destination| match (posted, to) {
            (Destination::Direct { user_id: a, .. }, Destination::Direct { user_id: b, .. }) => {
                a == b
            }
            (a, b) => a == b,
        };
        let found = state
            .posted
            .iter()
            .find(|p| same_place(&p.to) && p.at >= since && !known.contains(&p.id))
            .map(|p| Sent {
                message_id: p.id.clone(),
                dm: None,
                answered_press: false,
            });
        Ok(found)
    }

    async fn react(
        &self,
        _to: &Destination,
        message_id: &str,
        emoji: &[String],
    ) -> Result<(), SendError> {
        let mut state = self.state.lock().unwrap();
        state.calls.push(("react".into(), message_id.to_string()));
        if let Some(error) = state.outage.clone() {
            return Err(error);
        }
        for e in emoji {
            let reaction = (message_id.to_string(), e.clone());
            if state.reaction_set.insert(reaction.clone()) {
                state.reactions.push(reaction);
            }
        }
        Ok(())
    }

    /// As Discord does: who reacted is asked for, never replayed.
    async fn reactors(
        &self,
        _to: &Destination,
        message_id: &str,
        emoji: &str,
    ) -> Result<Option<Vec<String>>, SendError> {
        let mut state = self.state.lock().unwrap();
        state
            .calls
            .push(("reactors".into(), message_id.to_string()));
        let users = state
            .unseen
            .iter()
            .filter(|(message, _, e)| message == message_id && e == emoji)
            .map(|(_, user, _)| user.clone())
            .collect();
        Ok(Some(users))
    }

    async fn is_member(&self, channel: &str, user_id: &str) -> Result<bool, SendError> {
        self.state
            .lock()
            .unwrap()
            .calls
            .push(("is_member".into(), user_id.to_string()));
        let mut held = self.lookups_held.subscribe();
        let _released = held.wait_for(|held| !held).await;
        let state = self.state.lock().unwrap();
        if state.unknown.contains(user_id) {
            return Err(SendError::Rejected(format!("no account {user_id}")));
        }
        Ok(!state
            .left
            .contains(&(channel.to_string(), user_id.to_string())))
    }
}

pub fn content() -> Arc<Content> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    Arc::new(Content::load(&dir).expect("the project's content loads"))
}

/// A bot on a temporary database, with a manual clock and the fake platform.
pub struct Bot {
    pub engine: Engine,
    pub clock: ManualClock,
    pub fake: Arc<FakePlatform>,
    pub database: Database,
    pub settings: Settings,
    _dir: Arc<tempfile::TempDir>,
}

impl Bot {
    pub fn start(at: DateTime<Utc>) -> Bot {
        Self::start_with(at, Settings::default())
    }

    pub fn start_with(at: DateTime<Utc>, settings: Settings) -> Bot {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let database = database::fresh(dir.path());
        let clock = ManualClock::new(at);
        let fake = FakePlatform::new(clock.clone());
        Self::assemble(database, clock, fake, settings, dir)
    }

    fn assemble(
        database: Database,
        clock: ManualClock,
        fake: Arc<FakePlatform>,
        settings: Settings,
        dir: Arc<tempfile::TempDir>,
    ) -> Bot {
        let db = Db::connect(&database).unwrap();
        let engine = Engine::new(db, content(), Arc::new(clock.clone()), settings);
        engine.add_platform(PLATFORM, fake.clone());
        Bot {
            engine,
            clock,
            fake,
            database,
            settings,
            _dir: dir,
        }
    }

    /// A new engine on the same database, clock and platform: the bot after
    /// a crash and restart.
    pub fn restart(&self) -> Bot {
        self.fake.hang_at(None);
        Self::assemble(
            self.database.clone(),
            self.clock.clone(),
            self.fake.clone(),
            self.settings,
            self._dir.clone(),
        )
    }

    pub async fn command(&self, user: &str, text: &str) -> Reply {
        self.command_at(user, &Place::Direct, text).await
    }

    /// A command given in a shared channel, by an admin or not.
    pub async fn command_in(&self, user: &str, channel: &str, admin: bool, text: &str) -> Reply {
        let place = Place::Channel {
            id: channel.into(),
            admin,
        };
        self.command_at(user, &place, text).await
    }

    pub async fn command_at(&self, user: &str, place: &Place, text: &str) -> Reply {
        let member = Member {
            platform: PLATFORM.into(),
            user_id: user.into(),
            display_name: capitalized(user),
            dm: None,
            profile_zone: None,
            locale: None,
            server_locale: None,
        };
        let reply = commands::handle_text(&self.engine, &member, place, text).await;
        self.engine.run_due().await.unwrap();
        reply
    }

    /// Subscribes and agrees to the disclaimer.
    pub async fn member(&self, user: &str, subscribe: &str) {
        let reply = self.command(user, subscribe).await;
        assert!(reply.message.body.contains("Subscribed"), "{reply:?}");
        let reply = self.command(user, "agree").await;
        assert!(reply.message.body.contains("first session"), "{reply:?}");
    }

    pub async fn react(
        &self,
        user: &str,
        message_id: &str,
        emoji: &str,
        added: bool,
    ) -> ReactionOutcome {
        let outcome = self
            .engine
            .on_reaction(ReactionEvent {
                platform: PLATFORM.into(),
                message_id: message_id.into(),
                user_id: user.into(),
                display_name: Some(capitalized(user)),
                emoji: emoji.into(),
                added,
                reaction_id: None,
                room: None,
            })
            .await
            .unwrap();
        self.engine.run_due().await.unwrap();
        outcome
    }

    /// A member pressing a check-in button on one of the bot's messages.
    pub async fn press(&self, user: &str, message_id: &str, kind: CheckInKind) -> ReactionOutcome {
        let outcome = self
            .engine
            .on_choice(ChoiceEvent {
                platform: PLATFORM.into(),
                message_id: message_id.into(),
                user_id: user.into(),
                display_name: Some(capitalized(user)),
                kind,
                room: None,
                press: None,
            })
            .await
            .unwrap();
        self.engine.run_due().await.unwrap();
        outcome
    }

    pub async fn run_until(&self, at: DateTime<Utc>) {
        self.engine.run_until(&self.clock, at).await.unwrap();
    }

    /// The first column of the one row `sql` gives.
    pub fn query<T: Column + Send>(&self, sql: &str) -> T {
        self.query_row(sql, |row| row.get(0))
    }

    /// One row, read by `read`.
    pub fn query_row<T: Send>(
        &self,
        sql: &str,
        read: impl Fn(&dyn Row) -> upright::store::Result<T> + Sync,
    ) -> T {
        self.engine
            .db()
            .call_blocking(|c| c.query_opt(sql, &[], &read))
            .unwrap()
            .unwrap_or_else(|| panic!("no row from {sql}"))
    }

    /// Every row, read by `read`.
    pub fn query_rows<T: Send>(
        &self,
        sql: &str,
        read: impl Fn(&dyn Row) -> upright::store::Result<T> + Sync,
    ) -> Vec<T> {
        self.engine
            .db()
            .call_blocking(|c| c.query_all(sql, &[], &read))
            .unwrap()
    }
}

/// A value a test reads from a column, on either engine.
pub trait Column: Sized {
    fn read(row: &dyn Row, column: usize) -> upright::store::Result<Self>;
}

impl Column for i64 {
    fn read(row: &dyn Row, column: usize) -> upright::store::Result<Self> {
        row.int(column)
    }
}

impl Column for Option<i64> {
    fn read(row: &dyn Row, column: usize) -> upright::store::Result<Self> {
        row.opt_int(column)
    }
}

impl Column for String {
    fn read(row: &dyn Row, column: usize) -> upright::store::Result<Self> {
        row.text(column)
    }
}

impl Column for Option<String> {
    fn read(row: &dyn Row, column: usize) -> upright::store::Result<Self> {
        row.opt_text(column)
    }
}

/// `row.get(0)` for any [`Column`], as rusqlite's rows read.
pub trait Get {
    fn get<T: Column>(&self, column: usize) -> upright::store::Result<T>;
}

impl Get for dyn Row + '_ {
    fn get<T: Column>(&self, column: usize) -> upright::store::Result<T> {
        T::read(self, column)
    }
}

/// How the fake platform names a member: "ana" → "Ana".
pub fn capitalized(user: &str) -> String {
    let mut chars = user.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The text `id` in `language` up to its first value: what every rendering
/// of it starts with, whatever the values.
pub fn opening_words(language: upright::i18n::Language, id: &str) -> String {
    let text = upright::i18n::text(language, id, None);
    text.split('{')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A decoded progress picture.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

pub fn decode_png(bytes: &[u8]) -> Picture {
    let mut reader = png::Decoder::new(bytes).read_info().expect("a PNG");
    let mut rgb = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut rgb).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Rgb);
    Picture {
        width: frame.width,
        height: frame.height,
        rgb,
    }
}

impl Picture {
    /// The colour in the middle of a day's square.
    pub fn day(&self, today: chrono::NaiveDate, date: chrono::NaiveDate) -> [u8; 3] {
        let (x, y) = upright::progress::cell_of(today, date).expect("the day is shown");
        let (x, y) = (x + 23, y + 23);
        let at = ((y * self.width + x) * 3) as usize;
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }

    /// Checks what every platform must deliver: the documented size, and a
    /// day with check-ins shown apart from a day without a session.
    pub fn assert_shows(&self, today: &str, checked_in: &str, no_session: &str) {
        let date = |text: &str| text.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(
            (self.width, self.height),
            (upright::progress::WIDTH, upright::progress::HEIGHT)
        );
        let grey = upright::progress::NO_SESSION;
        assert_eq!(
            self.day(date(today), date(no_session)),
            [grey.0, grey.1, grey.2]
        );
        assert_ne!(
            self.day(date(today), date(checked_in)),
            self.day(date(today), date(no_session)),
            "a day with check-ins looks different from a day without a session"
        );
    }
}
