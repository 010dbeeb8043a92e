//! Policy files: any text loads or names its problem.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = firebell::config::policy::parse_str(text, "fuzz.toml");
});
