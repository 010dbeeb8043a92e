//! One test per action firebell offers, then the garbage each must turn away.

use serde_json::{Value, json};

use super::*;
use crate::domain::incident::IncidentId;

fn interaction(kind: &str, rest: Value) -> Interaction {
    let mut payload = json!({"type": kind, "team": {"id": "T1"}, "user": {"id": "U1"}});
    if let (Some(payload), Value::Object(rest)) = (payload.as_object_mut(), rest) {
        payload.extend(rest);
    }
    Interaction::from_value(payload).expect("a well-formed interaction")
}

fn clicked(action: Value) -> UserAction {
    UserAction::parse(&interaction("block_actions", json!({"trigger_id": "t-1", "actions": [action]})))
}

fn button(action_id: &str, value: &str) -> UserAction {
    clicked(json!({"action_id": action_id, "type": "button", "value": value}))
}

fn submitted(callback_id: &str, metadata: Value) -> UserAction {
    let view = json!({"callback_id": callback_id, "private_metadata": metadata, "state": {"values": values()}});
    UserAction::parse(&interaction("view_submission", json!({"view": view})))
}

fn values() -> Value {
    json!({"a": {"a": {"value": "x"}}})
}

fn ignored(action: UserAction) -> &'static str {
    match action {
        UserAction::Other { reason } => reason,
        other => panic!("expected Other, got {other:?}"),
    }
}

