//! Signing test requests exactly as Slack does: `v0=` + hex HMAC-SHA256 of `v0:ts:body`.

use firebell::slack::signature;

/// The signing secret every test app is started with.
pub const SIGNING_SECRET: &str = "test-signing-secret";

/// The workspace the fake Slack reports and the test app accepts.
pub const TEAM_ID: &str = "T0FIREBELL";

/// Seconds since the epoch, now.
pub fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The `X-Slack-Signature` for `body` sent at `timestamp`.
pub fn signature_for(timestamp: i64, body: &[u8]) -> String {
    signature::sign(SIGNING_SECRET.as_bytes(), &timestamp.to_string(), body)
}

/// A slash command form body as Slack sends it.
pub fn command_form(text: &str, channel_id: &str, user_id: &str) -> String {
    command_form_from(TEAM_ID, text, channel_id, user_id)
}

/// A slash command form body from a given workspace.
pub fn command_form_from(team_id: &str, text: &str, channel_id: &str, user_id: &str) -> String {
    command_form_full(team_id, text, channel_id, user_id, "https://hooks.slack.com/commands/T0FIREBELL/1/abc")
}

/// A slash command form body with every field chosen.
pub fn command_form_full(team_id: &str, text: &str, channel_id: &str, user_id: &str, response_url: &str) -> String {
    serde_urlencoded::to_string(command_fields(team_id, text, channel_id, user_id, response_url)).expect("form encodes")
}

/// The payload of a Socket Mode `slash_commands` envelope: the form's fields as JSON strings.
pub fn command_payload(text: &str, channel_id: &str, user_id: &str, response_url: &str) -> serde_json::Value {
    let fields = command_fields(TEAM_ID, text, channel_id, user_id, response_url);
    serde_json::Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect())
}

fn command_fields<'a>(
    team_id: &'a str,
    text: &'a str,
    channel_id: &'a str,
    user_id: &'a str,
    response_url: &'a str,
) -> [(&'static str, &'a str); 13] {
    [
        ("token", "legacy-verification-token"),
        ("team_id", team_id),
        ("team_domain", "acme"),
        ("channel_id", channel_id),
        ("channel_name", "general"),
        ("user_id", user_id),
        ("user_name", "alice"),
        ("command", "/incident"),
        ("text", text),
        ("api_app_id", "A0FIREBELL"),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
    ]
}

/// An `event_callback` envelope around `event`.
pub fn event_envelope(event_id: &str, event: serde_json::Value) -> String {
    serde_json::json!({
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0FIREBELL",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0FIREBELL", "is_bot": true}],
        "is_ext_shared_channel": false,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ"
    })
    .to_string()
}

/// An interaction form body (`payload=<JSON>`).
pub fn interaction_form(payload: &serde_json::Value) -> String {
    serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form encodes")
}
