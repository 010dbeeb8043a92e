//! The Slack app manifest (`manifest.yml`, compiled in), pointed at an install's URL.

/// The placeholder host in `manifest.yml`.
const PLACEHOLDER: &str = "https://firebell.example.com";

/// The manifest with its request URLs at `url`, or for Socket Mode (no URLs).
pub fn render(url: Option<&str>, socket_mode: bool) -> Result<String, String> {
    let manifest = include_str!("../manifest.yml");
    if socket_mode {
        let lines: Vec<&str> = manifest
            .lines()
            .filter(|line| !line.contains(PLACEHOLDER))
            .map(|line| if line.trim() == "socket_mode_enabled: false" { "  socket_mode_enabled: true" } else { line })
            .collect();
        return Ok(lines.join("\n") + "\n");
    }
    let url = url.ok_or("--url: expected the public https:// URL of firebell serve")?.trim_end_matches('/');
    if !url.starts_with("https://") || url.len() <= "https://".len() {
        return Err(format!("--url {url}: Slack only calls https:// URLs; expected e.g. https://firebell.example.org"));
    }
    Ok(manifest.replace(PLACEHOLDER, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_urls_follow_the_given_host() {
        let manifest = render(Some("https://ops.acme.io/"), false).unwrap();
        for path in ["/slack/commands", "/slack/events", "/slack/interactions"] {
            assert!(manifest.contains(&format!("https://ops.acme.io{path}")), "{path}");
        }
        assert!(!manifest.contains("firebell.example.com"));
        assert!(manifest.contains("should_escape: true"));
    }

    #[test]
    fn socket_mode_has_no_request_urls() {
        let manifest = render(None, true).unwrap();
        assert!(manifest.contains("socket_mode_enabled: true"));
        assert!(!manifest.contains("https://firebell.example.com"));
        assert!(manifest.contains("command: /incident"));
    }

    #[test]
    fn a_plain_http_url_is_refused() {
        assert!(render(Some("http://ops.acme.io"), false).unwrap_err().contains("https://"));
    }

    #[test]
    fn every_scope_the_code_needs_is_requested() {
        let manifest = render(None, true).unwrap();
        for scope in [
            "commands",
            "app_mentions:read",
            "chat:write",
            "chat:write.public",
            "channels:manage",
            "channels:read",
            "channels:history",
            "channels:join",
            "groups:write",
            "groups:read",
            "groups:history",
            "reactions:read",
            "users:read",
            "pins:read",
            "pins:write",
            "files:write",
            "canvases:write",
        ] {
            assert!(manifest.contains(&format!("- {scope}\n")), "{scope}");
        }
        for event in [
            "app_mention",
            "message.channels",
            "message.groups",
            "reaction_added",
            "reaction_removed",
            "member_joined_channel",
            "pin_added",
            "pin_removed",
        ] {
            assert!(manifest.contains(&format!("- {event}\n")), "{event}");
        }
    }
}