#[test]
fn a_declare_form_opened_by_the_command_is_a_plain_declaration() {
    let action = submitted("declare", json!(r#"{"channel":"C0GENERAL"}"#));
    assert_eq!(action, UserAction::DeclareSubmitted { values: values(), origin: DeclareOrigin::Command });
}

#[test]
fn a_declare_form_opened_from_an_alert_declares_that_alert() {
    let action = submitted("declare", json!(r#"{"alert":7}"#));
    assert_eq!(action, UserAction::DeclareSubmitted { values: values(), origin: DeclareOrigin::Alert(7) });
}

#[test]
fn a_declare_form_opened_from_a_message_answers_in_its_thread() {
    let action = submitted("declare", json!(r#"{"source_channel":"C0GENERAL","source_ts":"1700000000.000100"}"#));
    let origin =
        DeclareOrigin::Message { channel: ChannelId::parse("C0GENERAL").unwrap(), ts: "1700000000.000100".into() };
    assert_eq!(action, UserAction::DeclareSubmitted { values: values(), origin });
}

#[test]
fn a_declare_form_with_unreadable_metadata_is_a_plain_declaration() {
    for metadata in [
        json!("not json"),
        json!(null),
        json!(r#"{"alert":"7"}"#),
        json!(r#"{"source_channel":"general","source_ts":"1.2"}"#),
    ] {
        let action = submitted("declare", metadata.clone());
        assert_eq!(
            action,
            UserAction::DeclareSubmitted { values: values(), origin: DeclareOrigin::Command },
            "{metadata}"
        );
    }
}

#[test]
fn a_quick_action_modal_submission_names_its_action_and_incident() {
    for action in [QuickAction::PostUpdate, QuickAction::ChangeSeverity, QuickAction::AssignLead, QuickAction::Resolve]
    {
        assert_eq!(
            submitted(action.id(), json!("42")),
            UserAction::QuickActionSubmitted { action, incident: Some(IncidentId::from_stored(42)), values: values() }
        );
    }
}

#[test]
fn a_quick_action_modal_without_an_incident_id_is_read_with_none() {
    for metadata in [json!("forty-two"), json!(""), json!(null), json!(42)] {
        assert_eq!(
            submitted("incident_resolve", metadata.clone()),
            UserAction::QuickActionSubmitted { action: QuickAction::Resolve, incident: None, values: values() },
            "{metadata}"
        );
    }
}

#[test]
fn a_submission_of_another_modal_is_ignored() {
    assert_eq!(ignored(submitted("someone_elses_modal", json!("1"))), "a submission of a modal firebell did not open");
    let no_view = UserAction::parse(&interaction("view_submission", json!({})));
    assert!(matches!(no_view, UserAction::Other { .. }));
}

#[test]
fn an_alert_declare_click_names_the_alert_and_keeps_the_trigger() {
    assert_eq!(button("alert_declare", "5"), UserAction::AlertDeclareClicked { alert: 5, trigger_id: "t-1".into() });
}

#[test]
fn an_alert_dismiss_click_names_the_alert() {
    assert_eq!(button("alert_dismiss", "5"), UserAction::AlertDismissClicked { alert: 5 });
}

#[test]
fn a_mark_done_click_names_the_followup() {
    assert_eq!(button("followup_done", "9"), UserAction::FollowupDoneClicked { followup: 9 });
}

#[test]
fn an_acknowledge_click_names_the_page() {
    assert_eq!(button("page_ack", "12"), UserAction::PageAcknowledgeClicked { page: 12 });
    assert!(matches!(button("page_ack", "twelve"), UserAction::Other { .. }));
}

#[test]
fn a_snooze_click_names_the_incident() {
    assert_eq!(button("reminder_snooze", "3"), UserAction::SnoozeClicked { incident: IncidentId::from_stored(3) });
}

#[test]
fn a_snooze_menu_choice_names_the_incident_and_the_delay() {
    let chosen = clicked(
        json!({"action_id": "reminder_snooze_for", "type": "overflow", "selected_option": {"value": "3:1800"}}),
    );
    assert_eq!(
        chosen,
        UserAction::SnoozeForChosen { incident: IncidentId::from_stored(3), delay: Duration::from_secs(1800) }
    );
}

#[test]
fn a_quick_action_click_names_the_action_the_incident_and_the_trigger() {
    for action in [QuickAction::PostUpdate, QuickAction::ChangeSeverity, QuickAction::AssignLead, QuickAction::Resolve]
    {
        assert_eq!(
            button(action.id(), "42"),
            UserAction::QuickActionClicked { action, incident: IncidentId::from_stored(42), trigger_id: "t-1".into() }
        );
    }
}

#[test]
fn the_message_shortcut_names_the_message_and_keeps_the_trigger() {
    let shortcut = interaction(
        "message_action",
        json!({"callback_id": "report_incident", "trigger_id": "t-2", "channel": {"id": "C0GENERAL"},
               "message": {"ts": "1700000000.000100", "text": "Checkout is down"}}),
    );
    assert_eq!(
        UserAction::parse(&shortcut),
        UserAction::MessageShortcut {
            channel: ChannelId::parse("C0GENERAL").unwrap(),
            ts: "1700000000.000100".into(),
            text: "Checkout is down".into(),
            trigger_id: "t-2".into(),
        }
    );
}

#[test]
fn a_message_shortcut_on_a_message_without_text_has_empty_text() {
    let shortcut = interaction(
        "message_action",
        json!({"trigger_id": "t-2", "channel": {"id": "C0GENERAL"}, "message": {"ts": "1.2"}}),
    );
    assert!(matches!(UserAction::parse(&shortcut), UserAction::MessageShortcut { text, .. } if text.is_empty()));
}

#[test]
fn a_message_shortcut_without_its_channel_message_or_trigger_is_ignored() {
    let cases = [
        json!({"trigger_id": "t", "message": {"ts": "1.2"}}),
        json!({"trigger_id": "t", "channel": {"id": "general"}, "message": {"ts": "1.2"}}),
        json!({"trigger_id": "t", "channel": {"id": "C1"}, "message": {"ts": 1.2}}),
        json!({"channel": {"id": "C1"}, "message": {"ts": "1.2"}}),
        json!({"trigger_id": "", "channel": {"id": "C1"}, "message": {"ts": "1.2"}}),
    ];
    for case in cases {
        assert!(
            matches!(UserAction::parse(&interaction("message_action", case.clone())), UserAction::Other { .. }),
            "{case}"
        );
    }
}

#[test]
fn an_unknown_action_id_is_ignored() {
    assert_eq!(ignored(button("post_update", "1")), "a click on an action firebell does not offer");
    assert_eq!(
        ignored(clicked(json!({"type": "button", "value": "1"}))),
        "a click on an action firebell does not offer"
    );
    assert_eq!(ignored(clicked(json!({"action_id": 7, "value": "1"}))), "a click on an action firebell does not offer");
}

#[test]
fn a_click_without_a_numeric_value_is_ignored() {
    for action_id in ["alert_declare", "alert_dismiss", "followup_done", "reminder_snooze", "incident_update"] {
        for value in
            [json!("abc"), json!(""), json!("1.5"), json!(" 1"), json!(1), json!(null), json!("99999999999999999999")]
        {
            let action = clicked(json!({"action_id": action_id, "value": value}));
            assert_eq!(ignored(action), "a click without a numeric value", "{action_id} {value}");
        }
    }
}

#[test]
fn a_snooze_choice_that_is_not_an_incident_and_seconds_is_ignored() {
    for value in
        [json!("3"), json!("3:"), json!(":60"), json!("x:60"), json!("3:-60"), json!("3:1.5"), json!(3), json!(null)]
    {
        let action = clicked(json!({"action_id": "reminder_snooze_for", "selected_option": {"value": value}}));
        assert_eq!(ignored(action), "a snooze choice that is not <incident>:<seconds>", "{value}");
    }
}

#[test]
fn a_click_that_opens_a_form_without_a_trigger_is_ignored() {
    for action_id in ["alert_declare", "incident_update"] {
        for trigger in [json!(null), json!(""), json!(12)] {
            let payload = json!({"trigger_id": trigger, "actions": [{"action_id": action_id, "value": "1"}]});
            let action = UserAction::parse(&interaction("block_actions", payload));
            assert_eq!(ignored(action), "a click that opens a form without a trigger_id", "{action_id} {trigger}");
        }
    }
}

#[test]
fn a_click_that_opens_no_form_needs_no_trigger() {
    let payload = json!({"actions": [{"action_id": "alert_dismiss", "value": "1"}]});
    assert_eq!(UserAction::parse(&interaction("block_actions", payload)), UserAction::AlertDismissClicked { alert: 1 });
}

#[test]
fn only_the_first_of_several_actions_is_read() {
    let payload = json!({"trigger_id": "t", "actions": [{"action_id": "followup_done", "value": "1"}, {"action_id": "alert_dismiss", "value": "2"}]});
    assert_eq!(
        UserAction::parse(&interaction("block_actions", payload)),
        UserAction::FollowupDoneClicked { followup: 1 }
    );
}

#[test]
fn block_actions_without_an_action_are_ignored() {
    for actions in [json!([]), json!(null), json!({"action_id": "alert_dismiss", "value": "1"}), json!("alert_dismiss")]
    {
        let action = UserAction::parse(&interaction("block_actions", json!({"actions": actions})));
        assert_eq!(ignored(action), "block_actions without an action");
    }
}

#[test]
fn other_interaction_kinds_are_ignored() {
    for kind in ["view_closed", "shortcut", "block_suggestion", ""] {
        let action =
            UserAction::parse(&interaction(kind, json!({"actions": [{"action_id": "alert_dismiss", "value": "1"}]})));
        assert_eq!(ignored(action), "an interaction kind firebell does not offer", "{kind}");
    }
}
