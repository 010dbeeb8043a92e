//! Grammar tests: every form of the contract's table, unknown words, option order, mentions.

use super::*;
use crate::config::policy::testing::contract_policy;

fn ok(text: &str) -> Command {
    match parse(text, &contract_policy()) {
        Ok(command) => command,
        Err(error) => panic!("{text:?} should parse, got {error:?}"),
    }
}

fn err(text: &str) -> GrammarError {
    match parse(text, &contract_policy()) {
        Ok(command) => panic!("{text:?} should be refused, got {command:?}"),
        Err(error) => error,
    }
}

fn sev(name: &str) -> SeverityName {
    SeverityName(name.to_owned())
}

fn svc(name: &str) -> ServiceName {
    ServiceName(name.to_owned())
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

#[test]
fn empty_text_and_help_both_mean_help() {
    assert_eq!(ok(""), Command::Help);
    assert_eq!(ok("   "), Command::Help);
    assert_eq!(ok("HELP"), Command::Help);
}

#[test]
fn declare_alone_opens_the_modal_with_nothing_prefilled() {
    assert_eq!(ok("declare"), Command::Declare(DeclareOptions::default()));
}

#[test]
fn quick_declare_takes_severity_services_and_title() {
    let Command::Declare(options) = ok("declare sev1 service:payments Checkout is down") else { panic!() };
    assert_eq!(options.severity, Some(sev("SEV1")));
    assert_eq!(options.services, vec![svc("payments")]);
    assert_eq!(options.title.as_deref(), Some("Checkout is down"));
    assert!(!options.private);
    assert!(!options.drill);
}

#[test]
fn drill_may_come_in_any_order_with_private_severity_and_services() {
    let expected = DeclareOptions {
        private: true,
        drill: true,
        severity: Some(sev("SEV1")),
        services: vec![svc("payments")],
        title: Some("Payments failover practice".to_owned()),
    };
    for text in [
        "declare --drill --private sev1 service:payments Payments failover practice",
        "declare sev1 --DRILL service:payments --private Payments failover practice",
        "declare service:payments --private sev1 --drill Payments failover practice",
    ] {
        assert_eq!(ok(text), Command::Declare(expected.clone()), "{text}");
    }
}

#[test]
fn a_drill_without_a_title_opens_the_modal_prefilled_as_a_drill() {
    let Command::Declare(options) = ok("declare --drill sev2") else { panic!() };
    assert!(options.drill && !options.private);
    assert_eq!(options.title, None);
    assert_eq!(options.severity, Some(sev("SEV2")));
}

#[test]
fn drill_after_the_first_title_word_is_title_text() {
    let Command::Declare(options) = ok("declare sev3 Failover --drill rehearsal") else { panic!() };
    assert!(!options.drill);
    assert_eq!(options.title.as_deref(), Some("Failover --drill rehearsal"));
}

#[test]
fn quick_declare_options_may_come_in_any_order() {
    let expected = DeclareOptions {
        private: true,
        drill: false,
        severity: Some(sev("SEV2")),
        services: vec![svc("checkout"), svc("payments")],
        title: Some("Cards declined".to_owned()),
    };
    for text in [
        "declare --private SEV2 service:checkout service:payments Cards declined",
        "declare service:checkout sev2 --PRIVATE service:payments Cards declined",
        "declare service:checkout service:payments --private sev2 Cards declined",
    ] {
        assert_eq!(ok(text), Command::Declare(expected.clone()), "{text}");
    }
}

#[test]
fn the_title_keeps_everything_after_the_first_other_word_verbatim() {
    let Command::Declare(options) = ok("declare sev3 Login  slow for sev1 users  service:payments") else { panic!() };
    assert_eq!(options.title.as_deref(), Some("Login  slow for sev1 users  service:payments"));
    assert_eq!(options.services, vec![]);
}

#[test]
fn declare_with_options_but_no_title_opens_a_prefilled_modal() {
    let Command::Declare(options) = ok("declare sev2 service:payments") else { panic!() };
    assert_eq!(options.title, None);
    assert_eq!(options.severity, Some(sev("SEV2")));
}

#[test]
fn a_severity_the_policy_lacks_is_an_error_not_a_title() {
    assert_eq!(err("declare sev9 Checkout down"), GrammarError::UnknownSeverity { word: "sev9".into() });
}

#[test]
fn an_unknown_service_is_an_error() {
    assert_eq!(err("declare service:billing Down"), GrammarError::UnknownService { word: "billing".into() });
}

#[test]
fn two_severities_in_one_declare_are_refused() {
    assert_eq!(err("declare sev1 sev2 Down"), GrammarError::RepeatedSeverity);
}

#[test]
fn an_unknown_flag_is_refused() {
    assert_eq!(err("declare --secret Down"), GrammarError::UnknownOption { word: "--secret".into() });
}

#[test]
fn a_korean_title_is_kept_as_typed() {
    let Command::Declare(options) = ok("declare sev1 결제 장애") else { panic!() };
    assert_eq!(options.title.as_deref(), Some("결제 장애"));
}

#[test]
fn list_stats_and_change_parse_anywhere() {
    assert_eq!(ok("list"), Command::List);
    assert_eq!(ok("stats"), Command::Stats { window: StatsWindow::Days30, drills: false });
    assert_eq!(ok("stats 7d"), Command::Stats { window: StatsWindow::Days7, drills: false });
    assert_eq!(ok("stats 90D"), Command::Stats { window: StatsWindow::Days90, drills: false });
    assert_eq!(
        ok("change service:payments Rolling out v2 at 14:00"),
        Command::Change { services: vec![svc("payments")], text: "Rolling out v2 at 14:00".into(), at: None }
    );
    assert_eq!(
        ok("change DB failover drill"),
        Command::Change { services: vec![], text: "DB failover drill".into(), at: None }
    );
    assert_eq!(
        ok("change Rolling out v2 service:checkout at:14:30"),
        Command::Change {
            services: vec![svc("checkout")],
            text: "Rolling out v2".into(),
            at: NaiveTime::from_hms_opt(14, 30, 0)
        }
    );
    assert_eq!(err("change Upgrade at:25:00"), GrammarError::BadTime { word: "at:25:00".into() });
}

#[test]
fn stats_with_an_unknown_window_is_refused() {
    assert_eq!(err("stats 2w"), GrammarError::UnknownStatsWindow { word: "2w".into() });
    assert_eq!(err("stats --drills 2w"), GrammarError::UnknownStatsWindow { word: "2w".into() });
}

#[test]
fn stats_drills_counts_drills_too_with_the_window_on_either_side() {
    assert_eq!(ok("stats --drills"), Command::Stats { window: StatsWindow::Days30, drills: true });
    assert_eq!(ok("stats 7d --drills"), Command::Stats { window: StatsWindow::Days7, drills: true });
    assert_eq!(ok("stats --DRILLS 90d"), Command::Stats { window: StatsWindow::Days90, drills: true });
}

#[test]
fn stats_refuses_a_second_window_a_repeated_flag_and_other_options_with_its_usage() {
    let usage = |words: &str| GrammarError::UnexpectedWords { usage: Usage::Stats, words: words.into() };
    assert_eq!(err("stats 7d 30d"), usage("30d"));
    assert_eq!(err("stats --drills --drills"), usage("--drills"));
    assert_eq!(err("stats --drill"), usage("--drill"));
    assert_eq!(err("stats 7d --all now"), usage("--all now"));
    assert_eq!(Usage::Stats.line(), "stats [7d|30d|90d] [--drills]");
}

#[test]
fn change_without_text_is_refused() {
    assert_eq!(err("change service:payments"), GrammarError::MissingArgument { usage: Usage::Change });
}

#[test]
fn update_with_and_without_text() {
    assert_eq!(ok("update"), Command::Update(None));
    assert_eq!(ok("update Rolled back to v41"), Command::Update(Some("Rolled back to v41".into())));
}

#[test]
fn status_accepts_the_three_open_statuses_only() {
    assert_eq!(ok("status identified"), Command::Status(IncidentStatus::Identified));
    assert_eq!(ok("STATUS Monitoring"), Command::Status(IncidentStatus::Monitoring));
    assert_eq!(ok("status investigating"), Command::Status(IncidentStatus::Investigating));
    assert_eq!(err("status resolved"), GrammarError::UnknownStatus { word: "resolved".into() });
    assert_eq!(err("status"), GrammarError::MissingArgument { usage: Usage::Status });
}

#[test]
fn severity_and_its_alias_sev() {
    assert_eq!(ok("severity sev2"), Command::Severity(sev("SEV2")));
    assert_eq!(ok("sev SEV4"), Command::Severity(sev("SEV4")));
    assert_eq!(err("sev sev7"), GrammarError::UnknownSeverity { word: "sev7".into() });
    assert_eq!(err("severity"), GrammarError::MissingArgument { usage: Usage::Severity });
}

#[test]
fn lead_takes_a_mention_in_every_form_slack_sends() {
    for form in ["<@U0ALICE>", "<@U0ALICE|alice>", "U0ALICE"] {
        assert_eq!(ok(&format!("lead {form}")), Command::Lead(user("U0ALICE")), "{form}");
    }
    assert_eq!(ok("lead <@W123|bob>"), Command::Lead(user("W123")));
}

#[test]
fn lead_with_a_bare_name_asks_for_a_mention() {
    assert_eq!(err("lead @alice"), GrammarError::ExpectedUser { usage: Usage::Lead, got: "@alice".into() });
    assert_eq!(err("lead"), GrammarError::MissingArgument { usage: Usage::Lead });
}

#[test]
fn roles_are_the_builtins_plus_the_policy_roles() {
    assert_eq!(ok("role comms <@U1|c>"), Command::Role { role: RoleName("comms".into()), user: user("U1") });
    assert_eq!(ok("role Liaison <@U2>"), Command::Role { role: RoleName("liaison".into()), user: user("U2") });
    assert_eq!(err("role janitor <@U2>"), GrammarError::UnknownRole { word: "janitor".into() });
    assert_eq!(err("role scribe"), GrammarError::MissingArgument { usage: Usage::Role });
}

#[test]
fn title_impact_and_note_take_free_text() {
    assert_eq!(ok("title Payments API 5xx"), Command::Title("Payments API 5xx".into()));
    assert_eq!(ok("impact 30% of card payments fail"), Command::Impact("30% of card payments fail".into()));
    assert_eq!(ok("note Rolled back <!here>"), Command::Note("Rolled back <!here>".into()));
    assert_eq!(err("title"), GrammarError::MissingArgument { usage: Usage::Title });
    assert_eq!(err("impact  "), GrammarError::MissingArgument { usage: Usage::Impact });
    assert_eq!(err("note"), GrammarError::MissingArgument { usage: Usage::Note });
}

#[test]
fn service_add_and_remove_name_a_policy_service() {
    assert_eq!(ok("service add checkout"), Command::ServiceAdd(svc("checkout")));
    assert_eq!(ok("service remove PAYMENTS"), Command::ServiceRemove(svc("payments")));
    assert_eq!(ok("service add service:checkout"), Command::ServiceAdd(svc("checkout")));
    assert_eq!(err("service add billing"), GrammarError::UnknownService { word: "billing".into() });
    assert_eq!(err("service rename checkout"), GrammarError::MissingArgument { usage: Usage::Service });
    assert_eq!(err("service add"), GrammarError::MissingArgument { usage: Usage::Service });
}

#[test]
fn followup_defaults_to_prevent_and_reads_trailing_owner_and_due_date() {
    assert_eq!(
        ok("followup Add a circuit breaker"),
        Command::Followup(FollowupRequest {
            group: FollowupGroup::Prevent,
            text: "Add a circuit breaker".into(),
            owner: None,
            due: None,
        })
    );
    let expected = FollowupRequest {
        group: FollowupGroup::Detect,
        text: "Alert on 5xx ratio".into(),
        owner: Some(user("U9")),
        due: NaiveDate::from_ymd_opt(2026, 12, 1),
    };
    assert_eq!(ok("followup detect Alert on 5xx ratio <@U9|sam> due:2026-12-01"), Command::Followup(expected.clone()));
    assert_eq!(ok("followup DETECT Alert on 5xx ratio due:2026-12-01 <@U9>"), Command::Followup(expected));
    let Command::Followup(handle) = ok("followup handle Page the DBA sooner") else { panic!() };
    assert_eq!(handle.group, FollowupGroup::Handle);
}

#[test]
fn followup_with_a_bad_date_or_no_text_is_refused() {
    assert_eq!(err("followup Fix it due:2026-13-01"), GrammarError::BadDueDate { word: "due:2026-13-01".into() });
    assert_eq!(err("followup prevent"), GrammarError::MissingArgument { usage: Usage::Followup });
}

#[test]
fn resolve_retro_close_and_followups() {
    assert_eq!(ok("resolve"), Command::Resolve(None));
    assert_eq!(
        ok("resolve Rolled back; error rate normal"),
        Command::Resolve(Some("Rolled back; error rate normal".into()))
    );
    assert_eq!(ok("retro"), Command::Retro);
    assert_eq!(ok("close"), Command::Close);
    assert_eq!(ok("followups"), Command::Followups);
}

#[test]
fn words_after_a_complete_command_are_refused() {
    assert_eq!(err("close now"), GrammarError::UnexpectedWords { usage: Usage::Simple("close"), words: "now".into() });
    assert_eq!(err("list all"), GrammarError::UnexpectedWords { usage: Usage::Simple("list"), words: "all".into() });
    assert_eq!(err("stats 7d please"), GrammarError::UnexpectedWords { usage: Usage::Stats, words: "please".into() });
}

#[test]
fn an_unknown_command_word_is_refused_with_the_word() {
    assert_eq!(err("deploy now"), GrammarError::UnknownCommand { word: "deploy".into() });
    assert_eq!(err("<!here>"), GrammarError::UnknownCommand { word: "<!here>".into() });
}

#[test]
fn command_words_are_case_insensitive() {
    assert_eq!(ok("DECLARE"), Command::Declare(DeclareOptions::default()));
    assert_eq!(ok("Resolve"), Command::Resolve(None));
}

#[test]
fn only_help_declare_list_stats_and_change_work_outside_incident_channels() {
    for text in ["help", "declare", "list", "stats", "change x"] {
        assert!(!ok(text).needs_incident_channel(), "{text}");
    }
    for text in
        ["update", "status monitoring", "sev sev1", "lead <@U1>", "note x", "resolve", "retro", "close", "followups"]
    {
        assert!(ok(text).needs_incident_channel(), "{text}");
    }
}

#[test]
fn no_input_makes_the_parser_panic() {
    // A cheap sweep over awkward inputs: multibyte text, lone sigils, odd white space.
    let samples = [
        "declare \u{3000}결제",
        "lead <@",
        "role",
        "followup due:",
        "service add",
        "sev",
        "\t\n",
        "followup <@U1>",
        "declare service:",
        "declare --",
    ];
    for sample in samples {
        let _ = parse(sample, &contract_policy());
    }
}

#[test]
fn thousands_of_random_inputs_never_panic_and_titles_are_taken_verbatim() {
    // A small deterministic generator over the words and characters most likely to trip the
    // parser: multibyte text, odd white space, half-written mentions and options.
    let pieces = [
        "declare",
        "DECLARE",
        "sev1",
        "SEV9",
        "sev",
        "service:payments",
        "service:",
        "service:nope",
        "--private",
        "--",
        "<@U1|a>",
        "<@",
        "<#C1>",
        "결제",
        "장애",
        "é",
        "<!here>",
        ":",
        "due:2026-01-01",
        "due:",
        "lead",
        "role",
        "liaison",
        "followup",
        "detect",
        "status",
        "monitoring",
        "stats",
        "7d",
        "change",
        "x",
        "service",
        "add",
    ];
    let separators = [" ", "  ", "\t", "\u{3000}", "\n", ""];
    let policy = contract_policy();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    for _ in 0..20_000 {
        let mut input = String::new();
        for _ in 0..next(9) {
            input.push_str(pieces[next(pieces.len())]);
            input.push_str(separators[next(separators.len())]);
        }
        if let Ok(Command::Declare(DeclareOptions { title: Some(title), .. })) = parse(&input, &policy) {
            assert!(input.contains(title.as_str()), "{input:?} → {title:?}");
            assert_eq!(title.trim(), title, "titles are trimmed");
            assert!(!title.is_empty());
        }
    }
}

#[test]
fn korean_command_words_work_as_aliases() {
    let Command::Declare(options) = ok("선언 sev1 service:payments 결제 장애") else { panic!() };
    assert_eq!((options.severity, options.title.as_deref()), (Some(sev("SEV1")), Some("결제 장애")));
    assert_eq!(ok("업데이트 롤백 중"), Command::Update(Some("롤백 중".into())));
    assert_eq!(ok("상태 monitoring"), Command::Status(IncidentStatus::Monitoring));
    assert_eq!(ok("심각도 sev2"), Command::Severity(sev("SEV2")));
    assert_eq!(ok("해결 원복 완료"), Command::Resolve(Some("원복 완료".into())));
    assert_eq!(ok("회고"), Command::Retro);
    assert_eq!(ok("도움말"), Command::Help);
    assert_eq!(ok("목록"), Command::List);
    assert_eq!(err("배포"), GrammarError::UnknownCommand { word: "배포".into() });
}

#[test]
fn oncall_asks_for_every_schedule_or_one_services() {
    assert_eq!(ok("oncall"), Command::OnCall(None));
    assert_eq!(ok("ONCALL service:Payments"), Command::OnCall(Some(svc("payments"))));
    assert!(!ok("oncall").needs_incident_channel(), "asked anywhere");
    assert_eq!(err("oncall service:billing"), GrammarError::UnknownService { word: "billing".into() });
    assert!(matches!(err("oncall tomorrow"), GrammarError::UnexpectedWords { .. }));
}

#[test]
fn oncall_override_puts_someone_on_call_for_a_while() {
    let hours = |n: u64| Some(std::time::Duration::from_secs(n * 3600));
    assert_eq!(
        ok("oncall override <@U0DAN> service:payments for 8h"),
        Command::OnCallOverride { user: user("U0DAN"), service: Some(svc("payments")), lasting: hours(8) }
    );
    assert_eq!(
        ok("oncall override <@U0DAN|dan> for 2h service:payments"),
        Command::OnCallOverride { user: user("U0DAN"), service: Some(svc("payments")), lasting: hours(2) }
    );
    assert_eq!(
        ok("oncall override <@U0DAN>"),
        Command::OnCallOverride { user: user("U0DAN"), service: None, lasting: None }
    );
    assert!(matches!(err("oncall override"), GrammarError::MissingArgument { .. }));
    assert!(matches!(err("oncall override dan"), GrammarError::ExpectedUser { .. }));
    assert!(matches!(err("oncall override <@U0DAN> for ever"), GrammarError::UnexpectedWords { .. }));
    assert!(matches!(err("oncall override <@U0DAN> for 0s"), GrammarError::UnexpectedWords { .. }));
    assert!(matches!(err("oncall override <@U0DAN> please"), GrammarError::UnexpectedWords { .. }));
    assert_eq!(
        err("oncall override <@U0DAN> service:billing"),
        GrammarError::UnknownService { word: "billing".into() }
    );
}

#[test]
fn page_takes_one_person() {
    assert_eq!(ok("page <@U0ONCALL>"), Command::Page(user("U0ONCALL")));
    assert_eq!(ok("PAGE <@W123|bob>"), Command::Page(user("W123")));
    assert!(Command::Page(user("U0ONCALL")).needs_incident_channel());
    assert_eq!(Command::Page(user("U0ONCALL")).word(), "page");
}

#[test]
fn page_without_a_person_says_how() {
    assert_eq!(err("page"), GrammarError::MissingArgument { usage: Usage::Page });
    assert!(matches!(err("page bob"), GrammarError::ExpectedUser { usage: Usage::Page, .. }));
    assert!(matches!(err("page <@U0A> <@U0B>"), GrammarError::UnexpectedWords { usage: Usage::Page, .. }));
}

#[test]
fn set_takes_a_field_and_the_rest_as_its_value() {
    assert_eq!(ok("set customers 1200"), Command::Set { field: "customers".into(), value: "1200".into() });
    assert_eq!(
        ok("set cause  결제 대행사 장애 "),
        Command::Set { field: "cause".into(), value: "결제 대행사 장애".into() }
    );
    assert_eq!(err("set"), GrammarError::MissingArgument { usage: Usage::Set });
    assert_eq!(err("set customers"), GrammarError::MissingArgument { usage: Usage::Set });
    assert!(Command::Set { field: "f".into(), value: "v".into() }.needs_incident_channel());
}

#[test]
fn action_takes_a_kind_and_an_optional_text() {
    assert_eq!(ok("action rollback"), Command::RecordAction { kind: "rollback".into(), text: None });
    assert_eq!(
        ok("action hotfix patched the retry loop"),
        Command::RecordAction { kind: "hotfix".into(), text: Some("patched the retry loop".into()) }
    );
    assert_eq!(err("action"), GrammarError::MissingArgument { usage: Usage::Action });
    assert_eq!(Command::RecordAction { kind: "k".into(), text: None }.word(), "action");
}

#[test]
fn report_takes_an_optional_name_then_an_optional_final() {
    assert_eq!(ok("report"), Command::Report { name: None, final_: false });
    assert_eq!(ok("report initial"), Command::Report { name: Some("initial".into()), final_: false });
    assert_eq!(ok("report Written FINAL"), Command::Report { name: Some("written".into()), final_: true });
    assert_eq!(ok("report final"), Command::Report { name: None, final_: true });
    assert!(matches!(err("report final written"), GrammarError::UnexpectedWords { .. }));
    assert!(matches!(err("report a b"), GrammarError::UnexpectedWords { .. }));
    assert!(Command::Report { name: None, final_: false }.needs_incident_channel());
}

#[test]
fn search_takes_text_and_an_optional_service_anywhere() {
    assert_eq!(ok("search 결제 실패"), Command::Search { text: "결제 실패".into(), service: None });
    assert_eq!(
        ok("search service:payments timeout"),
        Command::Search { text: "timeout".into(), service: Some(ServiceName("payments".into())) }
    );
    assert_eq!(
        ok("SEARCH gateway timeouts service:payments"),
        Command::Search { text: "gateway timeouts".into(), service: Some(ServiceName("payments".into())) }
    );
    assert!(!Command::Search { text: "x".into(), service: None }.needs_incident_channel());
    assert_eq!(parse("search", &contract_policy()), Err(GrammarError::MissingArgument { usage: Usage::Search }));
    assert_eq!(
        parse("search service:payments", &contract_policy()),
        Err(GrammarError::MissingArgument { usage: Usage::Search })
    );
    assert!(matches!(parse("search x service:nope", &contract_policy()), Err(GrammarError::UnknownService { .. })));
}

#[test]
fn similar_takes_nothing_and_needs_an_incident_channel() {
    assert_eq!(ok("similar"), Command::Similar);
    assert!(Command::Similar.needs_incident_channel());
    assert!(parse("similar payments", &contract_policy()).is_err());
}
