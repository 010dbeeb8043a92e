//! Loading the policy file (`firebell.toml`): TOML in, a validated [`Policy`] out.
//!
//! `serve` and `check-config` both come through [`load`], so they accept and refuse exactly
//! the same files. Errors name the file and line and say what is expected.

mod defaults;
mod raw;
mod templates;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

pub use validate::Problem;

use crate::domain::policy::{Mention, Policy, Share};

/// A policy that could not be loaded: where, and every problem found.
#[derive(Debug)]
pub struct PolicyError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}: {}", self.file, problem.line, problem.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

/// A loaded policy with the warnings worth showing (they do not stop anything).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub policy: Policy,
    pub warnings: Vec<Problem>,
    /// The file it came from, or `None` for the built-in defaults.
    pub source: Option<PathBuf>,
}

/// Where the policy comes from: an explicit path (`FIREBELL_CONFIG` or an argument), else
/// `firebell.toml` in the working directory when present, else the built-in defaults.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(path) => Some(path.to_owned()),
        None => {
            let default = PathBuf::from("firebell.toml");
            default.exists().then_some(default)
        }
    }
}

/// Loads and validates the policy at `path`, or the built-in defaults for `None`.
pub fn load(path: Option<&Path>) -> Result<Loaded, PolicyError> {
    let Some(path) = path else {
        return Ok(Loaded { policy: builtin(), warnings: Vec::new(), source: None });
    };
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|error| PolicyError {
        file: file.clone(),
        problems: vec![Problem { line: 1, message: format!("cannot read the policy file: {error}") }],
    })?;
    let (mut policy, warnings) = parse_str(&source, &file)?;
    let policy_dir = path.parent().unwrap_or_else(|| Path::new("."));
    let problems = templates::attach(&mut policy, policy_dir);
    if !problems.is_empty() {
        return Err(PolicyError { file, problems });
    }
    Ok(Loaded { policy, warnings, source: Some(path.to_owned()) })
}

/// Parses and validates policy text; `file` is only used in messages.
pub fn parse_str(source: &str, file: &str) -> Result<(Policy, Vec<Problem>), PolicyError> {
    let raw: raw::RawPolicy = toml::from_str(source).map_err(|error| {
        let checker = validate::Checker::new(source);
        let line = error.span().map_or(1, |span| checker.line_of(span.start));
        PolicyError {
            file: file.to_owned(),
            problems: vec![Problem { line, message: error.message().trim().replace('\n', " ") }],
        }
    })?;
    validate::validate(raw, source).map_err(|problems| PolicyError { file: file.to_owned(), problems })
}

/// The built-in policy: SEV1–SEV4 (default SEV3), UTC, English, no channels or services.
pub fn builtin() -> Policy {
    defaults::policy()
}

/// A short human summary, printed by `check-config` and logged by `serve` at start.
pub fn summary(loaded: &Loaded) -> String {
    let policy = &loaded.policy;
    let mut lines = vec![format!(
        "policy: {}",
        loaded.source.as_ref().map_or("built-in defaults".to_owned(), |p| p.display().to_string())
    )];
    lines.push(format!(
        "timezone {}, locale {}, default severity {}, channel prefix \"{}\"",
        policy.timezone,
        policy.locale.code(),
        policy.default_severity,
        policy.channels.prefix
    ));
    for severity in &policy.severities {
        let share = match severity.share {
            Share::Broad => "broad",
            Share::Narrow => "narrow",
        };
        let mention = match severity.mention {
            Mention::None => String::new(),
            Mention::Here => ", mentions @here".to_owned(),
            Mention::Channel => ", mentions @channel".to_owned(),
        };
        lines.push(format!(
            "  {} ({}): {share}{mention}, update every {}",
            severity.name,
            severity.label,
            humantime::format_duration(severity.update_every)
        ));
    }
    lines.push(format!(
        "{} service(s), {} extra role(s), {} alert rule(s), {} admin(s); announcements {}, triage {}",
        policy.services.len(),
        policy.roles.len(),
        policy.alert_rules.len(),
        policy.admins.len(),
        policy.channels.announcements.as_ref().map_or("not set".to_owned(), |c| c.to_string()),
        policy.channels.triage.as_ref().map_or("not set".to_owned(), |c| c.to_string()),
    ));
    if !policy.schedules.is_empty() {
        let mut outlets: Vec<&str> = vec!["direct message"];
        if policy.paging.pagerduty {
            outlets.push("PagerDuty");
        }
        if policy.paging.opsgenie {
            outlets.push("Opsgenie");
        }
        let severities: Vec<String> = policy.paging.severities.iter().map(|s| s.to_string()).collect();
        lines.push(format!(
            "paging: {} schedule(s); {} page the on-call by {}; acknowledge within {}, then {} escalation level(s), then the announcements",
            policy.schedules.len(),
            if severities.is_empty() { "no severity".to_owned() } else { severities.join(", ") },
            outlets.join(" and "),
            humantime::format_duration(policy.paging.ack_within),
            policy.paging.escalate_to.len(),
        ));
    }
    lines.push(match policy.retention.messages {
        None => "retention: message text of closed incidents is kept".to_owned(),
        Some(age) => format!("retention: message text is dropped {} after an incident is closed", in_days(age)),
    });
    for warning in &loaded.warnings {
        lines.push(format!("warning: line {}: {}", warning.line, warning.message));
    }
    lines.join("\n")
}

/// A retention age as people write it: whole days as `90d`, anything else as humantime
/// spells it (its months are 30.44 days, so `90d` would read `2months 29days 2h 52m 48s`).
fn in_days(age: std::time::Duration) -> String {
    const DAY: u64 = 24 * 3600;
    if age.as_secs() % DAY == 0 && age.subsec_nanos() == 0 {
        format!("{}d", age.as_secs() / DAY)
    } else {
        humantime::format_duration(age).to_string()
    }
}

/// Policies for tests in this crate.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// The contract's own example policy.
    pub const CONTRACT_EXAMPLE: &str = include_str!("../../../tests/fixtures/contract_policy.toml");

    /// The contract's example, validated.
    pub fn contract_policy() -> Policy {
        parse_str(CONTRACT_EXAMPLE, "contract.toml").expect("the contract's example loads").0
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
