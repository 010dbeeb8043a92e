//! OAuth scopes, as Slack checks them: each Web API method needs a bot scope (a private
//! channel's variant for private channels), and a token without it gets `missing_scope` with
//! `needed` and `provided`. The stand-in grants `manifest.yml`'s bot scopes unless told
//! otherwise ([`SlackStandIn::set_scopes`]), so a call firebell makes beyond its manifest fails
//! in the tests and in the demo as it would in a real install.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::wire::{flag, text};
use super::{SlackStandIn, State};

/// The bot scopes a method needs: for public channels (or no channel), and for private ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needed {
    pub public: &'static [&'static str],
    pub private: &'static [&'static str],
}

const fn same(scopes: &'static [&'static str]) -> Needed {
    Needed { public: scopes, private: scopes }
}

/// What `method` needs; `None` for a method the stand-in does not know.
pub fn needed(method: &str) -> Option<Needed> {
    const CHANNEL_WRITE: Needed = Needed { public: &["channels:manage"], private: &["groups:write"] };
    const CHANNEL_READ: Needed = Needed { public: &["channels:read"], private: &["groups:read"] };
    const HISTORY: Needed = Needed { public: &["channels:history"], private: &["groups:history"] };
    Some(match method {
        "auth.test" | "apps.connections.open" | "chat.getPermalink" | "views.open" | "views.push" | "views.update" => {
            same(&[])
        }
        "chat.postMessage" | "chat.update" | "chat.postEphemeral" => same(&["chat:write"]),
        "conversations.create"
        | "conversations.invite"
        | "conversations.setTopic"
        | "conversations.setPurpose"
        | "conversations.archive" => CHANNEL_WRITE,
        "conversations.join" => same(&["channels:join"]),
        "conversations.info" | "conversations.list" | "users.conversations" => CHANNEL_READ,
        "conversations.history" | "conversations.replies" => HISTORY,
        "conversations.canvases.create" | "canvases.create" | "canvases.edit" | "canvases.access.set" => {
            same(&["canvases:write"])
        }
        "pins.add" => same(&["pins:write"]),
        "bookmarks.add" => same(&["bookmarks:write"]),
        "reactions.add" => same(&["reactions:write"]),
        "users.info" => same(&["users:read"]),
        "files.getUploadURLExternal" | "files.completeUploadExternal" => same(&["files:write"]),
        _ => return None,
    })
}

/// The bot scopes `manifest.yml` requests (what an install of firebell's manifest grants).
pub fn manifest_scopes() -> BTreeSet<String> {
    let manifest = include_str!("../../manifest.yml");
    let mut lines = manifest.lines().skip_while(|line| line.trim() != "bot:").skip(1);
    let mut scopes = BTreeSet::new();
    while let Some(scope) = lines.next().and_then(|line| line.trim().strip_prefix("- ")) {
        scopes.insert(scope.trim().to_owned());
    }
    scopes
}

impl State {
    /// `Err(missing_scope)` when the token lacks what `method` needs for the channel it names.
    pub(super) fn check_scopes(&self, method: &str, p: &Value) -> Result<(), Value> {
        let Some(needed) = needed(method) else { return Ok(()) };
        let private = match method {
            "conversations.create" => flag(p, "is_private"),
            "conversations.list" | "users.conversations" => {
                let types = text(p, "types").unwrap_or_default();
                types.contains("private_channel") && !types.contains("public_channel")
            }
            _ => text(p, "channel").and_then(|id| self.channels.get(&id)).is_some_and(|c| c.is_private),
        };
        let scopes = if private { needed.private } else { needed.public };
        match scopes.iter().find(|scope| !self.scopes.contains(**scope)) {
            None => Ok(()),
            Some(missing) => {
                let provided: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
                Err(json!({"error": "missing_scope", "needed": missing, "provided": provided.join(",")}))
            }
        }
    }
}

impl SlackStandIn {
    /// The bot token's scopes from now on (default: [`manifest_scopes`]).
    pub fn set_scopes(&self, scopes: &[&str]) {
        self.lock().scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_scopes_are_read_from_manifest_yml() {
        let scopes = manifest_scopes();
        for scope in ["chat:write", "channels:manage", "groups:write", "canvases:write", "commands"] {
            assert!(scopes.contains(scope), "{scope} in {scopes:?}");
        }
        assert!(!scopes.iter().any(|s| s.contains(' ') || s.is_empty()), "{scopes:?}");
    }

    #[test]
    fn private_channels_need_the_groups_scopes() {
        let create = needed("conversations.create").unwrap();
        assert_eq!((create.public, create.private), (&["channels:manage"][..], &["groups:write"][..]));
        assert_eq!(needed("views.open").unwrap().public, &[] as &[&str]);
        assert!(needed("admin.users.invite").is_none());
    }
}
