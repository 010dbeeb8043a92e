//! Replies to `/incident`: ephemeral messages, with the words from the catalog.

use serde::Serialize;

use crate::catalog::{Key, Locale, text};
use crate::domain::command::GrammarError;
use crate::domain::policy::Policy;

/// An ephemeral reply: only the person who typed the command sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reply {
    pub response_type: &'static str,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<serde_json::Value>,
}

impl Reply {
    /// An ephemeral reply with this text.
    pub fn ephemeral(text: String) -> Reply {
        Reply { response_type: "ephemeral", text, blocks: None }
    }

    /// An ephemeral reply with Block Kit blocks (and `text` as the fallback).
    pub fn ephemeral_blocks(text: String, blocks: serde_json::Value) -> Reply {
        Reply { response_type: "ephemeral", text, blocks: Some(blocks) }
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
}
