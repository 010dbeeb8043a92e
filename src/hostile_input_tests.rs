//! Hostile input: property tests over every parser that reads what people and other systems
//! send — `/incident` text, slash command forms, Events API and interaction JSON, Socket Mode
//! frames, the actions read from interactions, modal submissions, alert webhooks, request
//! signatures and policy files. Whatever
//! comes in, a parser answers with a value or a clear error (a reason of a few words, or the
//! field or file it is about); it never panics.
//!
//! The strategies mix arbitrary bytes and text with near-valid input built from the real
//! grammar and payload shapes, so the properties reach deep into each parser.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::config::policy::testing::{CONTRACT_EXAMPLE, contract_policy};
use crate::domain::alert::Source;
use crate::domain::command::parse;
use crate::render::lifecycle_modals::QuickAction;
use crate::slack::actions::UserAction;
use crate::slack::events::SlackEvent;
use crate::slack::inbound::{EventEnvelope, Interaction, MalformedPayload, SlashCommand};
use crate::socket_mode::frame::Frame;

/// A refusal says what was wrong: a few words at least, never an empty reason.
fn says_why<T>(result: Result<T, MalformedPayload>) -> Result<(), TestCaseError> {
    if let Err(error) = result {
        prop_assert!(error.0.trim().len() >= 5, "an unclear reason: {:?}", error.0);
    }
    Ok(())
}

/// Arbitrary JSON, nested a few levels, with keys Slack payloads use.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_owned()),
        Just("event".to_owned()),
        Just("team_id".to_owned()),
        Just("event_id".to_owned()),
        Just("channel".to_owned()),
        Just("user".to_owned()),
        Just("text".to_owned()),
        Just("ts".to_owned()),
        Just("item".to_owned()),
        Just("team".to_owned()),
        Just("id".to_owned()),
        Just("actions".to_owned()),
        Just("view".to_owned()),
        Just("alerts".to_owned()),
        Just("labels".to_owned()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("event_callback"),
            Just("message"),
            Just("reaction_added"),
            Just("block_actions"),
            Just("firing")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// `/incident` text made of real grammar words, mentions, options and junk.
fn command_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("declare"),
        Just("update"),
        Just("status"),
        Just("severity"),
        Just("lead"),
        Just("role"),
        Just("title"),
        Just("impact"),
        Just("service"),
        Just("add"),
        Just("remove"),
        Just("note"),
        Just("followup"),
        Just("followups"),
        Just("resolve"),
        Just("retro"),
        Just("close"),
        Just("list"),
        Just("stats"),
        Just("change"),
        Just("help"),
        Just("선언"),
        Just("해결"),
        Just("sev1"),
        Just("SEV9"),
        Just("--private"),
        Just("--"),
        Just("service:payments"),
        Just("service:"),
        Just("service:nope"),
        Just("<@U0ONCALL1|oncall>"),
        Just("<@"),
        Just("<@U0X"),
        Just("<!channel>"),
        Just("<#C1|x>"),
        Just("due:2026-12-01"),
        Just("due:2026-13-45"),
        Just("due:"),
        Just("at:25:99"),
        Just("at:14:30"),
        Just("prevent"),
        Just("detect"),
        Just("handle"),
        Just("investigating"),
        Just("7d"),
        Just("999d"),
        Just("liaison"),
        Just("\u{0}"),
        Just("\u{202e}"),
        Just("  "),
        Just("\n"),
    ];
    prop_oneof![".{0,64}", prop::collection::vec(word, 0..10).prop_map(|words| words.join(" ")),]
}

