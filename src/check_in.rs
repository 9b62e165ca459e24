//! The three check-in reactions and how emoji map to them.

use std::fmt;

/// What a member says about one exercise by reacting to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckInKind {
    Done,
    Skip,
    Pain,
}

const VARIATION_SELECTOR: char = '\u{FE0F}';

impl CheckInKind {
    pub const ALL: [CheckInKind; 3] = [CheckInKind::Done, CheckInKind::Skip, CheckInKind::Pain];

    /// The emoji the bot adds, in its fully qualified form.
    pub fn emoji(self) -> &'static str {
        match self {
            CheckInKind::Done => "✅",
            CheckInKind::Skip => "⏭\u{FE0F}",
            CheckInKind::Pain => "🤕",
        }
    }

    /// The name stored in `check_ins.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckInKind::Done => "done",
            CheckInKind::Skip => "skip",
            CheckInKind::Pain => "pain",
        }
    }

    pub fn from_db(text: &str) -> Option<CheckInKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Matches an emoji with or without the U+FE0F variation selector.
    pub fn from_emoji(emoji: &str) -> Option<CheckInKind> {
        let bare: String = emoji
            .trim()
            .chars()
            .filter(|c| *c != VARIATION_SELECTOR)
            .collect();
        Self::ALL.into_iter().find(|kind| {
            let wanted: String = kind
                .emoji()
                .chars()
                .filter(|c| *c != VARIATION_SELECTOR)
                .collect();
            wanted == bare
        })
    }

    /// The three reactions added under every exercise, in order.
    pub fn reaction_set() -> Vec<String> {
        Self::ALL.iter().map(|k| k.emoji().to_string()).collect()
    }
}

impl fmt::Display for CheckInKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_match_with_and_without_variation_selector() {
        assert_eq!(CheckInKind::from_emoji("✅"), Some(CheckInKind::Done));
        assert_eq!(
            CheckInKind::from_emoji("✅\u{FE0F}"),
            Some(CheckInKind::Done)
        );
        assert_eq!(CheckInKind::from_emoji("⏭"), Some(CheckInKind::Skip));
        assert_eq!(
            CheckInKind::from_emoji("⏭\u{FE0F}"),
            Some(CheckInKind::Skip)
        );
        assert_eq!(CheckInKind::from_emoji("🤕"), Some(CheckInKind::Pain));
        assert_eq!(CheckInKind::from_emoji("👍"), None);
        assert_eq!(CheckInKind::from_emoji(""), None);
    }

    #[test]
    fn stored_names_round_trip() {
        for kind in CheckInKind::ALL {
            assert_eq!(CheckInKind::from_db(kind.as_str()), Some(kind));
        }
    }
}
