//! Rendering a report template: one configured Jinja environment, the final marking, and
//! errors a template's author can act on (`TEMPLATE:LINE: reason`).
//!
//! Why minijinja: the contract says Jinja syntax, and minijinja is Jinja2's dialect in Rust,
//! written and maintained by Jinja's own author; it has Jinja's strict undefined mode (an
//! unknown variable is an error, not an empty string), reports the line and span of an
//! error, needs no `unsafe` in our code and few dependencies, and renders a template from a
//! string without a loader (no file system or include access from a template).
//! Must not: gather anything from storage or Slack (the caller passes a [`ReportInput`]).

use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use anyhow::Context as _;
use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};

use super::context::{self, ReportInput};
use super::{sample, undefined};
use crate::catalog::Locale;
use crate::domain::policy::Policy;

/// The built-in templates, by the name a policy uses for them.
pub const BUILTINS: [(&str, &str); 3] = [
    ("builtin:ko-report", include_str!("builtin/ko-report.md.j2")),
    ("builtin:en-report", include_str!("builtin/en-report.md.j2")),
    ("builtin:executive", include_str!("builtin/executive.md.j2")),
];

/// `builtin:executive` for a Korean policy.
const EXECUTIVE_KO: &str = include_str!("builtin/executive.ko.md.j2");

/// A report template: its source and the name errors call it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// `builtin:ko-report`, or the path as the policy wrote it.
    pub name: String,
    pub source: String,
}

impl Template {
    /// A built-in template in the policy's language: `builtin:executive` has a Korean
    /// wording; the reports are one per language by name.
    pub fn builtin_in(name: &str, locale: Locale) -> Option<Template> {
        match (name, locale) {
            ("builtin:executive", Locale::Ko) => {
                Some(Template { name: name.to_owned(), source: EXECUTIVE_KO.to_owned() })
            }
            _ => Template::builtin(name),
        }
    }

    /// A built-in template (`builtin:ko-report`, `builtin:en-report`, `builtin:executive`).
    pub fn builtin(name: &str) -> Option<Template> {
        BUILTINS
            .iter()
            .find(|(builtin, _)| *builtin == name)
            .map(|(builtin, source)| Template { name: (*builtin).to_owned(), source: (*source).to_owned() })
    }

    /// A template file, read now; `shown_as` is how errors name it (the path as written in
    /// the policy, not the resolved one).
    pub fn from_file(path: &Path, shown_as: &str) -> anyhow::Result<Template> {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("reading the report template {shown_as} ({})", path.display()))?;
        Ok(Template { name: shown_as.to_owned(), source })
    }
}

/// Why a template did not render: where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The template's name (`builtin:ko-report`, `reports/ko.md.j2`).
    pub template: String,
    /// The line in the template, when the engine knows it.
    pub line: Option<usize>,
    /// What is wrong, naming the variable or attribute when one is undefined.
    pub reason: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.template, self.reason),
            None => write!(f, "{}: {}", self.template, self.reason),
        }
    }
}

impl std::error::Error for TemplateError {}

/// The one environment every report renders in. Templates are compiled from their source at
/// each render (a report is rendered rarely; nothing to cache or invalidate).
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(environment);

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // An unknown name is the template's mistake: say so instead of rendering nothing.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Spans for error lines and for finding the undefined name.
    env.set_debug(true);
    // Block tags on their own lines leave no blank lines behind (Markdown is line-based).
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    // Markdown, not HTML: nothing is escaped.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_formatter(|out, state, value| {
        // Known but absent values render empty; whole numbers without `.0`. (The strict
        // undefined check runs before this formatter is called.)
        if value.is_none() || value.is_undefined() {
            return Ok(());
        }
        if let Some(whole) = whole_number(value) {
            return out.write_str(&whole).map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    env
}

/// `3` for a float that is a whole number (`3.0`), which Jinja would print with its `.0`.
fn whole_number(value: &Value) -> Option<String> {
    if value.kind() != minijinja::value::ValueKind::Number || value.is_integer() {
        return None;
    }
    let number = f64::try_from(value.clone()).ok()?;
    (number.is_finite() && number.fract() == 0.0 && number.abs() < 1e15).then(|| format!("{number:.0}"))
}

/// Renders `template` with the incident's variables; a final report's first heading is
/// marked final whatever the template says.
pub fn render(template: &Template, input: &ReportInput<'_>) -> Result<String, TemplateError> {
    let vars = Value::from_serialize(context::build(input));
    let text = ENVIRONMENT
        .render_named_str(&template.name, &template.source, &vars)
        .map_err(|err| template_error(template, &err, &vars))?;
    Ok(if input.report.final_ { mark_final(&text, input.policy.locale) } else { text })
}

