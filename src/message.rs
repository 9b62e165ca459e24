//! What the bot says, as plain data every platform can render: a title, a
//! body in light Markdown (`**bold**`, `- ` lists), and an optional footer.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub title: Option<String>,
    pub body: String,
    pub footer: Option<String>,
}

impl Message {
    pub fn new(title: impl Into<String>, body: impl Into<String>) -> Message {
        Message {
            title: Some(title.into()),
            body: body.into(),
            footer: None,
        }
    }

    pub fn text(body: impl Into<String>) -> Message {
        Message {
            title: None,
            body: body.into(),
            footer: None,
        }
    }

    pub fn with_footer(mut self, footer: impl Into<String>) -> Message {
        self.footer = Some(footer.into());
        self
    }

    /// The whole message as Markdown, for platforms without embeds.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(&format!("**{title}**\n"));
        }
        out.push_str(&self.body);
        if let Some(footer) = &self.footer {
            out.push_str(&format!("\n\n_{footer}_"));
        }
        out
    }
}

/// A file sent along with a reply (a progress picture, a privacy export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub message: Message,
    /// Only the asking member sees it (Discord ephemeral replies in servers).
    pub ephemeral: bool,
    pub attachment: Option<Attachment>,
    /// The answer holds the disclaimer: once sent, the platform reports its
    /// message, which then counts as the member's disclaimer.
    pub carries_disclaimer: bool,
    /// The member is over their command budget: said only where nobody
    /// else sees it (a DM, Discord's ephemeral reply), never into a room.
    pub over_budget: bool,
}

impl Reply {
    pub fn private(message: Message) -> Reply {
        Reply {
            message,
            ephemeral: true,
            attachment: None,
            carries_disclaimer: false,
            over_budget: false,
        }
    }

    /// "Slow down": see [`Reply::over_budget`].
    pub fn slow_down(message: Message) -> Reply {
        Reply {
            over_budget: true,
            ..Reply::private(message)
        }
    }

    pub fn public(message: Message) -> Reply {
        Reply {
            message,
            ephemeral: false,
            attachment: None,
            carries_disclaimer: false,
            over_budget: false,
        }
    }

    pub fn with_attachment(mut self, attachment: Attachment) -> Reply {
        self.attachment = Some(attachment);
        self
    }
}

/// `text` cut to at most `limit` characters, with an ellipsis when cut.
pub fn clip(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(limit.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// A member's chosen name as literal text in Markdown (Discord and Matrix
/// both honour backslash escapes), so a name cannot restyle a message.
pub fn escape_markdown(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '~' | '|' | '[' | ']' | '(' | ')' | '<' | '>' | '#' | '@'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
