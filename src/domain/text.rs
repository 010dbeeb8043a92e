//! Text safety: what the bot repeats from users must never ping anyone or break mrkdwn.
//!
//! Slack's mrkdwn treats `&`, `<` and `>` as control characters and `<!here>`, `<!channel>`,
//! `<!everyone>` and `<!subteam^…>` as mass mentions. Escaping the three control characters
//! turns every special sequence into inert text, so escaping is the whole neutralisation.

/// Escapes user-typed text for a mrkdwn field: `&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`.
///
/// Slack delivers command text with `<!here>` already as markup; after escaping it shows as
/// the literal characters and notifies nobody.
pub fn escape_mrkdwn(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            other => out.push(other),
        }
    }
    out
}

/// Cuts `text` to at most `max_chars` characters, ending with `…` when it was cut.
///
/// Block Kit rejects over-long fields outright, so every user text is bounded before use.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_mentions_typed_by_users_are_neutralised() {
        for ping in ["<!here>", "<!channel>", "<!everyone>", "<!subteam^S123|sre>", "<@U1>"] {
            let safe = escape_mrkdwn(ping);
            assert!(!safe.contains('<') && !safe.contains('>'), "{safe}");
        }
        assert_eq!(escape_mrkdwn("<!here> help"), "&lt;!here&gt; help");
    }

    #[test]
    fn ampersands_are_escaped_first_so_entities_are_not_double_read() {
        assert_eq!(escape_mrkdwn("a & b &lt;"), "a &amp; b &amp;lt;");
    }

    #[test]
    fn plain_and_korean_text_passes_unchanged() {
        assert_eq!(escape_mrkdwn("결제 장애 checkout 5xx"), "결제 장애 checkout 5xx");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("결제장애", 3), "결제…");
        assert_eq!(truncate_chars("short", 10), "short");
    }
}
