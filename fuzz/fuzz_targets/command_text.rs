//! `/incident` text: parsed against the contract's policy, and every refusal rendered.
#![no_main]

use std::sync::OnceLock;

use firebell::domain::policy::Policy;
use libfuzzer_sys::fuzz_target;

const POLICY: &str = include_str!("../../tests/fixtures/contract_policy.toml");

/// The policy, loaded once: loading it on every input held the first run to 755 executions/s.
fn policy() -> &'static Policy {
    static POLICY_ONCE: OnceLock<Policy> = OnceLock::new();
    POLICY_ONCE.get_or_init(|| {
        firebell::config::policy::parse_str(POLICY, "contract.toml").expect("the contract policy loads").0
    })
}

fuzz_target!(|text: &str| {
    let policy = policy();
    if let Err(error) = firebell::domain::command::parse(text, policy) {
        let _ = firebell::app::reply::grammar_error(&error, policy);
    }
});
