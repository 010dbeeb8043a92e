//! The declare modal: built from the policy (prefilled from any quick-declare options) and
//! read back from a `view_submission`. Both live here because they share the block ids.

use serde_json::{Value, json};

use super::incident::TITLE_MAX;
use crate::catalog::{Key, Locale, text};
use crate::domain::command::DeclareOptions;
use crate::domain::declaration::DeclareForm;
use crate::domain::policy::Policy;
use crate::domain::text::truncate_chars;

/// The modal's `callback_id`.
pub const CALLBACK_ID: &str = "declare";

const TITLE: &str = "title";
const SEVERITY: &str = "severity";
const SERVICES: &str = "services";
const IMPACT: &str = "impact";
const DESCRIPTION: &str = "description";
const PRIVATE: &str = "private";
const DRILL: &str = "drill";

fn plain(text: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": truncate_chars(text, max), "emoji": true})
}

fn option(label: &str, value: &str) -> Value {
    json!({"text": plain(label, 75), "value": truncate_chars(value, 150)})
}

/// An optional input block with one checkbox, ticked when `checked`.
fn checkbox_block(id: &str, label: &str, option_label: &str, checked: bool) -> Value {
    let choice = option(option_label, id);
    let mut checkboxes = json!({"type": "checkboxes", "action_id": id, "options": [choice.clone()]});
    if checked {
        checkboxes["initial_options"] = json!([choice]);
    }
    json!({"type": "input", "block_id": id, "optional": true, "label": plain(label, 2000), "element": checkboxes})
}

/// The modal view for `views.open`; `metadata` travels back in `private_metadata`.
pub fn build(policy: &Policy, prefill: &DeclareOptions, metadata: &str) -> Value {
    let locale = policy.locale;
    let t = |key| text(locale, key).as_str();
    let severity_options: Vec<Value> = policy
        .severities
        .iter()
        .take(100)
        .map(|s| option(&format!("{} — {}", s.name, s.label), s.name.as_str()))
        .collect();
    let chosen = prefill.severity.as_ref().unwrap_or(&policy.default_severity);
    let initial_severity =
        policy.severity(chosen.as_str()).map(|s| option(&format!("{} — {}", s.name, s.label), s.name.as_str()));
    let mut severity_select = json!({"type": "static_select", "action_id": SEVERITY, "options": severity_options});
    if let Some(initial) = initial_severity {
        severity_select["initial_option"] = initial;
    }
    let mut title_input = json!({"type": "plain_text_input", "action_id": TITLE, "max_length": TITLE_MAX, "placeholder": plain(t(Key::ModalTitlePlaceholder), 150)});
    if let Some(title) = &prefill.title {
        title_input["initial_value"] = Value::String(truncate_chars(title, TITLE_MAX));
    }
    let mut blocks = vec![
        json!({"type": "input", "block_id": TITLE, "label": plain(t(Key::ModalFieldTitle), 2000), "element": title_input}),
        json!({"type": "input", "block_id": SEVERITY, "label": plain(t(Key::ModalFieldSeverity), 2000), "element": severity_select}),
    ];
    if !policy.services.is_empty() {
        let service_options: Vec<Value> =
            policy.services.iter().take(100).map(|s| option(s.name.as_str(), s.name.as_str())).collect();
        let mut select = json!({"type": "multi_static_select", "action_id": SERVICES, "options": service_options});
        let initial: Vec<Value> = prefill.services.iter().map(|s| option(s.as_str(), s.as_str())).collect();
        if !initial.is_empty() {
            select["initial_options"] = Value::Array(initial);
        }
        blocks.push(json!({"type": "input", "block_id": SERVICES, "optional": true, "label": plain(t(Key::ModalFieldServices), 2000), "element": select}));
    }
    blocks.push(json!({"type": "input", "block_id": IMPACT, "optional": true, "label": plain(t(Key::ModalFieldImpact), 2000),
        "element": {"type": "plain_text_input", "action_id": IMPACT, "max_length": 1000, "placeholder": plain(t(Key::ModalImpactPlaceholder), 150)}}));
    blocks.push(json!({"type": "input", "block_id": DESCRIPTION, "optional": true, "label": plain(t(Key::ModalFieldDescription), 2000),
        "element": {"type": "plain_text_input", "action_id": DESCRIPTION, "multiline": true, "max_length": 2500}}));
    blocks.push(checkbox_block(PRIVATE, t(Key::ModalFieldPrivate), t(Key::ModalPrivateOption), prefill.private));
    blocks.push(checkbox_block(DRILL, t(Key::ModalFieldDrill), t(Key::ModalDrillOption), prefill.drill));
    json!({
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(t(Key::ModalTitle), 24),
        "submit": plain(t(Key::ModalSubmit), 24),
        "close": plain(t(Key::ModalCancel), 24),
        "private_metadata": truncate_chars(metadata, 3000),
        "blocks": blocks,
    })
}

