//! Alertmanager, Grafana and Datadog webhook bodies.
#![no_main]

use firebell::domain::alert::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    for source in [Source::Alertmanager, Source::Grafana, Source::Datadog] {
        let _ = firebell::integrations::parse(source, body);
    }
});