/// Renders `template` against a sample incident in `policy`'s language and zone, which sets
/// every documented variable: a syntax error or an unknown name fails here, before any
/// incident needs the report.
pub fn check(template: &Template, policy: &Policy) -> Result<(), TemplateError> {
    let Some(sample) = sample::Sample::new(policy) else {
        let reason = "the sample incident could not be built".to_owned();
        return Err(TemplateError { template: template.name.clone(), line: None, reason });
    };
    render(template, &sample.input(policy)).map(|_| ())
}

fn template_error(template: &Template, err: &minijinja::Error, vars: &Value) -> TemplateError {
    // minijinja's own words without its "(in NAME:LINE)", which our Display puts first.
    let mut reason = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    if err.kind() == ErrorKind::UndefinedError
        && let Some(what) = undefined::culprit(&template.source, err.range(), err.line(), vars)
    {
        reason = format!("{reason}: {what}");
    }
    TemplateError { template: template.name.clone(), line: err.line(), reason }
}

/// How a final report is marked: `(final)`, `(최종)`.
pub fn final_mark(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "(final)",
        Locale::Ko => "(최종)",
    }
}

/// Appends ` (final)` / ` (최종)` to the first Markdown heading (outside code fences), once.
pub fn mark_final(text: &str, locale: Locale) -> String {
    let mark = final_mark(locale);
    let mut out = String::with_capacity(text.len() + mark.len() + 1);
    let mut marked = false;
    let mut fenced = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if body.starts_with("```") || body.starts_with("~~~") {
            fenced = !fenced;
        }
        if marked || fenced || !body.starts_with('#') {
            out.push_str(line);
            continue;
        }
        marked = true;
        let heading = body.trim_end();
        out.push_str(heading);
        if !heading.ends_with(mark) {
            out.push(' ');
            out.push_str(mark);
        }
        out.push_str(&line[body.len()..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::incident::IncidentStatus;
    use crate::domain::timeline::TimelineEntry;
    use crate::report::sample::Sample;

    /// The contract's policy (Asia/Seoul) in `locale`.
    fn policy(locale: Locale) -> Policy {
        Policy { locale, ..contract_policy() }
    }

    fn inline(source: &str) -> Template {
        Template { name: "reports/custom.md.j2".to_owned(), source: source.to_owned() }
    }

    fn render_sample(
        template: &Template,
        policy: &Policy,
        vary: impl FnOnce(&mut Sample),
    ) -> Result<String, TemplateError> {
        let mut sample = Sample::new(policy).unwrap();
        vary(&mut sample);
        render(template, &sample.input(policy))
    }

    /// The text of section `heading` (from its line to the next `## `).
    fn section<'a>(text: &'a str, heading: &str) -> &'a str {
        let start = text.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("no {heading} in\n{text}"));
        let rest = &text[start + heading.len() + 2..];
        &rest[..rest.find("\n## ").unwrap_or(rest.len())]
    }

    const KO_HEADINGS: [&str; 7] = [
        "## 장애 내용",
        "## 장애 영향",
        "## 장애 원인",
        "## 조치 상황",
        "## 조치 결과",
        "## 핵심 원인 (5 Whys)",
        "## 향후 대책",
    ];

    #[test]
    fn every_builtin_renders_the_sample_in_both_languages() {
        for (name, _) in BUILTINS {
            for locale in Locale::ALL {
                let policy = policy(locale);
                let template = Template::builtin_in(name, locale).unwrap();
                let text = render_sample(&template, &policy, |_| {}).unwrap();
                assert!(text.starts_with("# "), "{name} {locale:?}:\n{text}");
                assert!(check(&template, &policy).is_ok());
            }
        }
    }

    #[test]
    fn the_executive_summary_speaks_the_policys_language() {
        let korean = Template::builtin_in("builtin:executive", Locale::Ko).unwrap();
        let text = render_sample(&korean, &policy(Locale::Ko), |_| {}).unwrap();
        for label in ["**무슨 일이:**", "**영향:**", "**지속 시간:**", "**원인:**", "**향후 조치:**", "**리드:**"]
        {
            assert!(text.contains(label), "{label} in\n{text}");
        }
        assert!(!text.contains("What happened"), "{text}");
        assert!(text.lines().count() <= 14, "a dozen lines:\n{text}");
        let english = Template::builtin_in("builtin:executive", Locale::En).unwrap();
        assert_eq!(english, Template::builtin("builtin:executive").unwrap());
    }

    #[test]
    fn the_korean_report_has_every_section_in_order_with_the_facts_where_they_belong() {
        let text =
            render_sample(&Template::builtin("builtin:ko-report").unwrap(), &policy(Locale::Ko), |_| {}).unwrap();

        let title = text.lines().next().unwrap();
        assert_eq!(title, "# 제목: 결제 승인 실패 (2026-03-02 14:02 KST ~ 2026-03-02 15:35 KST)");
        let positions: Vec<usize> = KO_HEADINGS.iter().map(|h| text.find(&format!("\n{h}\n")).unwrap()).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");

        let what = section(&text, "## 장애 내용");
        assert!(what.contains("- 심각도: SEV1 (Critical)") && what.contains("- 상태: 해결됨"), "{what}");
        assert!(what.contains("- 선언: 2026-03-02 14:02 KST") && what.contains("- 장애 유형: code"), "{what}");
        let impact = section(&text, "## 장애 영향");
        assert!(impact.contains("카드 결제의 약 30%가 실패") && impact.contains("- customers: 1200"), "{impact}");
        assert!(section(&text, "## 장애 원인").contains("PG 타임아웃이 300ms로 줄어"));
        let response = section(&text, "## 조치 상황");
        assert!(response.contains("- **2026-03-02 14:20 KST · 첫 조치 · rollback: v2.3.0으로 롤백**"), "{response}");
        assert!(response.contains("📌 14:00 배포(v2.3.1)"), "the pinned message is in the response: {response}");
        assert!(response.find("업데이트:").unwrap() < response.find("첫 조치").unwrap(), "in time order: {response}");
        let outcome = section(&text, "## 조치 결과");
        assert!(outcome.contains("- 해결까지: 1시간 33분") && outcome.contains("- 첫 조치까지: 18분"), "{outcome}");
        assert_eq!(section(&text, "## 핵심 원인 (5 Whys)").matches("왜").count(), 6);
        let next = section(&text, "## 향후 대책");
        for (group, item) in [
            ("### 재발 방지", "PG 타임아웃 설정을 검토"),
            ("### 탐지 개선", "알람 임계값"),
            ("### 대응 개선", "롤백 런북"),
        ] {
            let at = next.find(group).unwrap_or_else(|| panic!("{group} in {next}"));
            assert!(next[at..].contains(item), "{item} under {group}");
        }
        assert!(next.contains("- [x] 롤백 런북에 PG 설정 확인 절차 추가"), "{next}");
    }

    #[test]
    fn an_incident_still_open_reads_진행_중_in_its_title() {
        let text = render_sample(&Template::builtin("builtin:ko-report").unwrap(), &policy(Locale::Ko), |sample| {
            sample.incident.status = IncidentStatus::Monitoring;
        })
        .unwrap();
        assert!(text.lines().next().unwrap().ends_with("(2026-03-02 14:02 KST ~ 진행 중)"), "{text}");
    }

    #[test]
    fn a_template_using_every_documented_variable_renders() {
        let template = inline(include_str!("../../tests/fixtures/reports/every_variable.md.j2"));
        let text = render_sample(&template, &policy(Locale::En), |_| {}).unwrap();
        for expected in [
            "type=code",
            " type=code customers=1200",
            "lead=Lead lead=Lead comms=Comms",
            "first_action: rollback / rolled back to v2.3.0 / 2026-03-02 14:20 KST",
            "action: rollback / rolled back to v2.3.0 / 2026-03-02 14:20 KST / 2026-03-02T05:20:00.000Z / Responder 1",
            "highlight: 2026-03-02 14:12 KST / 2026-03-02T05:12:00.000Z / Lead / The 14:00 deploy",
            "update: 2026-03-02 14:18 KST / 2026-03-02T05:18:00.000Z / Lead / The 14:00 deploy cut the gateway timeout to 300ms, so authorisations failed / Identified",
            "change: Deploy payments API v2.3.1 / payments / 2026-03-02 14:00 KST",
            "alert: alertmanager / Payments API 5xx rate high / 2026-03-02 14:00 KST / https://alerts.example.com/sample-1 / resolved=True",
            "report: report / Incident report / 2026-03-02 18:02 KST / final=False",
            "now: 2026-03-02 19:00 KST",
        ] {
            assert!(text.contains(expected), "{expected:?} in\n{text}");
        }
    }

    #[test]
    fn an_unknown_attribute_is_an_error_naming_it_with_its_line() {
        let template = inline("# Report\n\nColour: {{ incident.colour }}\n");
        let err = render_sample(&template, &policy(Locale::En), |_| {}).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.reason, "undefined value: `incident` has no attribute `colour`");
        assert_eq!(err.to_string(), "reports/custom.md.j2:3: undefined value: `incident` has no attribute `colour`");
    }

    #[test]
    fn an_unknown_variable_is_an_error_naming_it_with_its_line() {
        let template = inline("# Report\n{{ incident.title }} {{ nope | upper }}\n");
        let err = check(&template, &policy(Locale::Ko)).unwrap_err();
        assert_eq!((err.line, err.reason.as_str()), (Some(2), "undefined value: unknown variable `nope`"));
    }

    #[test]
    fn a_syntax_error_is_reported_with_its_line() {
        let template = inline("# Report\n\n{% if incident.private %}\nprivate\n");
        let err = check(&template, &policy(Locale::En)).unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.reason.starts_with("syntax error: unexpected end of input"), "{}", err.reason);
        let err = check(&inline("{{ incident.title }\n"), &policy(Locale::En)).unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.reason.starts_with("syntax error"), "{}", err.reason);
    }

    #[test]
    fn a_final_report_marks_its_first_heading_once_whatever_the_template() {
        let template = inline("Intro\n\n```\n# not a heading\n```\n# Report {{ incident.number }}\n\n## Part\n");
        let text = render_sample(&template, &policy(Locale::Ko), |sample| sample.final_ = true).unwrap();
        assert_eq!(text, "Intro\n\n```\n# not a heading\n```\n# Report 42 (최종)\n\n## Part\n");
        assert_eq!(mark_final(&text, Locale::Ko), text, "marked once");
        let builtin = Template::builtin("builtin:en-report").unwrap();
        let text = render_sample(&builtin, &policy(Locale::En), |sample| sample.final_ = true).unwrap();
        assert_eq!(text.matches("(final)").count(), 1);
        assert!(text.lines().next().unwrap().ends_with("15:35 KST) (final)"), "{text}");
    }

    #[test]
    fn a_report_not_final_is_not_marked() {
        let text = render_sample(&inline("# Report\n"), &policy(Locale::En), |_| {}).unwrap();
        assert_eq!(text, "# Report\n");
    }

    #[test]
    fn blameless_reports_show_roles_and_named_ones_show_names() {
        let ko = policy(Locale::Ko);
        let builtin = Template::builtin("builtin:ko-report").unwrap();
        let blameless = render_sample(&builtin, &ko, |sample| sample.blameless = true).unwrap();
        for name in ["김지은", "박서준", "이하늘", "최민호"] {
            assert!(!blameless.contains(name), "{name} in\n{blameless}");
        }
        assert!(blameless.contains("- 보고자: 보고자 · 리드: 리드") && blameless.contains("— 대응자 1"), "{blameless}");
        let named = render_sample(&builtin, &ko, |sample| sample.blameless = false).unwrap();
        assert!(named.contains("- 보고자: 김지은 · 리드: 박서준") && named.contains("— 최민호"), "{named}");
    }

    #[test]
    fn values_known_but_absent_render_empty_and_numbers_without_a_fraction() {
        let template = inline(
            "[{{ first_action }}][{{ times.resolved }}][{{ durations.to_resolve }}][{{ incident.fields.customers }}][{{ incident.type }}][{{ people.roles.comms }}]\n{{ 3.0 }} {{ 1.5 }} {{ incident.number / 2 }}",
        );
        let text = render_sample(&template, &policy(Locale::En), |sample| {
            sample.timeline.retain(|e| !matches!(e.entry, TimelineEntry::ResponseAction { .. }));
            sample.incident.status = IncidentStatus::Monitoring;
            sample.fields.clear();
            sample.roles.clear();
        });
        assert_eq!(text.unwrap_err().reason, "undefined value: `people.roles` has no attribute `comms`");
        let text = render_sample(
            &inline(&template.source.replace("[{{ people.roles.comms }}]", "")),
            &policy(Locale::En),
            |sample| {
                sample.timeline.retain(|e| !matches!(e.entry, TimelineEntry::ResponseAction { .. }));
                sample.incident.status = IncidentStatus::Monitoring;
                sample.fields.clear();
            },
        )
        .unwrap();
        assert_eq!(text, "[][][][][]\n3 1.5 21");
    }

    #[test]
    fn templates_come_from_the_builtins_or_from_files() {
        assert!(Template::builtin("builtin:nope").is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ko.md.j2");
        std::fs::write(&path, "# {{ incident.title }}\n").unwrap();
        let template = Template::from_file(&path, "reports/ko.md.j2").unwrap();
        assert_eq!(template.name, "reports/ko.md.j2");
        let missing = Template::from_file(&dir.path().join("missing.md.j2"), "reports/missing.md.j2").unwrap_err();
        assert!(format!("{missing:#}").contains("reports/missing.md.j2"), "{missing:#}");
    }
}