/// Reads `view.state.values`; on bad input, the errors by block id (Slack shows each under
/// its field).
pub fn read(values: &Value, policy: &Policy) -> Result<DeclareForm, Vec<(&'static str, String)>> {
    let locale: Locale = policy.locale;
    let field = |block: &str| &values[block][block];
    let text_of =
        |block: &str| field(block)["value"].as_str().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let mut errors = Vec::new();
    let title = text_of(TITLE).unwrap_or_default();
    if title.is_empty() {
        errors.push((TITLE, text(locale, Key::ModalErrorTitleEmpty).as_str().to_owned()));
    } else if title.chars().count() > TITLE_MAX {
        errors.push((TITLE, text(locale, Key::ModalErrorTitleLong).fill(&[("max", &TITLE_MAX.to_string())])));
    }
    let chosen = field(SEVERITY)["selected_option"]["value"].as_str().unwrap_or_default();
    let severity = policy.severity(chosen).map(|s| s.name.clone());
    if severity.is_none() {
        errors.push((SEVERITY, text(locale, Key::ModalErrorSeverity).as_str().to_owned()));
    }
    let mut services = Vec::new();
    for picked in field(SERVICES)["selected_options"].as_array().into_iter().flatten() {
        match picked["value"].as_str().and_then(|name| policy.service(name)) {
            Some(service) if !services.contains(&service.name) => services.push(service.name.clone()),
            Some(_) => {}
            None => {
                errors.push((SERVICES, text(locale, Key::ModalErrorService).as_str().to_owned()));
                break;
            }
        }
    }
    let ticked = |block: &str| field(block)["selected_options"].as_array().is_some_and(|picked| !picked.is_empty());
    let (private, drill) = (ticked(PRIVATE), ticked(DRILL));
    match severity {
        Some(severity) if errors.is_empty() => Ok(DeclareForm {
            title,
            severity,
            services,
            impact: text_of(IMPACT),
            description: text_of(DESCRIPTION),
            private,
            drill,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::incident::ServiceName;

    fn values(title: &str, severity: &str, services: &[&str], private: bool) -> Value {
        let picked: Vec<Value> = services.iter().map(|s| json!({"value": s})).collect();
        let private: Vec<Value> = if private { vec![json!({"value": "private"})] } else { vec![] };
        json!({
            "drill": {"drill": {"type": "checkboxes", "selected_options": []}},
            "title": {"title": {"type": "plain_text_input", "value": title}},
            "severity": {"severity": {"type": "static_select", "selected_option": {"value": severity}}},
            "services": {"services": {"type": "multi_static_select", "selected_options": picked}},
            "impact": {"impact": {"type": "plain_text_input", "value": "Cards fail"}},
            "description": {"description": {"type": "plain_text_input", "value": null}},
            "private": {"private": {"type": "checkboxes", "selected_options": private}},
        })
    }

    #[test]
    fn the_modal_is_prefilled_from_quick_declare_options() {
        let policy = contract_policy();
        let prefill = DeclareOptions {
            private: true,
            drill: false,
            severity: policy.severity("sev1").map(|s| s.name.clone()),
            services: vec![ServiceName::from_stored("payments".into())],
            title: None,
        };
        let view = build(&policy, &prefill, "{}");
        let blocks = view["blocks"].as_array().unwrap();
        assert_eq!(view["callback_id"], "declare");
        assert_eq!(blocks[1]["element"]["initial_option"]["value"], "SEV1");
        assert_eq!(blocks[2]["element"]["initial_options"][0]["value"], "payments");
        let private = blocks.iter().find(|b| b["block_id"] == "private").unwrap();
        assert_eq!(private["element"]["initial_options"][0]["value"], "private");
        let drill = blocks.iter().find(|b| b["block_id"] == "drill").unwrap();
        assert!(drill["element"].get("initial_options").is_none(), "not a drill unless asked");
    }

    #[test]
    fn the_modal_offers_a_drill_checkbox_ticked_by_declare_drill() {
        let prefill = DeclareOptions { drill: true, ..DeclareOptions::default() };
        let view = build(&contract_policy(), &prefill, "{}");
        let drill = view["blocks"].as_array().unwrap().iter().find(|b| b["block_id"] == "drill").unwrap().clone();
        assert_eq!(drill["optional"], true);
        assert_eq!(drill["element"]["type"], "checkboxes");
        assert_eq!(drill["element"]["initial_options"][0]["value"], "drill");
        assert!(drill["element"]["options"][0]["text"]["text"].as_str().unwrap().contains("drill"));
    }

    #[test]
    fn a_ticked_drill_checkbox_reads_back_as_a_drill() {
        let mut submitted = values("Failover practice", "SEV1", &["payments"], false);
        submitted["drill"]["drill"]["selected_options"] = json!([{"value": "drill"}]);
        let form = read(&submitted, &contract_policy()).unwrap();
        assert!(form.drill && !form.private);
        let form = read(&values("Real outage", "SEV1", &[], false), &contract_policy()).unwrap();
        assert!(!form.drill);
    }

    #[test]
    fn a_form_without_the_drill_block_is_not_a_drill() {
        let mut submitted = values("Opened before the checkbox existed", "SEV2", &[], false);
        submitted.as_object_mut().unwrap().remove("drill");
        assert!(!read(&submitted, &contract_policy()).unwrap().drill);
    }

    #[test]
    fn a_complete_submission_reads_back() {
        let form = read(&values(" Checkout down ", "SEV2", &["checkout"], true), &contract_policy()).unwrap();
        assert_eq!(form.title, "Checkout down");
        assert_eq!(form.severity.as_str(), "SEV2");
        assert_eq!(form.services[0].as_str(), "checkout");
        assert_eq!(form.impact.as_deref(), Some("Cards fail"));
        assert_eq!(form.description, None);
        assert!(form.private);
    }

    #[test]
    fn an_empty_title_is_an_error_on_the_title_field() {
        let errors = read(&values("  ", "SEV2", &[], false), &contract_policy()).unwrap_err();
        assert_eq!(errors, vec![("title", "Give the incident a title.".to_owned())]);
    }

    #[test]
    fn an_unknown_severity_or_service_is_an_error_on_its_field() {
        let errors = read(&values("x", "SEV9", &["billing"], false), &contract_policy()).unwrap_err();
        let blocks: Vec<&str> = errors.iter().map(|(b, _)| *b).collect();
        assert_eq!(blocks, ["severity", "services"]);
    }
}
