//! Replies to `/incident`: ephemeral messages, with the words from the catalog.

use std::sync::Arc;

use serde::Serialize;

use crate::catalog::{Key, Locale, text};
use crate::domain::command::GrammarError;
use crate::domain::policy::Policy;

/// An ephemeral reply: only the person who typed the command sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Reply {
    pub response_type: &'static str,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<serde_json::Value>,
    /// The reply's JSON, when it was rendered ahead ([`Reply::rendered_ahead`]).
    #[serde(skip)]
    json: Option<Arc<[u8]>>,
}

impl PartialEq for Reply {
    /// Replies are equal when they say the same; whether one was rendered ahead does not count.
    fn eq(&self, other: &Reply) -> bool {
        (self.response_type, &self.text, &self.blocks) == (other.response_type, &other.text, &other.blocks)
    }
}

impl Reply {
    /// An ephemeral reply with this text.
    pub fn ephemeral(text: String) -> Reply {
        Reply { response_type: "ephemeral", text, blocks: None, json: None }
    }

    /// An ephemeral reply with Block Kit blocks (and `text` as the fallback).
    pub fn ephemeral_blocks(text: String, blocks: serde_json::Value) -> Reply {
        Reply { response_type: "ephemeral", text, blocks: Some(blocks), json: None }
    }

    /// The same reply with its JSON rendered now, for a reply given unchanged to many requests
    /// (`help`): serialising its two kilobytes of text each time was a tenth of the work of
    /// answering `/incident help`.
    pub fn rendered_ahead(mut self) -> Reply {
        self.json = Some(Arc::from(self.to_json()));
        self
    }

    /// The reply as Slack reads it: the JSON rendered ahead, or rendered now.
    pub fn json(&self) -> Arc<[u8]> {
        self.json.clone().unwrap_or_else(|| Arc::from(self.to_json()))
    }

    fn to_json(&self) -> Vec<u8> {
        // Serialising strings and `serde_json::Value`s into memory cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

fn accepted(locale: Locale, names: Vec<String>) -> String {
    if names.is_empty() {
        return text(locale, Key::NoneConfigured).as_str().to_owned();
    }
    names.join(", ")
}

/// The help text, naming this install's severities and services.
pub fn help(policy: &Policy) -> Reply {
    let locale = policy.locale;
    Reply::ephemeral(text(locale, Key::HelpText).fill(&[
        ("severities", &accepted(locale, policy.severity_names())),
        ("services", &accepted(locale, policy.service_names())),
    ]))
}

/// Says what was wrong with a command and what is accepted.
pub fn grammar_error(error: &GrammarError, policy: &Policy) -> Reply {
    let locale = policy.locale;
    let t = |key| text(locale, key);
    let message = match error {
        GrammarError::UnknownCommand { word } => t(Key::UnknownCommand).fill(&[("word", word)]),
        GrammarError::UnknownSeverity { word } => {
            t(Key::UnknownSeverity).fill(&[("word", word), ("accepted", &accepted(locale, policy.severity_names()))])
        }
        GrammarError::UnknownService { word } => {
            t(Key::UnknownService).fill(&[("word", word), ("accepted", &accepted(locale, policy.service_names()))])
        }
        GrammarError::UnknownRole { word } => {
            t(Key::UnknownRole).fill(&[("word", word), ("accepted", &policy.role_names().join(", "))])
        }
        GrammarError::UnknownStatus { word } => t(Key::UnknownStatus).fill(&[("word", word)]),
        GrammarError::UnknownStatsWindow { word } => t(Key::UnknownStatsWindow).fill(&[("word", word)]),
        GrammarError::UnknownOption { word } => t(Key::UnknownOption).fill(&[("word", word)]),
        GrammarError::RepeatedSeverity => t(Key::RepeatedSeverity).as_str().to_owned(),
        GrammarError::MissingArgument { usage } => t(Key::MissingArgument).fill(&[("usage", usage.line())]),
        GrammarError::ExpectedUser { usage, got } => {
            t(Key::ExpectedUser).fill(&[("got", got), ("usage", usage.line())])
        }
        GrammarError::UnexpectedWords { usage, words } => {
            t(Key::UnexpectedWords).fill(&[("words", words), ("usage", usage.line())])
        }
        GrammarError::BadDueDate { word } => t(Key::BadDueDate).fill(&[("word", word)]),
        GrammarError::BadTime { word } => t(Key::ReplyBadTime).fill(&[("word", word)]),
    };
    Reply::ephemeral(message)
}

/// A reply that is just one catalog text with its placeholders filled.
pub fn simple(policy: &Policy, key: Key, args: &[(&str, &str)]) -> Reply {
    Reply::ephemeral(text(policy.locale, key).fill(args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::command::parse;

    fn reply_to(text: &str) -> String {
        let policy = contract_policy();
        grammar_error(&parse(text, &policy).unwrap_err(), &policy).text
    }

    #[test]
    fn an_unknown_severity_reply_lists_the_accepted_ones() {
        assert_eq!(reply_to("declare sev9 Down"), "`sev9` is not a severity here. Accepted: SEV1, SEV2, SEV3, SEV4.");
    }

    #[test]
    fn an_unknown_service_reply_lists_the_services() {
        assert!(reply_to("declare service:billing Down").contains("Accepted: payments, checkout."));
    }

    #[test]
    fn replies_echoing_user_text_cannot_ping() {
        let reply = reply_to("<!channel> now");
        assert!(reply.contains("&lt;!channel&gt;") && !reply.contains("<!channel>"), "{reply}");
    }

    #[test]
    fn every_grammar_error_has_a_reply_in_korean_too() {
        let mut policy = contract_policy();
        policy.locale = Locale::Ko;
        for input in [
            "bogus",
            "declare sev9 x",
            "declare service:x y",
            "role x <@U1>",
            "status done",
            "stats 1y",
            "declare --x y",
            "declare sev1 sev2 x",
            "title",
            "lead bob",
            "close now",
            "followup x due:tomorrow",
        ] {
            let error = parse(input, &policy).unwrap_err();
            let reply = grammar_error(&error, &policy).text;
            assert!(reply.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)), "{input}: {reply}");
        }
    }

    #[test]
    fn help_names_the_installs_severities_and_services() {
        let text = help(&contract_policy()).text;
        assert!(text.contains("Severities: SEV1, SEV2, SEV3, SEV4. Services: payments, checkout."), "{text}");
    }

    #[test]
    fn a_reply_rendered_ahead_is_the_json_it_would_have_been() {
        let reply = help(&contract_policy());
        let ahead = reply.clone().rendered_ahead();
        assert_eq!(ahead, reply);
        assert_eq!(ahead.json(), reply.json());
        let json: serde_json::Value = serde_json::from_slice(&ahead.json()).unwrap();
        assert_eq!(json, serde_json::json!({"response_type": "ephemeral", "text": reply.text}));
    }
}
