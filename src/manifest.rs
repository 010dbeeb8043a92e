//! The Slack app manifest (`manifest.yml`, compiled in), pointed at an install's URL.

/// The placeholder host in `manifest.yml`.
const PLACEHOLDER: &str = "https://firebell.example.com";

/// What a Socket Mode manifest says at the top instead of the HTTP instructions.
const SOCKET_MODE_HEADER: &str = "\
# Slack app manifest for firebell in Socket Mode: no request URLs, firebell connects out.
# Create the app at api.slack.com/apps → \"From an app manifest\", paste this file, install
# the app and copy the Bot User OAuth Token (SLACK_BOT_TOKEN). Then, under Basic Information
# → App-Level Tokens, generate a token with the connections:write scope (SLACK_APP_TOKEN).
";

/// The manifest with its request URLs at `url`, or for Socket Mode (no URLs).
pub fn render(url: Option<&str>, socket_mode: bool) -> Result<String, String> {
    let manifest = include_str!("../manifest.yml");
    if socket_mode {
        let mut out = SOCKET_MODE_HEADER.to_owned();
        for line in manifest.lines().skip_while(|line| line.starts_with('#')).filter(|line| !line.contains(PLACEHOLDER))
        {
            out.push_str(if line.trim() == "socket_mode_enabled: false" {
                "  socket_mode_enabled: true"
            } else {
                line
            });
            out.push('\n');
        }
        return Ok(out);
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

    fn parsed(manifest: &str) -> serde_json::Value {
        serde_yaml_ng::from_str(manifest).unwrap()
    }

    #[test]
    fn both_manifests_parse_as_slack_expects_them() {
        let http = parsed(&render(Some("https://ops.acme.io"), false).unwrap());
        assert_eq!(http["settings"]["socket_mode_enabled"], false);
        assert_eq!(http["settings"]["event_subscriptions"]["request_url"], "https://ops.acme.io/slack/events");
        assert_eq!(http["settings"]["interactivity"]["request_url"], "https://ops.acme.io/slack/interactions");
        assert_eq!(http["features"]["slash_commands"][0]["url"], "https://ops.acme.io/slack/commands");

        let socket = parsed(&render(None, true).unwrap());
        assert_eq!(socket["settings"]["socket_mode_enabled"], true);
        assert!(!socket.to_string().contains("request_url") && !socket.to_string().contains("https://"));
        assert_eq!(socket["features"]["slash_commands"][0]["command"], "/incident");
        assert_eq!(socket["settings"]["interactivity"]["is_enabled"], true);
        assert_eq!(socket["oauth_config"]["scopes"], http["oauth_config"]["scopes"]);
    }

    #[test]
    fn socket_mode_has_no_request_urls_and_says_how_to_get_the_app_token() {
        let manifest = render(None, true).unwrap();
        assert!(manifest.contains("socket_mode_enabled: true"));
        assert!(!manifest.contains("https://firebell.example.com"));
        assert!(manifest.contains("connections:write") && !manifest.contains("Signing Secret"));
    }

    #[test]
    fn a_plain_http_url_is_refused() {
        assert!(render(Some("http://ops.acme.io"), false).unwrap_err().contains("https://"));
    }

    /// Every Web API method named in `src/` outside this file (each call passes its name).
    fn methods_in_source() -> std::collections::BTreeSet<String> {
        const FAMILIES: [&str; 11] = [
            "auth",
            "apps",
            "chat",
            "conversations",
            "pins",
            "bookmarks",
            "reactions",
            "users",
            "views",
            "files",
            "canvases",
        ];
        let mut found = std::collections::BTreeSet::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("manifest.rs") {
                    // (This file names every method in its table; the scan is for the others.)
                    let source = std::fs::read_to_string(&path).unwrap();
                    for quoted in source.split('"').skip(1).step_by(2) {
                        let is_method = quoted.split_once('.').is_some_and(|(family, rest)| {
                            FAMILIES.contains(&family)
                                && !rest.is_empty()
                                && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
                        });
                        if is_method {
                            found.insert(quoted.to_owned());
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_web_api_method_in_the_code_has_its_scopes_in_the_manifest() {
        let manifest = parsed(&render(None, true).unwrap());
        let scopes: Vec<&str> =
            manifest["oauth_config"]["scopes"]["bot"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let methods = methods_in_source();
        assert!(methods.len() > 20, "the scan finds the methods: {methods:?}");
        for method in &methods {
            let needed = crate::standin::scopes::needed(method)
                .unwrap_or_else(|| panic!("{method}: add its scopes to standin::scopes::needed"));
            for scope in needed.public.iter().chain(needed.private) {
                assert!(scopes.contains(scope), "{method} needs {scope}, which manifest.yml does not request");
            }
        }
    }

    #[test]
    fn every_scope_the_code_needs_is_requested() {
        let manifest = render(None, true).unwrap();
        let manifest = parsed(&manifest);
        let listed = |list: &serde_json::Value| -> Vec<String> {
            list.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
        };
        let (scopes, events) = (
            listed(&manifest["oauth_config"]["scopes"]["bot"]),
            listed(&manifest["settings"]["event_subscriptions"]["bot_events"]),
        );
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
            "reactions:write",
            "bookmarks:write",
            "users:read",
            "pins:read",
            "pins:write",
            "files:write",
            "canvases:write",
        ] {
            assert!(scopes.iter().any(|s| s == scope), "{scope}");
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
            assert!(events.iter().any(|e| e == event), "{event}");
        }
    }
}
