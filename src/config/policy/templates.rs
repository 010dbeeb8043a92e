//! The report templates a policy names: read when the policy is loaded (a file's path is
//! relative to the policy file), then rendered against a sample incident, so that a syntax
//! error or an unknown variable stops `check-config` and `serve` before any incident needs
//! the report.

use std::path::Path;

use super::Problem;
use crate::domain::policy::Policy;
use crate::report::{self, Template};

/// Reads each file template into its entry and checks every template; the problems name the
/// entry's policy line, then the template's own `FILE:LINE: reason`.
pub fn attach(policy: &mut Policy, policy_dir: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for spec in &mut policy.reports {
        if spec.source.is_some() {
            continue;
        }
        let path = policy_dir.join(&spec.template);
        match Template::from_file(&path, &spec.template) {
            Ok(template) => spec.source = Some(template.source),
            Err(error) => {
                problems.push(Problem { line: spec.line, message: format!("report {}: {error:#}", spec.name) })
            }
        }
    }
    for spec in &policy.reports {
        let Some(source) = &spec.source else { continue };
        let template = Template { name: spec.template.clone(), source: source.clone() };
        if let Err(error) = report::check(&template, policy) {
            problems.push(Problem { line: spec.line, message: format!("report {}: {error}", spec.name) });
        }
    }
    problems
}
