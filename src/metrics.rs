//! Counters and histograms, rendered in the Prometheus text format on `/metrics`.
//!
//! Hand-written rather than a metrics crate: a handful of labelled counters and one
//! histograms need a mutex and a formatter, not a dependency. Label values come from a fixed
//! set (routes, status codes, event types Slack defines), never from user text.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the acknowledgement latency buckets; Slack's deadline is 3 s.
const ACK_BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0];
/// Upper bounds (seconds) of the stage buckets: a stage takes microseconds, a commit a few
/// milliseconds, and anything past 100 ms is the regression to look at.
const STAGE_BUCKETS: [f64; 11] =
    [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.025, 0.1];

/// The stages of handling a Slack request, timed apart so that a slower acknowledgement
/// points at its stage: the signature check, reading the request, the domain's decision, the
/// durable write, and building the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Verify,
    Parse,
    Decide,
    Commit,
    Render,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Verify => "verify",
            Stage::Parse => "parse",
            Stage::Decide => "decide",
            Stage::Commit => "commit",
            Stage::Render => "render",
        }
    }
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; ACK_BUCKETS.len()],
    count: u64,
    sum: f64,
}

type Labels = Vec<(&'static str, String)>;

/// Every series. Counting happens on each request, so a series that exists is found and
/// bumped without allocating; only a new series allocates its labels.
#[derive(Default)]
struct Registry {
    /// Each counter's series with their labels: a list searched in place (a counter has tens
    /// of series at most), sorted only when rendered.
    counters: BTreeMap<&'static str, Vec<(Labels, u64)>>,
    /// Histograms by metric, then label value: the ack latency by endpoint, Slack calls by
    /// method, the stages.
    histograms: BTreeMap<&'static str, BTreeMap<String, Histogram>>,
}

/// The process's metrics. Cheap to share behind an `Arc`.
#[derive(Default)]
pub struct Metrics {
    registry: Mutex<Registry>,
}

const ACK: &str = "firebell_ack_seconds";
const SLACK_CALL: &str = "firebell_slack_call_seconds";
const STAGE: &str = "firebell_stage_seconds";

/// The histograms: name, label, help and bucket bounds.
type HistogramSpec = (&'static str, &'static str, &'static str, &'static [f64; 11]);
const HISTOGRAMS: [HistogramSpec; 3] = [
    (ACK, "endpoint", "Time from receiving a Slack request to acknowledging it.", &ACK_BUCKETS),
    (SLACK_CALL, "method", "Time a Slack Web API call took, by method.", &ACK_BUCKETS),
    (
        STAGE,
        "stage",
        "Time spent in each stage of a Slack request (verify, parse, decide, commit, render).",
        &STAGE_BUCKETS,
    ),
];

fn bounds_of(name: &str) -> &'static [f64; 11] {
    HISTOGRAMS.iter().find(|(n, ..)| *n == name).map_or(&ACK_BUCKETS, |(.., bounds)| *bounds)
}

