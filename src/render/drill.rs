//! The DRILL mark: how everything the bot posts about a drill says that it is one.
//!
//! Marking is done in one place, on the way out (the Slack facade applies a [`DrillMark`] to
//! every message, edit, reply, topic and document of a drill's jobs), rather than in each
//! template: a message added later cannot forget it. Each text gets a `[DRILL]` prefix, each
//! Block Kit message a leading context block, each document a first line; and nothing marked
//! carries a mass mention, whatever produced it. Pure; the facade does the sending.

use serde_json::{Value, json};

use crate::catalog::{Key, Locale, text};
use crate::domain::text::{truncate_chars, without_mass_mentions};

/// The `block_id` of the leading context block, so a message is never marked twice.
pub const BANNER_BLOCK_ID: &str = "firebell_drill";

/// Slack's limit on blocks per message.
const MAX_BLOCKS: usize = 50;

/// Slack's limit on a channel topic.
const MAX_TOPIC: usize = 250;

/// The words of the mark in the policy's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrillMark {
    /// Put before every text (`[DRILL] `).
    prefix: String,
    /// The leading context block's and documents' first line.
    banner: String,
}

impl DrillMark {
    /// The mark in `locale`.
    pub fn new(locale: Locale) -> DrillMark {
        DrillMark {
            prefix: text(locale, Key::DrillPrefix).as_str().to_owned(),
            banner: text(locale, Key::DrillBanner).as_str().to_owned(),
        }
    }

    /// A message's text (or fallback text) with the prefix, without mass mentions.
    pub fn text(&self, text: &str) -> String {
        let text = without_mass_mentions(text);
        if text.starts_with(&self.prefix) { text } else { format!("{}{text}", self.prefix) }
    }

    /// A message's blocks with the banner first, without mass mentions anywhere in them. A
    /// message already at Slack's 50 blocks loses its last one to the banner: Slack refuses
    /// a 51st, and firebell's messages stay far below that.
    pub fn blocks(&self, blocks: &Value) -> Value {
        let mut blocks = strip_mentions(blocks);
        if let Some(list) = blocks.as_array_mut()
            && list.first().is_none_or(|first| first["block_id"] != BANNER_BLOCK_ID)
        {
            let banner = json!({
                "type": "context",
                "block_id": BANNER_BLOCK_ID,
                "elements": [{"type": "mrkdwn", "text": truncate_chars(&self.banner, 3000)}],
            });
            list.insert(0, banner);
            list.truncate(MAX_BLOCKS);
        }
        blocks
    }

    /// A channel topic with the prefix, within Slack's 250 characters.
    pub fn topic(&self, topic: &str) -> String {
        truncate_chars(&self.text(topic), MAX_TOPIC)
    }

    /// A document's (canvas or file) title with the prefix.
    pub fn title(&self, title: &str) -> String {
        self.text(title)
    }

    /// A document's Markdown with the banner as its first line (a quote), once.
    pub fn markdown(&self, markdown: &str) -> String {
        let banner = format!("> {}", self.banner);
        let markdown = without_mass_mentions(markdown);
        if markdown.starts_with(&banner) { markdown } else { format!("{banner}\n\n{markdown}") }
    }
}

/// Every string in `value` without mass mentions.
fn strip_mentions(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(without_mass_mentions(text)),
        Value::Array(items) => Value::Array(items.iter().map(strip_mentions).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(key, value)| (key.clone(), strip_mentions(value))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark() -> DrillMark {
        DrillMark::new(Locale::En)
    }

    #[test]
    fn a_text_is_prefixed_once() {
        let marked = mark().text("Incident #4 resolved");
        assert_eq!(marked, "[DRILL] Incident #4 resolved");
        assert_eq!(mark().text(&marked), marked);
    }

    #[test]
    fn blocks_start_with_the_banner_once_and_keep_the_rest_in_order() {
        let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "Summary"}}]);
        let marked = mark().blocks(&blocks);
        assert_eq!(marked[0]["type"], "context");
        assert_eq!(marked[0]["block_id"], BANNER_BLOCK_ID);
        let banner = marked[0]["elements"][0]["text"].as_str().unwrap();
        assert!(banner.contains("DRILL") && banner.contains("practice"), "{banner}");
        assert_eq!(marked[1], blocks[0]);
        assert_eq!(mark().blocks(&marked), marked, "marking twice changes nothing");
    }

    #[test]
    fn no_mass_mention_survives_in_text_or_blocks() {
        let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "<!here> *SEV1* <!subteam^S1|@sre>"}},
                            {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!channel> <@U1>"}]}]);
        let marked = mark().blocks(&blocks).to_string();
        let text = mark().text("<!everyone> Incident #4");
        for ping in ["<!here", "<!channel", "<!everyone", "<!subteam"] {
            assert!(!marked.contains(ping) && !text.contains(ping), "{ping}: {marked} / {text}");
        }
        assert!(marked.contains("<@U1>"), "a person's mention is kept: {marked}");
    }

    #[test]
    fn a_full_message_keeps_slacks_limit_of_fifty_blocks() {
        let blocks = Value::Array((0..50).map(|n| json!({"type": "divider", "block_id": n.to_string()})).collect());
        let marked = mark().blocks(&blocks);
        assert_eq!(marked.as_array().unwrap().len(), 50);
        assert_eq!(marked[0]["block_id"], BANNER_BLOCK_ID);
    }

    #[test]
    fn a_topic_is_prefixed_within_250_characters() {
        let topic = mark().topic(&"x".repeat(250));
        assert!(topic.starts_with("[DRILL] ") && topic.chars().count() == 250, "{topic}");
    }

    #[test]
    fn documents_get_a_titled_prefix_and_a_first_line_once() {
        assert_eq!(mark().title("Retrospective #4"), "[DRILL] Retrospective #4");
        let markdown = mark().markdown("# Retrospective\n\nbody");
        assert!(markdown.starts_with("> ") && markdown.contains("DRILL"), "{markdown}");
        assert!(markdown.ends_with("# Retrospective\n\nbody"));
        assert_eq!(mark().markdown(&markdown), markdown);
    }

    #[test]
    fn the_korean_mark_still_says_drill() {
        let mark = DrillMark::new(Locale::Ko);
        assert!(mark.text("장애 #4").contains("DRILL"));
        assert!(mark.blocks(&json!([]))[0]["elements"][0]["text"].as_str().unwrap().contains("훈련"));
    }
}
