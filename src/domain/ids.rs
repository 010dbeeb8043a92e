//! Slack identifiers as types: users, channels and workspaces.
//!
//! Slack sends ids in several forms (`U123`, `<@U123>`, `<@U123|name>`, `<#C123|name>`) and of
//! any length; these parsers accept every form and keep only the bare id. Owns no I/O.

use std::fmt;

/// A Slack user id (`U…` or `W…`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

/// A Slack conversation id (`C…` public, `G…` private or legacy group, `D…` direct message).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(String);

/// A Slack workspace id (`T…`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TeamId(String);

/// True when `id` starts with one of `prefixes` and the rest is one or more of Slack's id
/// characters (uppercase ASCII letters and digits).
fn is_slack_id(id: &str, prefixes: &[char]) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(first) if prefixes.contains(&first))
        && id.len() > 1
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Strips Slack's escaped-mention wrapping: `<@U1|name>` → `U1`, `<#C1|name>` → `C1`.
fn unwrap_mention(text: &str, sigil: char) -> Option<&str> {
    let inner = text.strip_prefix('<')?.strip_suffix('>')?.strip_prefix(sigil)?;
    Some(inner.split_once('|').map_or(inner, |(id, _label)| id))
}

impl UserId {
    /// Accepts `U123`, `W123`, `<@U123>` and `<@U123|name>`.
    pub fn parse(text: &str) -> Option<UserId> {
        let text = text.trim();
        let id = unwrap_mention(text, '@').unwrap_or(text);
        is_slack_id(id, &['U', 'W']).then(|| UserId(id.to_owned()))
    }

    /// The bare id, e.g. `U0ONCALL1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mrkdwn that mentions this user: `<@U…>`.
    pub fn mention(&self) -> String {
        format!("<@{}>", self.0)
    }
}

impl ChannelId {
    /// Accepts `C123`, `G123`, `D123`, `<#C123>` and `<#C123|name>`.
    pub fn parse(text: &str) -> Option<ChannelId> {
        let text = text.trim();
        let id = unwrap_mention(text, '#').unwrap_or(text);
        is_slack_id(id, &['C', 'G', 'D']).then(|| ChannelId(id.to_owned()))
    }

    /// The bare id, e.g. `C0PAYMENTS`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TeamId {
    /// Accepts `T…` (and `E…` enterprise ids, which Slack sends for org-wide installs).
    pub fn parse(text: &str) -> Option<TeamId> {
        let text = text.trim();
        is_slack_id(text, &['T', 'E']).then(|| TeamId(text.to_owned()))
    }

    /// The bare id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
display_as_str!(UserId, ChannelId, TeamId);

// In stored records (timeline entries) an id is its bare spelling, and reading one back
// parses it: a value that is not an id of that kind is an error, not a wrong id.
super::spelling::stored_by_spelling!(UserId, ChannelId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_accepted_in_every_form_slack_sends() {
        for form in ["U123", "W0LONGER99ID", "<@U123>", "<@U123|alice>", " <@W9|bob> "] {
            assert!(UserId::parse(form).is_some(), "{form}");
        }
        assert_eq!(UserId::parse("<@U123|alice>").unwrap().as_str(), "U123");
    }

    #[test]
    fn things_that_are_not_user_ids_are_refused() {
        for form in ["", "U", "@alice", "alice", "C123", "<@u123>", "<!here>", "<@>", "U12-3"] {
            assert!(UserId::parse(form).is_none(), "{form}");
        }
    }

    #[test]
    fn channel_ids_are_accepted_with_or_without_the_mention_wrapping() {
        assert_eq!(ChannelId::parse("<#C0PAY|payments>").unwrap().as_str(), "C0PAY");
        assert_eq!(ChannelId::parse("<#G1>").unwrap().as_str(), "G1");
        assert_eq!(ChannelId::parse("C08ABCDEF12").unwrap().as_str(), "C08ABCDEF12");
        assert!(ChannelId::parse("#payments").is_none());
        assert!(ChannelId::parse("U123").is_none());
    }

    #[test]
    fn team_ids_start_with_t_or_e() {
        assert!(TeamId::parse("T0FIREBELL").is_some());
        assert!(TeamId::parse("E012").is_some());
        assert!(TeamId::parse("X1").is_none());
    }

    #[test]
    fn a_user_mention_renders_as_slack_mrkdwn() {
        assert_eq!(UserId::parse("U1").unwrap().mention(), "<@U1>");
    }
}