/// Help texts of the counters, in the order they are rendered.
const COUNTERS: [(&str, &str); 10] = [
    ("firebell_http_requests_total", "HTTP requests by endpoint and status code."),
    ("firebell_slack_events_total", "Events API deliveries by event type and outcome (recorded, duplicate, ignored)."),
    ("firebell_commands_total", "Slash commands by subcommand (or 'invalid')."),
    ("firebell_slack_api_errors_total", "Slack Web API errors by method and error code."),
    ("firebell_reminders_total", "Reminders, escalations and nudges claimed, by kind."),
    (
        "firebell_alerts_total",
        "Webhook alerts by source and outcome (prompted, declared, repeated, resolved, unreadable).",
    ),
    (
        "firebell_socket_mode_envelopes_total",
        "Socket Mode envelopes by type and outcome (acknowledged, withheld, malformed).",
    ),
    ("firebell_shed_total", "Requests answered 503 because too many were in progress."),
    ("firebell_socket_mode_disconnects_total", "Socket Mode connections that failed or dropped (not refreshes)."),
    (
        "firebell_jobs_total",
        "Outbox jobs by kind and outcome (done, retried, waiting, rate_limited, auth_rejected, failed, channel_failed).",
    ),
];

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update; the counts are still
        // usable, and metrics must never take a request down.
        let mut registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut registry)
    }

    /// Adds one to the counter `name` with `labels`.
    pub fn count(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.with(|r| {
            let series = r.counters.entry(name).or_default();
            let same = |known: &Labels| {
                known.len() == labels.len() && known.iter().zip(labels).all(|((k, v), (lk, lv))| k == lk && v == lv)
            };
            match series.iter_mut().find(|(known, _)| same(known)) {
                Some((_, value)) => *value += 1,
                None => series.push((labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(), 1)),
            }
        });
    }

    /// Records one HTTP request; `status` is the code's digits.
    pub fn http_request(&self, endpoint: &str, status: &str) {
        self.count("firebell_http_requests_total", &[("endpoint", endpoint), ("status", status)]);
    }

    /// Records how long a Slack request took to acknowledge.
    pub fn ack_latency(&self, endpoint: &str, elapsed: Duration) {
        self.observe(ACK, endpoint, elapsed);
    }

    /// Records how long a Slack Web API call took.
    pub fn slack_call_latency(&self, method: &str, elapsed: Duration) {
        self.observe(SLACK_CALL, method, elapsed);
    }

    /// Records how long one stage of a Slack request took.
    pub fn stage(&self, stage: Stage, elapsed: Duration) {
        self.observe(STAGE, stage.as_str(), elapsed);
    }

    /// Times `f` as `stage`.
    pub fn timed<T>(&self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = f();
        self.stage(stage, started.elapsed());
        out
    }

    fn observe(&self, name: &'static str, label: &str, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bounds = bounds_of(name);
        self.with(|r| {
            let series = r.histograms.entry(name).or_default();
            if !series.contains_key(label) {
                series.insert(label.to_owned(), Histogram::default());
            }
            let Some(histogram) = series.get_mut(label) else { return };
            for (bucket, bound) in histogram.buckets.iter_mut().zip(bounds) {
                if seconds <= *bound {
                    *bucket += 1;
                }
            }
            histogram.count += 1;
            histogram.sum += seconds;
        });
    }

    /// The value of one counter (for tests).
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.with(|r| {
            r.counters.get(name).map_or(0, |series| {
                series
                    .iter()
                    .filter(|(l, _)| labels.iter().all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v)))
                    .map(|(_, n)| n)
                    .sum()
            })
        })
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.with(|r| {
            let mut out = String::new();
            for (name, help) in COUNTERS {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                let mut series: Vec<_> = r.counters.get(name).into_iter().flatten().collect();
                series.sort();
                for (labels, value) in series {
                    let _ = writeln!(out, "{name}{} {value}", render_labels(labels));
                }
            }
            for (name, label, help, bounds) in HISTOGRAMS {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
                for (value, histogram) in r.histograms.get(name).into_iter().flatten() {
                    for (bound, count) in bounds.iter().zip(histogram.buckets) {
                        let _ = writeln!(out, "{name}_bucket{{{label}=\"{value}\",le=\"{bound}\"}} {count}");
                    }
                    let _ = writeln!(out, "{name}_bucket{{{label}=\"{value}\",le=\"+Inf\"}} {}", histogram.count);
                    let _ = writeln!(out, "{name}_sum{{{label}=\"{value}\"}} {}", histogram.sum);
                    let _ = writeln!(out, "{name}_count{{{label}=\"{value}\"}} {}", histogram.count);
                }
            }
            out
        })
    }
}

fn render_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")))
        .collect();
    format!("{{{}}}", inner.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_their_labels() {
        let metrics = Metrics::default();
        metrics.http_request("/slack/commands", "200");
        metrics.http_request("/slack/commands", "200");
        metrics.http_request("/slack/events", "401");
        let text = metrics.render();
        assert!(text.contains("firebell_http_requests_total{endpoint=\"/slack/commands\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("firebell_http_requests_total{endpoint=\"/slack/events\",status=\"401\"} 1"), "{text}");
        assert_eq!(metrics.counter("firebell_http_requests_total", &[("status", "200")]), 2);
    }

    #[test]
    fn the_ack_histogram_is_cumulative() {
        let metrics = Metrics::default();
        metrics.ack_latency("/slack/events", Duration::from_millis(3));
        metrics.ack_latency("/slack/events", Duration::from_millis(40));
        let text = metrics.render();
        assert!(text.contains("firebell_ack_seconds_bucket{endpoint=\"/slack/events\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("firebell_ack_seconds_bucket{endpoint=\"/slack/events\",le=\"0.05\"} 2"), "{text}");
        assert!(text.contains("firebell_ack_seconds_count{endpoint=\"/slack/events\"} 2"), "{text}");
    }

    #[test]
    fn each_stage_has_its_own_series_with_microsecond_buckets() {
        let metrics = Metrics::default();
        metrics.stage(Stage::Verify, Duration::from_micros(8));
        let parsed = metrics.timed(Stage::Parse, || 41);
        assert_eq!(parsed, 41);
        metrics.stage(Stage::Commit, Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains("firebell_stage_seconds_bucket{stage=\"verify\",le=\"0.00001\"} 1"), "{text}");
        assert!(text.contains("firebell_stage_seconds_bucket{stage=\"commit\",le=\"0.0025\"} 0"), "{text}");
        assert!(text.contains("firebell_stage_seconds_bucket{stage=\"commit\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("firebell_stage_seconds_count{stage=\"parse\"} 1"), "{text}");
        assert!(text.contains("firebell_ack_seconds"), "the other histograms keep their buckets");
    }

    #[test]
    fn label_values_are_escaped() {
        let metrics = Metrics::default();
        metrics.count("firebell_commands_total", &[("command", "a\"b")]);
        assert!(metrics.render().contains("command=\"a\\\"b\""));
    }
}
