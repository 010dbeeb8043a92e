//! `/incident` text: parsed against the contract's policy, and every refusal rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;

const POLICY: &str = include_str!("../../tests/fixtures/contract_policy.toml");

fuzz_target!(|text: &str| {
    let Ok((policy, _)) = firebell::config::policy::parse_str(POLICY, "contract.toml") else { return };
    if let Err(error) = firebell::domain::command::parse(text, &policy) {
        let _ = firebell::app::reply::grammar_error(&error, &policy);
    }
});