/// Interaction payloads in the shapes firebell reads: the real kinds, action ids, callback
/// ids and metadata, with arbitrary values where the ids and numbers go.
fn interaction_payload() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        Just("block_actions"),
        Just("view_submission"),
        Just("message_action"),
        Just("view_closed"),
        Just("shortcut"),
    ];
    let id = prop_oneof![
        Just("alert_declare".to_owned()),
        Just("alert_dismiss".to_owned()),
        Just("followup_done".to_owned()),
        Just("reminder_snooze".to_owned()),
        Just("reminder_snooze_for".to_owned()),
        Just("incident_update".to_owned()),
        Just("incident_severity".to_owned()),
        Just("incident_lead".to_owned()),
        Just("incident_resolve".to_owned()),
        Just("declare".to_owned()),
        ".{0,12}",
    ];
    let text = prop_oneof![
        "-?[0-9]{1,20}",
        "-?[0-9]{1,20}:-?[0-9]{1,22}",
        Just(r#"{"alert":7}"#.to_owned()),
        Just(r#"{"source_channel":"C1","source_ts":"1.2"}"#.to_owned()),
        ".{0,16}",
    ];
    let value = prop_oneof![text.clone().prop_map(Value::String), json_value()];
    (kind, id, value.clone(), value.clone(), value, text).prop_map(|(kind, id, value, trigger, channel, metadata)| {
        json!({
            "type": kind, "team": {"id": "T1"}, "user": {"id": "U1"}, "trigger_id": trigger,
            "actions": [{"action_id": id, "value": value, "selected_option": {"value": value}}],
            "view": {"callback_id": id, "private_metadata": metadata, "state": {"values": value}},
            "channel": {"id": channel}, "message": {"ts": value, "text": value},
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn command_text_parses_or_says_why(text in command_text()) {
        let policy = contract_policy();
        if let Err(error) = parse(&text, &policy) {
            // The reply people see says what is accepted, in the policy's language.
            let reply = crate::app::reply::grammar_error(&error, &policy);
            prop_assert!(reply.text.chars().count() > 10, "{:?}", reply.text);
        }
    }

    #[test]
    fn slash_command_forms_parse_or_are_malformed(body in prop::collection::vec(any::<u8>(), 0..256),
                                                  text in command_text()) {
        says_why(SlashCommand::parse(&body))?;
        let form = serde_urlencoded::to_string([("team_id", "T1"), ("channel_id", "C1"), ("user_id", "U1"),
            ("command", "/incident"), ("text", text.as_str())]).unwrap_or_default();
        prop_assert!(SlashCommand::parse(form.as_bytes()).is_ok());
    }

    #[test]
    fn event_bodies_parse_or_are_malformed(body in prop::collection::vec(any::<u8>(), 0..256), value in json_value()) {
        says_why(EventEnvelope::parse(&body))?;
        says_why(EventEnvelope::parse(value.to_string().as_bytes()))?;
        // An event it does not know is an event to ignore, not an error.
        let _ = SlackEvent::parse(&value);
        let envelope = json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": value});
        match EventEnvelope::from_value(envelope) {
            Ok(EventEnvelope::Callback(callback)) => {
                let _ = SlackEvent::parse(&callback.raw["event"]);
            }
            Ok(_) => prop_assert!(false, "an event_callback envelope is a callback"),
            Err(error) => says_why(Err::<(), _>(error))?,
        }
    }

    #[test]
    fn interactions_parse_or_are_malformed(body in prop::collection::vec(any::<u8>(), 0..256), value in json_value()) {
        says_why(Interaction::parse(&body))?;
        let form = serde_urlencoded::to_string([("payload", value.to_string())]).unwrap_or_default();
        says_why(Interaction::parse(form.as_bytes()))?;
        says_why(Interaction::from_value(value.clone()))?;
        if let Ok(interaction) = Interaction::from_value(value.clone()) {
            let _ = UserAction::parse(&interaction);
        }
        says_why(SlashCommand::from_value(value))?;
    }

    #[test]
    fn actions_read_from_interactions_or_are_other(payload in interaction_payload()) {
        let interaction = Interaction::from_value(payload);
        prop_assert!(interaction.is_ok(), "a payload with a team and a user is an interaction");
        if let Ok(interaction) = interaction {
            // An action is read whole or refused with a reason; it never panics.
            if let UserAction::Other { reason } = UserAction::parse(&interaction) {
                prop_assert!(reason.trim().len() >= 5, "an unclear reason: {reason:?}");
            }
        }
    }

    #[test]
    fn socket_mode_frames_parse_or_are_malformed(text in ".{0,128}", value in json_value()) {
        says_why(Frame::parse(&text))?;
        says_why(Frame::parse(&value.to_string()))?;
        let envelope = json!({"envelope_id": "e1", "type": "events_api", "payload": value});
        prop_assert!(Frame::parse(&envelope.to_string()).is_ok());
    }

    #[test]
    fn alert_webhooks_parse_or_are_unreadable(body in prop::collection::vec(any::<u8>(), 0..256), value in json_value(),
                                              alerts in prop::collection::vec(json_value(), 0..4)) {
        let shaped = json!({"version": "4", "status": "firing", "alerts": alerts, "commonLabels": value});
        for source in [Source::Alertmanager, Source::Grafana, Source::Datadog] {
            for input in [body.clone(), value.to_string().into_bytes(), shaped.to_string().into_bytes()] {
                if let Err(error) = crate::integrations::parse(source, &input) {
                    prop_assert!(!error.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn modal_submissions_read_or_name_the_field(value in json_value(), title in ".{0,40}", severity in ".{0,8}") {
        let policy = contract_policy();
        // Arbitrary state, and the declare modal's own shape with arbitrary values in it.
        let shaped = json!({
            "title": {"title": {"type": "plain_text_input", "value": title}},
            "severity": {"severity": {"type": "static_select", "selected_option": {"value": severity}}},
            "services": {"services": {"type": "multi_static_select", "selected_options": [{"value": value}]}},
        });
        for values in [&value, &shaped] {
            if let Err(problems) = crate::render::declare_modal::read(values, &policy) {
                prop_assert!(!problems.is_empty());
                prop_assert!(problems.iter().all(|(block, why)| !block.is_empty() && why.trim().len() >= 5), "{problems:?}");
            }
            for action in [QuickAction::PostUpdate, QuickAction::ChangeSeverity, QuickAction::AssignLead, QuickAction::Resolve] {
                if let Err((block, why)) = crate::render::lifecycle_modals::read(action, values, &policy) {
                    prop_assert!(!block.is_empty() && why.trim().len() >= 5, "{block}: {why:?}");
                }
            }
        }
    }

    #[test]
    fn signatures_verify_or_are_refused(timestamp in proptest::option::of(".{0,24}"), signature in proptest::option::of(".{0,80}"),
                                        body in prop::collection::vec(any::<u8>(), 0..128)) {
        let verified = crate::slack::signature::verify(b"secret", timestamp.as_deref(), signature.as_deref(), &body, chrono::Utc::now());
        prop_assert!(verified.is_err(), "a random signature never verifies");
    }

    #[test]
    fn policy_files_load_or_name_the_problem(text in ".{0,200}", cut in 0usize..2000, junk in ".{0,40}") {
        if let Err(error) = crate::config::policy::parse_str(&text, "random.toml") {
            prop_assert!(error.to_string().contains("random.toml"));
        }
        // The contract's example, cut somewhere and with junk inserted.
        let mut mangled: String = CONTRACT_EXAMPLE.chars().take(cut).collect();
        mangled.push_str(&junk);
        mangled.extend(CONTRACT_EXAMPLE.chars().skip(cut));
        if let Err(error) = crate::config::policy::parse_str(&mangled, "mangled.toml") {
            prop_assert!(error.to_string().contains("mangled.toml"));
        }
    }
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(EventEnvelope::parse(deep.as_bytes()).is_err());
    assert!(Frame::parse(&deep).is_err());
    assert!(crate::integrations::parse(Source::Alertmanager, deep.as_bytes()).is_err());
    let form = serde_urlencoded::to_string([("payload", deep.as_str())]).unwrap();
    assert!(Interaction::parse(form.as_bytes()).is_err());
}

#[test]
fn invalid_utf8_is_malformed_everywhere() {
    let bytes: &[u8] = b"\xff\xfe\xfd{\"type\":\"event_callback\"}";
    assert!(SlashCommand::parse(bytes).is_err());
    assert!(EventEnvelope::parse(bytes).is_err());
    assert!(Interaction::parse(bytes).is_err());
    assert!(crate::integrations::parse(Source::Datadog, bytes).is_err());
}
