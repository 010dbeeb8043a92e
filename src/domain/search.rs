//! The words of a search and of an incident, as search and similar incidents compare them.
//!
//! Matching is by substring in the database (trigram indexes), so a query word only has to be
//! the part every form of it shares: an English word loses a common suffix when four letters
//! or more remain (`timeouts` → `timeout`, `deployed` → `deploy`), and a Korean word its
//! trailing particle (`결제가`, `결제를` → `결제`). Pure.

use std::collections::BTreeSet;

/// At most this many words of a query are used (every one must match).
pub const MAX_QUERY_WORDS: usize = 8;

/// Korean particles that end a word (longest first), stripped when at least one syllable
/// remains.
const PARTICLES: [&str; 17] = [
    "에서는",
    "에서",
    "으로",
    "에게",
    "까지",
    "부터",
    "이",
    "가",
    "을",
    "를",
    "은",
    "는",
    "의",
    "에",
    "로",
    "와",
    "과",
];

/// English suffixes, stripped when at least four letters remain (longest first).
const SUFFIXES: [&str; 4] = ["ing", "ed", "es", "s"];

/// English words too common to say anything about an incident.
const STOPWORDS: [&str; 24] = [
    "the", "and", "for", "with", "from", "into", "are", "was", "were", "has", "have", "not", "but", "all", "our",
    "its", "this", "that", "than", "then", "after", "before", "when", "while",
];

/// The form of `word` a substring search looks for: lowercase, without the punctuation around
/// it, an English suffix or a Korean particle removed. `None` for nothing left.
pub fn stem(word: &str) -> Option<String> {
    let trimmed = word.trim_matches(|c: char| !c.is_alphanumeric());
    if trimmed.is_empty() {
        return None;
    }
    let lower = trimmed.to_lowercase();
    if lower.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        for suffix in SUFFIXES {
            if let Some(stem) = lower.strip_suffix(suffix)
                && stem.chars().count() >= 4
                && stem.chars().all(|c| c.is_ascii_alphabetic())
            {
                // `timeouts` → `timeout`; `services` → `servic` still finds `service`.
                return Some(stem.to_owned());
            }
        }
        return Some(lower);
    }
    for particle in PARTICLES {
        if let Some(stem) = lower.strip_suffix(particle)
            && stem.chars().count() >= 2
            && stem.chars().last().is_some_and(is_hangul)
        {
            return Some(stem.to_owned());
        }
    }
    Some(lower)
}

fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// A query's words, each stemmed, in order, without repeats; at most [`MAX_QUERY_WORDS`].
pub fn query_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace().filter_map(stem) {
        if !words.contains(&word) {
            words.push(word);
        }
        if words.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    words
}

/// The words that make two incidents alike: stemmed, two characters or more, without the
/// commonest English words.
pub fn telling_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || c == '/' || c == ',' || c == '.')
        .filter_map(stem)
        .filter(|w| w.chars().count() >= 2 && !STOPWORDS.contains(&w.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_words_lose_their_suffix_and_case() {
        assert_eq!(stem("Timeouts").as_deref(), Some("timeout"));
        assert_eq!(stem("deployed,").as_deref(), Some("deploy"));
        assert_eq!(stem("failing").as_deref(), Some("fail"));
        assert_eq!(stem("DNS").as_deref(), Some("dns"), "too short to lose an s");
        assert_eq!(stem("v42").as_deref(), Some("v42"));
        assert_eq!(stem("502s").as_deref(), Some("502s"), "not all letters");
        assert_eq!(stem("...").as_deref(), None);
    }

    #[test]
    fn korean_words_lose_their_particle() {
        assert_eq!(stem("결제가").as_deref(), Some("결제"));
        assert_eq!(stem("결제를").as_deref(), Some("결제"));
        assert_eq!(stem("게이트웨이에서").as_deref(), Some("게이트웨이"));
        assert_eq!(stem("결제").as_deref(), Some("결제"));
        assert_eq!(stem("이").as_deref(), Some("이"), "a particle alone stays");
        assert_eq!(stem("나가").as_deref(), Some("나가"), "one syllable would be left");
    }

    #[test]
    fn a_query_keeps_each_word_once_and_at_most_eight() {
        assert_eq!(query_words("결제가 실패 결제를"), ["결제", "실패"]);
        assert_eq!(query_words("a b c d e f g h i j").len(), MAX_QUERY_WORDS);
        assert!(query_words("  ").is_empty());
    }

    #[test]
    fn telling_words_leave_out_the_common_ones() {
        let words = telling_words("Card payments failing after the deploy");
        assert_eq!(words.into_iter().collect::<Vec<_>>(), ["card", "deploy", "fail", "payment"]);
    }
}
