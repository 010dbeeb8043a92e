//! Policy validation: the contract's example loads, and each kind of mistake is reported
//! with the file, the line and what is expected.

use super::testing::CONTRACT_EXAMPLE;
use super::*;

/// Parses `source` and returns the error text (panics when it unexpectedly loads).
fn error_of(source: &str) -> String {
    match parse_str(source, "firebell.toml") {
        Ok(_) => panic!("should be refused:\n{source}"),
        Err(error) => error.to_string(),
    }
}

/// The contract's example with `from` replaced by `to` (which must occur).
fn example_with(from: &str, to: &str) -> String {
    assert!(CONTRACT_EXAMPLE.contains(from), "example lacks {from:?}");
    CONTRACT_EXAMPLE.replacen(from, to, 1)
}

fn line_of(source: &str, needle: &str) -> usize {
    source.lines().position(|l| l.contains(needle)).map(|i| i + 1).expect("needle present")
}

#[test]
fn the_contracts_own_example_loads() {
    let (policy, warnings) = parse_str(CONTRACT_EXAMPLE, "contract.toml").unwrap();
    assert_eq!(policy.timezone, chrono_tz::Asia::Seoul);
    assert_eq!(policy.default_severity.as_str(), "SEV3");
    assert_eq!(policy.severity_names(), ["SEV1", "SEV2", "SEV3", "SEV4"]);
    assert_eq!(policy.severity("sev1").unwrap().mention, Mention::Here);
    assert_eq!(policy.severity("SEV2").unwrap().share, Share::Broad);
    assert_eq!(policy.severity("SEV1").unwrap().update_every, std::time::Duration::from_secs(900));
    assert_eq!(policy.service("checkout").unwrap().depends_on[0].as_str(), "payments");
    assert_eq!(policy.role_names(), ["lead", "comms", "scribe", "liaison"]);
    assert_eq!(policy.alert_rules.len(), 1);
    assert!(policy.reminders.digest.is_some());
    assert_eq!(policy.channels.announcements.as_ref().unwrap().as_str(), "C0INCIDENTS");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn the_builtin_policy_matches_an_empty_file() {
    let (from_empty, _) = parse_str("", "empty.toml").unwrap();
    assert_eq!(format!("{:?}", builtin()), format!("{from_empty:?}"));
    assert_eq!(builtin().severity_names(), ["SEV1", "SEV2", "SEV3", "SEV4"]);
    assert_eq!(builtin().default_severity.as_str(), "SEV3");
}

#[test]
fn an_unknown_default_severity_names_the_line_and_the_choices() {
    let source = example_with("default_severity = \"SEV3\"", "default_severity = \"SEV9\"");
    let error = error_of(&source);
    let line = line_of(&source, "default_severity");
    assert!(
        error.starts_with(&format!("firebell.toml:{line}: default_severity: unknown severity \"SEV9\"")),
        "{error}"
    );
    assert!(error.contains("expected one of SEV1, SEV2, SEV3, SEV4"), "{error}");
}

#[test]
fn an_unknown_severity_in_retro_required_for_is_refused() {
    let source = example_with("required_for = [\"SEV1\", \"SEV2\"]", "required_for = [\"SEV1\", \"P0\"]");
    let error = error_of(&source);
    assert!(
        error.contains(&format!(":{}: retro.required_for: unknown severity \"P0\"", line_of(&source, "required_for"))),
        "{error}"
    );
}

#[test]
fn an_unknown_service_in_depends_on_is_refused() {
    let source = example_with("depends_on = [\"payments\"]", "depends_on = [\"billing\"]");
    let error = error_of(&source);
    assert!(
        error.contains("depends_on names unknown service \"billing\"; expected one of payments, checkout"),
        "{error}"
    );
    assert!(error.contains(&format!(":{}:", line_of(&source, "\"billing\""))), "{error}");
}

#[test]
fn a_dependency_cycle_is_refused_with_its_path() {
    let source = example_with("depends_on = []", "depends_on = [\"checkout\"]");
    let error = error_of(&source);
    assert!(error.contains("dependency cycle"), "{error}");
    assert!(error.contains("checkout → payments → checkout"), "{error}");
}

#[test]
fn a_service_depending_on_itself_is_refused() {
    let source = example_with("depends_on = []", "depends_on = [\"payments\"]");
    assert!(error_of(&source).contains("service payments: depends_on names itself"));
}

#[test]
fn bad_durations_are_refused_with_an_example_of_a_good_one() {
    let source = example_with("update_every = \"15m\"", "update_every = \"15 minutes please\"");
    let error = error_of(&source);
    assert!(error.contains("update_every = \"15 minutes please\" is not a duration; expected e.g. \"90s\""), "{error}");
    let zero = example_with("lead_within = \"10m\"", "lead_within = \"0s\"");
    assert!(error_of(&zero).contains("reminders.lead_within must be longer than zero"));
}

#[test]
fn a_bad_cron_expression_is_refused_with_the_expected_shape() {
    let source = example_with("digest = \"0 0 9 * * Mon-Fri\"", "digest = \"every morning\"");
    let error = error_of(&source);
    assert!(
        error.contains(&format!(
            ":{}: reminders.digest = \"every morning\" is not a cron expression",
            line_of(&source, "digest =")
        )),
        "{error}"
    );
    assert!(error.contains("sec min hour day month weekday"), "{error}");
}

#[test]
fn duplicate_names_are_refused() {
    let severity = example_with("name = \"SEV2\"", "name = \"sev1\"");
    assert!(error_of(&severity).contains("severities: \"sev1\" is defined twice"));
    let service = example_with("name = \"checkout\"", "name = \"payments\"");
    assert!(error_of(&service).contains("services: \"payments\" is defined twice"));
    let role = example_with("name = \"liaison\"", "name = \"scribe\"");
    assert!(error_of(&role).contains("roles: \"scribe\" is defined twice"));
}

#[test]
fn an_unknown_top_level_key_is_refused_with_its_line() {
    let source = format!("{CONTRACT_EXAMPLE}\nescalation = true\n");
    let error = error_of(&source);
    let line = line_of(&source, "escalation = true");
    assert!(error.contains(&format!("firebell.toml:{line}:")), "{error}");
    assert!(error.contains("unknown field `escalation`"), "{error}");
}

#[test]
fn a_misspelt_nested_key_is_refused_with_the_keys_expected() {
    let source = example_with("update_every = \"30m\"", "update_evry = \"30m\"");
    let error = error_of(&source);
    assert!(error.contains(&format!(":{}:", line_of(&source, "update_evry"))), "{error}");
    assert!(error.contains("update_evry"), "{error}");
    assert!(error.contains("update_every"), "{error}");
}

#[test]
fn broken_toml_is_refused_with_its_line() {
    let error = error_of("timezone = \"UTC\"\nlocale = \n");
    assert!(error.starts_with("firebell.toml:2:"), "{error}");
}

#[test]
fn bad_ids_enums_and_names_are_each_refused() {
    let cases = [
        ("announcements = \"C0INCIDENTS\"", "announcements = \"#incidents\"", "is not a Slack channel id"),
        ("admins = [\"U0ADMIN\"]", "admins = [\"alice\"]", "is not a Slack user id"),
        ("timezone = \"Asia/Seoul\"", "timezone = \"Mars/Olympus\"", "is not an IANA time zone"),
        ("locale = \"en\"", "locale = \"fr\"", "expected \"en\" or \"ko\""),
        ("share = \"narrow\"", "share = \"wide\"", "expected \"broad\" or \"narrow\""),
        ("mention = \"here\"", "mention = \"everyone\"", "expected \"here\", \"channel\" or \"none\""),
        ("action = \"declare\"", "action = \"page\"", "expected \"declare\" or \"prompt\""),
        ("prefix = \"inc\"", "prefix = \"INC!\"", "cannot start a Slack channel name"),
        ("escalate_after = 2", "escalate_after = 0", "at least 1"),
        ("severity = \"SEV2\"\nservice", "severity = \"SEV7\"\nservice", "alerts.rules: unknown severity \"SEV7\""),
    ];
    for (from, to, expected) in cases {
        let error = error_of(&example_with(from, to));
        assert!(error.contains(expected), "{to}: {error}");
    }
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let source = example_with("timezone = \"Asia/Seoul\"", "timezone = \"Nowhere\"").replacen(
        "locale = \"en\"",
        "locale = \"xx\"",
        1,
    );
    let error = error_of(&source);
    assert_eq!(error.lines().count(), 2, "{error}");
}

#[test]
fn a_broad_severity_without_an_announcements_channel_is_a_warning() {
    let source = CONTRACT_EXAMPLE.replacen("announcements = \"C0INCIDENTS\"", "", 1);
    let (_, warnings) = parse_str(&source, "firebell.toml").unwrap();
    assert!(warnings.iter().any(|w| w.message.contains("channels.announcements is not set")), "{warnings:?}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let error = load(Some(Path::new("/nonexistent/firebell.toml"))).unwrap_err().to_string();
    assert!(error.starts_with("/nonexistent/firebell.toml:1: cannot read the policy file"), "{error}");
}

#[test]
fn the_summary_lists_every_severity() {
    let loaded = Loaded { policy: builtin(), warnings: Vec::new(), source: None };
    let text = summary(&loaded);
    assert!(text.contains("built-in defaults"));
    assert!(text.contains("SEV1 (Critical): broad, update every 15m"), "{text}");
}

/// The contract's example with a `[retention]` table holding `messages = VALUE` at the end.
fn with_message_retention(value: &str) -> String {
    format!("{CONTRACT_EXAMPLE}\n[retention]\nmessages = \"{value}\"\n")
}

#[test]
fn message_text_is_kept_for_ever_unless_retention_messages_is_set() {
    assert_eq!(builtin().retention.messages, None);
    assert_eq!(testing::contract_policy().retention.messages, None);
    let (policy, _) = parse_str(&with_message_retention("90d"), "firebell.toml").unwrap();
    assert_eq!(policy.retention.messages, Some(std::time::Duration::from_secs(90 * 24 * 3600)));
}

#[test]
fn a_message_retention_of_exactly_one_day_is_accepted() {
    let (policy, _) = parse_str(&with_message_retention("1d"), "firebell.toml").unwrap();
    assert_eq!(policy.retention.messages, Some(std::time::Duration::from_secs(24 * 3600)));
}

#[test]
fn a_message_retention_shorter_than_a_day_is_refused_naming_the_minimum() {
    for short in ["23h", "90m", "0s"] {
        let source = with_message_retention(short);
        let error = error_of(&source);
        let line = line_of(&source, "messages =");
        assert!(
            error.starts_with(&format!("firebell.toml:{line}: retention.messages = \"{short}\" is too short")),
            "{error}"
        );
        assert!(error.contains("expected at least 1d, e.g. \"90d\""), "{error}");
    }
}

#[test]
fn a_message_retention_that_is_not_a_duration_is_refused_with_an_example() {
    let source = with_message_retention("ninety days");
    let error = error_of(&source);
    let line = line_of(&source, "messages =");
    assert!(
        error.starts_with(&format!(
            "firebell.toml:{line}: retention.messages = \"ninety days\" is not a duration; expected at least 1d, e.g. \"90d\""
        )),
        "{error}"
    );
}

#[test]
fn a_message_retention_that_is_not_a_string_is_refused_with_its_line() {
    let source = format!("{CONTRACT_EXAMPLE}\n[retention]\nmessages = 90\n");
    let error = error_of(&source);
    assert!(error.starts_with(&format!("firebell.toml:{}:", line_of(&source, "messages = 90"))), "{error}");
}

#[test]
fn an_unknown_key_in_retention_is_refused() {
    let source = format!("{CONTRACT_EXAMPLE}\n[retention]\nmesages = \"90d\"\n");
    let error = error_of(&source);
    assert!(error.contains(&format!(":{}:", line_of(&source, "mesages"))), "{error}");
    assert!(error.contains("unknown field `mesages`"), "{error}");
}

#[test]
fn the_summary_says_how_long_message_text_is_kept() {
    let kept = Loaded { policy: builtin(), warnings: Vec::new(), source: None };
    assert!(summary(&kept).contains("retention: message text of closed incidents is kept"), "{}", summary(&kept));
    let (policy, _) = parse_str(&with_message_retention("90d"), "firebell.toml").unwrap();
    let dropped = Loaded { policy, warnings: Vec::new(), source: None };
    let text = summary(&dropped);
    assert!(text.contains("retention: message text is dropped 90d after an incident is closed"), "{text}");
}

/// The contract's example with a schedule for payments, which names it as its `oncall`.
fn with_schedule(schedule: &str) -> String {
    let source = example_with("name = \"payments\"\n", "name = \"payments\"\noncall = \"payments\"\n");
    format!("{source}\n[[schedules]]\n{schedule}\n")
}

const WEEKLY: &str =
    "name = \"payments\"\nmembers = [\"U0ONCALL1\", \"U0ONCALL2\"]\nshift = \"1w\"\nstart = \"2026-11-30T10:00\"";

#[test]
fn a_schedule_loads_and_a_service_names_it_for_its_oncall() {
    let (policy, _) = parse_str(&with_schedule(WEEKLY), "firebell.toml").unwrap();
    let schedule = &policy.schedules[0];
    assert_eq!(schedule.name, "payments");
    assert_eq!(schedule.members.iter().map(|m| m.as_str()).collect::<Vec<_>>(), ["U0ONCALL1", "U0ONCALL2"]);
    assert_eq!(schedule.shift, std::time::Duration::from_secs(7 * 24 * 3600));
    assert_eq!(schedule.start.to_string(), "2026-11-30 10:00:00");
    assert_eq!(policy.service("payments").unwrap().oncall.as_deref(), Some("payments"));
    assert_eq!(policy.service("checkout").unwrap().oncall, None);
}

#[test]
fn check_config_refuses_a_schedule_that_cannot_rotate() {
    let cases = [
        (WEEKLY.replace("[\"U0ONCALL1\", \"U0ONCALL2\"]", "[]"), "members is empty"),
        (WEEKLY.replace("\"U0ONCALL1\"", "\"oncall-one\""), "\"oncall-one\" is not a Slack user id"),
        (WEEKLY.replace("\"1w\"", "\"0s\""), "shift must be longer than zero"),
        (WEEKLY.replace("\"1w\"", "\"weekly\""), "shift = \"weekly\" is not a duration"),
        (WEEKLY.replace("2026-11-30T10:00", "next monday"), "start = \"next monday\" is not a date and time"),
    ];
    for (schedule, expected) in cases {
        let error = error_of(&with_schedule(&schedule));
        assert!(error.contains(expected), "{expected}: {error}");
        assert!(error.contains("schedule payments"), "names the schedule: {error}");
    }
}

#[test]
fn check_config_refuses_a_service_naming_a_schedule_that_does_not_exist() {
    let source = example_with("name = \"payments\"\n", "name = \"payments\"\noncall = \"payment\"\n");
    let error = error_of(&source);
    assert!(error.contains("oncall names unknown schedule \"payment\"") && error.contains("there are none"), "{error}");
    assert!(error.contains(&format!(":{}:", line_of(&source, "oncall = "))), "{error}");
    let twice = format!("{}\n[[schedules]]\n{WEEKLY}\n", with_schedule(WEEKLY));
    assert!(error_of(&twice).contains("schedules: \"payments\" is defined twice"));
}

#[test]
fn paging_defaults_to_the_two_worst_severities_and_five_minutes_without_externals() {
    let (policy, _) = parse_str(&with_schedule(WEEKLY), "firebell.toml").unwrap();
    let names: Vec<&str> = policy.paging.severities.iter().map(|s| s.as_str()).collect();
    assert_eq!(names, ["SEV1", "SEV2"]);
    assert_eq!(policy.paging.ack_within, std::time::Duration::from_secs(300));
    assert!(policy.paging.escalate_to.is_empty() && !policy.paging.pagerduty && !policy.paging.opsgenie);
}

#[test]
fn paging_loads_as_written() {
    let source = format!(
        "{}\n[paging]\nseverities = [\"sev1\"]\nack_within = \"90s\"\nescalate_to = [\"U0MANAGER\", \"U0DIRECTOR\"]\npagerduty = true\n",
        with_schedule(WEEKLY)
    );
    let (policy, _) = parse_str(&source, "firebell.toml").unwrap();
    assert!(policy.pages(&crate::domain::incident::SeverityName("SEV1".into())));
    assert!(!policy.pages(&crate::domain::incident::SeverityName("SEV2".into())));
    assert_eq!(policy.paging.ack_within, std::time::Duration::from_secs(90));
    assert_eq!(policy.paging.escalate_to.iter().map(|u| u.as_str()).collect::<Vec<_>>(), ["U0MANAGER", "U0DIRECTOR"]);
    assert!(policy.paging.pagerduty && !policy.paging.opsgenie);
}

#[test]
fn check_config_refuses_paging_it_cannot_follow() {
    let cases = [
        ("severities = [\"SEV9\"]", "paging.severities: unknown severity \"SEV9\""),
        ("ack_within = \"soon\"", "paging.ack_within = \"soon\" is not a duration"),
        ("ack_within = \"0s\"", "paging.ack_within must be longer than zero"),
        ("escalate_to = [\"manager\"]", "paging.escalate_to: \"manager\" is not a Slack user id"),
        ("page_after = \"5m\"", "unknown field `page_after`"),
    ];
    for (paging, expected) in cases {
        let source = format!("{}\n[paging]\n{paging}\n", with_schedule(WEEKLY));
        let error = error_of(&source);
        assert!(error.contains(expected), "{expected}: {error}");
        assert!(error.contains(&format!(":{}:", line_of(&source, paging))), "names the line: {error}");
    }
}

#[test]
fn fields_and_actions_load_from_the_contracts_example() {
    let policy = contract_policy_for_tests();
    let names: Vec<&str> = policy.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["type", "customers"]);
    assert_eq!(policy.field("TYPE").unwrap().label, "Incident type");
    assert_eq!(policy.actions.len(), 6);
    assert_eq!(policy.action_kind("Rollback"), Some("rollback"));
    assert_eq!(policy.report(None).unwrap().template, "builtin:en-report", "no [[reports]]: the built-in");
}

fn contract_policy_for_tests() -> crate::domain::policy::Policy {
    parse_str(CONTRACT_EXAMPLE, "contract.toml").unwrap().0
}

#[test]
fn check_config_refuses_fields_actions_and_reports_it_cannot_use() {
    let cases = [
        ("[[fields]]\nname = \"Type\"\nkind = \"text\"", "\"Type\" is not a field name"),
        ("[[fields]]\nname = \"tier\"\nkind = \"select\"", "field tier: a select needs options"),
        ("[[fields]]\nname = \"tier\"\nkind = \"number\"\noptions = [\"a\"]", "field tier: only a select has options"),
        ("[[fields]]\nname = \"tier\"\nkind = \"colour\"", "kind = \"colour\" is not a field kind"),
        ("[[reports]]\nname = \"final\"\ntemplate = \"builtin:ko-report\"", "\"final\" is not a report name"),
        ("[[reports]]\nname = \"first\"\ntemplate = \"builtin:memo\"", "\"builtin:memo\" is not a built-in"),
        (
            "[[reports]]\nname = \"first\"\ntemplate = \"builtin:ko-report\"\ndue = \"soon\"",
            "report first: due = \"soon\" is not a duration",
        ),
        (
            "[[reports]]\nname = \"first\"\ntemplate = \"builtin:ko-report\"\ndue_after = \"closed\"",
            "due_after = \"closed\" is not a moment",
        ),
    ];
    for (extra, expected) in cases {
        let error = error_of(&format!("{CONTRACT_EXAMPLE}\n{extra}\n"));
        assert!(error.contains(expected), "{expected}: {error}");
    }
    let twice = CONTRACT_EXAMPLE.replacen("\"scale-out\", \"hotfix\"", "\"scale-out\", \"rollback\"", 1);
    assert!(error_of(&twice).contains("actions.kinds: \"rollback\" is listed twice"));
}

#[test]
fn reports_load_with_their_deadlines() {
    let source = format!(
        "{CONTRACT_EXAMPLE}\n[[reports]]\nname = \"initial\"\ntitle = \"초기 장애 보고\"\ntemplate = \"builtin:ko-report\"\ndue = \"10m\"\n\n[[reports]]\nname = \"written\"\ntemplate = \"reports/written.md.j2\"\ndue = \"2h\"\ndue_after = \"resolved\"\n"
    );
    let (policy, _) = parse_str(&source, "firebell.toml").unwrap();
    let initial = policy.report(None).unwrap();
    assert_eq!((initial.name.as_str(), initial.due), ("initial", Some(std::time::Duration::from_secs(600))));
    assert_eq!(initial.line, line_of(&source, "name = \"initial\""));
    let written = policy.report(Some("WRITTEN")).unwrap();
    assert_eq!(written.due_after, crate::domain::policy::DueAfter::Resolved);
    assert_eq!(written.template, "reports/written.md.j2");
}

#[test]
fn the_alert_flood_threshold_defaults_to_twenty_and_must_be_a_sensible_count() {
    let (policy, _) = parse_str(CONTRACT_EXAMPLE, "contract.toml").unwrap();
    assert_eq!(policy.alert_flood_threshold, 20);
    let set = example_with("[[alerts.rules]]", "[alerts]\nflood_threshold = 5\n\n[[alerts.rules]]");
    assert_eq!(parse_str(&set, "firebell.toml").unwrap().0.alert_flood_threshold, 5);
    for bad in ["0", "-3", "5000"] {
        let source =
            example_with("[[alerts.rules]]", &format!("[alerts]\nflood_threshold = {bad}\n\n[[alerts.rules]]"));
        let error = error_of(&source);
        let line = line_of(&source, "flood_threshold");
        assert!(error.contains(&format!("firebell.toml:{line}")), "{error}");
        assert!(error.contains("expected new prompts a minute from 1 to 1000"), "{error}");
    }
}
