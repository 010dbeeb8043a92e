//! Slack's rate limits, as the stand-in enforces them once a test sets them: a sliding window per
//! method (Slack's tiers allow so many calls per method per workspace per minute), every n-th
//! call of a method refused, and `chat.postMessage`'s "about one message per second per
//! channel" as a token bucket per channel. A call over a limit is answered HTTP 429 with
//! `Retry-After` (whole seconds, at least 1) and `{"ok":false,"error":"ratelimited"}`, and
//! has no effect — as in Slack, where the limiter stands in front of the method.
//!
//! Also here: the one-shot faults aimed at one channel, and the count of 429s answered.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Fault, SlackStandIn, State};

/// The limits set on one stand-in, the faults aimed at channels, and the 429s answered.
#[derive(Default)]
pub(super) struct Limits {
    windows: HashMap<String, Window>,
    every: HashMap<String, Every>,
    posts: Option<PostBuckets>,
    /// One-shot faults for the next call of a method naming a channel, by (method, channel).
    in_channel: HashMap<(String, String), VecDeque<Fault>>,
    /// 429s answered, by method: the limits', injected faults' and outages'.
    refused: HashMap<String, usize>,
}

/// At most `calls` accepted calls in any `per`.
struct Window {
    calls: usize,
    per: Duration,
    /// When the calls still inside the window were accepted, oldest first.
    accepted: VecDeque<Instant>,
}

/// Every `n`-th call refused.
struct Every {
    n: u64,
    seen: u64,
    retry_after_secs: u64,
}

/// A token bucket per channel for `chat.postMessage`.
struct PostBuckets {
    per_second: f64,
    burst: f64,
    /// Tokens left and when they were counted, by the `channel` parameter as sent.
    channels: HashMap<String, (f64, Instant)>,
}

/// Whole seconds until `wait` is over, at least 1 (what Slack's `Retry-After` carries).
fn whole_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

impl Limits {
    /// Whether a call of `method` (naming `channel`) is over a limit: the seconds it must wait.
    /// A refused call takes no slot and no token.
    fn check(&mut self, method: &str, channel: Option<&str>, now: Instant) -> Option<u64> {
        if let Some(every) = self.every.get_mut(method) {
            every.seen += 1;
            if every.seen % every.n == 0 {
                return Some(every.retry_after_secs);
            }
        }
        if let Some(window) = self.windows.get_mut(method)
            && let Some(wait) = window.wait(now)
        {
            return Some(whole_seconds(wait));
        }
        let bucket = match (&mut self.posts, channel) {
            (Some(posts), Some(channel)) if method == "chat.postMessage" => Some(posts.bucket(channel, now)),
            _ => None,
        };
        if let Some((tokens, per_second)) = &bucket
            && **tokens < 1.0
        {
            return Some(whole_seconds(Duration::from_secs_f64((1.0 - **tokens) / per_second)));
        }
        // Within every limit: the call takes its slot and its token.
        if let Some(window) = self.windows.get_mut(method) {
            window.accepted.push_back(now);
        }
        if let Some((tokens, _)) = bucket {
            *tokens -= 1.0;
        }
        None
    }
}

impl Window {
    /// How long until a slot frees, when none is free now.
    fn wait(&mut self, now: Instant) -> Option<Duration> {
        while self.accepted.front().is_some_and(|at| now.duration_since(*at) >= self.per) {
            self.accepted.pop_front();
        }
        let oldest = self.accepted.front().filter(|_| self.accepted.len() >= self.calls)?;
        Some((*oldest + self.per).saturating_duration_since(now))
    }
}

impl PostBuckets {
    /// The channel's tokens, refilled up to now, and the refill rate.
    fn bucket(&mut self, channel: &str, now: Instant) -> (&mut f64, f64) {
        let (per_second, burst) = (self.per_second, self.burst);
        let (tokens, at) = self.channels.entry(channel.to_owned()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        (tokens, per_second)
    }
}

impl State {
    /// What answers this call instead of the method, if anything: a rate limit first (Slack's
    /// limiter stands in front), then a fault aimed at the call's channel, then one queued
    /// for the method, then one for any method (`"*"`). A 429 is counted.
    pub(super) fn fault_for(&mut self, method: &str, params: &Value) -> Option<Fault> {
        let channel = params.get("channel").and_then(Value::as_str);
        let fault = match self.limits.check(method, channel, Instant::now()) {
            Some(retry_after_secs) => Some(Fault::RateLimited { retry_after_secs }),
            None => channel
                .and_then(|c| self.limits.in_channel.get_mut(&(method.to_owned(), c.to_owned())))
                .and_then(VecDeque::pop_front)
                .or_else(|| self.faults.get_mut(method).and_then(VecDeque::pop_front))
                .or_else(|| self.faults.get_mut("*").and_then(VecDeque::pop_front)),
        };
        if matches!(fault, Some(Fault::RateLimited { .. })) {
            self.count_rate_limited(method);
        }
        fault
    }

    /// Counts a 429 answered to a call of `method`.
    pub(super) fn count_rate_limited(&mut self, method: &str) {
        *self.limits.refused.entry(method.to_owned()).or_default() += 1;
    }
}

impl SlackStandIn {
    /// Limits `method` to `calls` calls in any `per` (a sliding window; Slack's tiers are per
    /// method per workspace per minute: Tier 2 is `limit_method(m, 20, 60 s)`). A call over
    /// it gets HTTP 429 with `Retry-After` = whole seconds until a slot frees (at least 1),
    /// and has no effect.
    pub fn limit_method(&self, method: &str, calls: usize, per: Duration) {
        let window = Window { calls: calls.max(1), per, accepted: VecDeque::new() };
        self.lock().limits.windows.insert(method.to_owned(), window);
    }

    /// Every `n`-th call of `method` from now on (counting every call of it) gets HTTP 429
    /// with `Retry-After: retry_after_secs`, and has no effect.
    pub fn rate_limit_every(&self, method: &str, n: u64, retry_after_secs: u64) {
        let every = Every { n: n.max(1), seen: 0, retry_after_secs };
        self.lock().limits.every.insert(method.to_owned(), every);
    }

    /// `chat.postMessage` to one channel (by the `channel` parameter as sent) is limited to
    /// about `per_second` a second with bursts of `burst`: a token bucket per channel, full at
    /// first. A post over it gets HTTP 429 with `Retry-After` = whole seconds until a token is
    /// back (at least 1), and is not posted.
    pub fn limit_posts_per_channel(&self, per_second: f64, burst: u32) {
        let posts = PostBuckets {
            per_second: per_second.max(f64::MIN_POSITIVE),
            burst: f64::from(burst.max(1)),
            channels: HashMap::new(),
        };
        self.lock().limits.posts = Some(posts);
    }

    /// Queues a one-shot fault for the next call of `method` whose `channel` parameter is
    /// `channel` (FIFO per method and channel); calls naming other channels are unaffected.
    pub fn inject_in_channel(&self, method: &str, channel: &str, fault: Fault) {
        let key = (method.to_owned(), channel.to_owned());
        self.lock().limits.in_channel.entry(key).or_default().push_back(fault);
    }

    /// How many calls of `method` were answered 429 (by a limit, an injected fault or an
    /// outage answering 429).
    pub fn rate_limited(&self, method: &str) -> usize {
        self.lock().limits.refused.get(method).copied().unwrap_or(0)
    }

    /// How many calls of any method were answered 429.
    pub fn rate_limited_total(&self) -> usize {
        self.lock().limits.refused.values().sum()
    }
}
