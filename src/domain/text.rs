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

/// Mass mentions turned into plain words: `<!here>` → `@here`, `<!channel>` → `@channel`,
/// `<!everyone>` → `@everyone`, `<!subteam^S1|@sre>` → `@sre` (`@group` without a label). Other
/// special sequences (`<!date^…>`) and everything else are left as they are. For what the bot
/// itself writes where no one may be pinged at all (a drill): escaping user text already keeps
/// users' words from pinging.
pub fn without_mass_mentions(text: &str) -> String {
    rewrite_special_mentions(text, |key, label| match key {
        "here" | "channel" | "everyone" => Some(format!("@{key}")),
        "subteam" => Some(format!("@{}", label.unwrap_or("group"))),
        _ => None,
    })
}

/// Rewrites each of Slack's special sequences `<!key^…|label>`: `shown(key, label)` answers
/// what to write instead (`label` without its leading `@`, `None` when absent or empty), or
/// `None` to keep the sequence as it is. An unclosed `<!` is kept.
pub fn rewrite_special_mentions(text: &str, shown: impl Fn(&str, Option<&str>) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('>') else {
            out.push_str("<!");
            rest = after;
            continue;
        };
        let inner = &after[..end];
        let key = inner.split(['|', '^']).next().unwrap_or_default();
        let label = inner.split_once('|').map(|(_, label)| label.trim_start_matches('@')).filter(|l| !l.is_empty());
        match shown(key, label) {
            Some(words) => out.push_str(&words),
            None => {
                out.push_str("<!");
                out.push_str(inner);
                out.push('>');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_mentions_become_words_and_nothing_else_changes() {
        assert_eq!(
            without_mass_mentions("<!here> <!channel> <!everyone> <!subteam^S1|@sre> <!subteam^S2> now"),
            "@here @channel @everyone @sre @group now"
        );
        assert_eq!(without_mass_mentions("<!here|here> wake up"), "@here wake up");
        let kept = "<!date^1700000000^{date}|Nov 14> <@U1> <#C1|general> &lt;!here&gt; a < b";
        assert_eq!(without_mass_mentions(kept), kept);
        assert_eq!(without_mass_mentions("unclosed <!here"), "unclosed <!here");
        assert_eq!(without_mass_mentions("결제 <!channel>"), "결제 @channel");
    }

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
