//! Slack's rate limits, kept on our side before Slack has to enforce them.
//!
//! Slack limits each Web API method per workspace by tier (Tier 2 about 20 calls a minute,
//! Tier 3 about 50, Tier 4 about 100) and posts to about one a second per channel, with short
//! bursts allowed; over a limit it answers 429 with `Retry-After`. A big fan-out (a SEV1's
//! notices, invitations, topics) that ignored this would provoke a 429 storm and wait out
//! every `Retry-After` in turn. The [`Pacer`] keeps a token bucket per method (a minute's
//! budget of burst, refilled at the tier's rate) and per channel for posts (a burst of
//! [`POST_BURST`], one a second), and remembers each 429's `Retry-After` for the method — or,
//! for a post, the channel — it names, so other jobs do not walk into the same limit.
//!
//! The buckets live in this process: two replicas each pace themselves, and Slack's own 429s
//! (honoured the same way) cover what they add up to. Pure: the caller gives the instant.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Posts a channel takes at once before the one-a-second pace applies.
pub const POST_BURST: f64 = 3.0;
/// Posts a second to one channel, once the burst is spent: a tenth under Slack's one a second.
/// A post is admitted here a moment before it is sent, and posts run side by side, so two
/// admitted a second apart can reach Slack a little less than a second apart (a retry's
/// look-up, a slower database write in between); the margin keeps a long run of posts to one
/// channel — a triage channel during an alert storm — from drifting into a 429.
const POSTS_PER_SECOND: f64 = 0.9;

/// The calls a minute Slack allows a method (its tier), or `None` for methods paced
/// otherwise (`chat.postMessage`, per channel) or limited far above what firebell sends
/// (`auth.test`) or by their own reconnection backoff (`apps.connections.open`).
pub fn calls_per_minute(method: &str) -> Option<u32> {
    match method {
        "conversations.create"
        | "conversations.list"
        | "conversations.archive"
        | "conversations.setTopic"
        | "conversations.setPurpose"
        | "conversations.canvases.create"
        | "canvases.create"
        | "pins.add"
        | "bookmarks.add" => Some(20),
        "conversations.invite"
        | "conversations.join"
        | "conversations.info"
        | "conversations.history"
        | "conversations.replies"
        | "users.conversations"
        | "chat.update"
        | "reactions.add"
        | "canvases.edit"
        | "canvases.access.set" => Some(50),
        "users.info"
        | "views.open"
        | "views.push"
        | "views.update"
        | "chat.postEphemeral"
        | "chat.getPermalink"
        | "files.getUploadURLExternal"
        | "files.completeUploadExternal" => Some(100),
        _ => None,
    }
}

/// A token bucket: `capacity` calls at once, refilled at `per_second`.
#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    updated: Instant,
}

impl Bucket {
    fn full(capacity: f64, per_second: f64, now: Instant) -> Bucket {
        Bucket { tokens: capacity, capacity, per_second, updated: now }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
    }

    /// How long until a token is there (zero when one is).
    fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 { Duration::ZERO } else { Duration::from_secs_f64((1.0 - self.tokens) / self.per_second) }
    }

    fn take(&mut self) {
        self.tokens -= 1.0;
    }
}

#[derive(Debug, Default)]
struct Paces {
    methods: HashMap<String, Bucket>,
    channels: HashMap<String, Bucket>,
    /// Until when Slack asked a method (`Retry-After`) to wait.
    held_methods: HashMap<String, Instant>,
    /// Until when Slack asked posts to a channel to wait.
    held_channels: HashMap<String, Instant>,
}

/// The pace of one process's Slack calls; see the module docs.
#[derive(Debug)]
pub struct Pacer {
    paces: Mutex<Paces>,
    /// Whether the published limits are kept; `Retry-After` is honoured either way.
    budgets: bool,
}

impl Default for Pacer {
    fn default() -> Pacer {
        Pacer::new(true)
    }
}

impl Pacer {
    /// A pacer that keeps Slack's published limits (`budgets`), or only the `Retry-After`s
    /// Slack gives.
    pub fn new(budgets: bool) -> Pacer {
        Pacer { paces: Mutex::default(), budgets }
    }

    /// Takes a slot for a call to `method` (for a post, to `channel` too) at `now`, or says
    /// how long to wait before one is free. Nothing is taken when it says wait.
    pub fn admit(&self, method: &str, channel: Option<&str>, now: Instant) -> Result<(), Duration> {
        let mut paces = self.paces.lock().unwrap_or_else(|p| p.into_inner());
        let paces = &mut *paces;
        let held = |until: Option<&Instant>| until.map_or(Duration::ZERO, |u| u.saturating_duration_since(now));
        let mut wait = held(paces.held_methods.get(method));
        if let Some(channel) = channel {
            wait = wait.max(held(paces.held_channels.get(channel)));
        }
        let per_minute = calls_per_minute(method).filter(|_| self.budgets);
        if let Some(per_minute) = per_minute {
            let budget = f64::from(per_minute);
            let bucket =
                paces.methods.entry(method.to_owned()).or_insert_with(|| Bucket::full(budget, budget / 60.0, now));
            wait = wait.max(bucket.wait(now));
        }
        if let Some(channel) = channel.filter(|_| self.budgets) {
            let bucket = paces
                .channels
                .entry(channel.to_owned())
                .or_insert_with(|| Bucket::full(POST_BURST, POSTS_PER_SECOND, now));
            wait = wait.max(bucket.wait(now));
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        if per_minute.is_some()
            && let Some(bucket) = paces.methods.get_mut(method)
        {
            bucket.take();
        }
        if let Some(channel) = channel.filter(|_| self.budgets)
            && let Some(bucket) = paces.channels.get_mut(channel)
        {
            bucket.take();
        }
        Ok(())
    }

    /// Slack answered 429: calls to `method` — or, for a post, posts to `channel` — wait
    /// `retry_after` (a second when Slack did not say).
    pub fn held(&self, method: &str, channel: Option<&str>, retry_after: Option<Duration>, now: Instant) {
        let until = now + retry_after.unwrap_or(Duration::from_secs(1));
        let mut paces = self.paces.lock().unwrap_or_else(|p| p.into_inner());
        let held = match channel {
            Some(channel) => paces.held_channels.entry(channel.to_owned()).or_insert(until),
            None => paces.held_methods.entry(method.to_owned()).or_insert(until),
        };
        *held = (*held).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_channel_takes_a_short_burst_then_a_little_under_one_post_a_second() {
        let pacer = Pacer::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.admit("chat.postMessage", Some("C1"), start), Ok(()));
        }
        let wait = pacer.admit("chat.postMessage", Some("C1"), start).unwrap_err();
        // 1 / 0.9 s: a tenth under Slack's pace.
        assert!(wait > Duration::from_millis(1100) && wait < Duration::from_millis(1120), "{wait:?}");
        assert_eq!(pacer.admit("chat.postMessage", Some("C2"), start), Ok(()), "another channel is not held");
        assert!(pacer.admit("chat.postMessage", Some("C1"), start + SECOND).is_err(), "not quite a second's token");
        let next = start + Duration::from_millis(1112);
        assert_eq!(pacer.admit("chat.postMessage", Some("C1"), next), Ok(()));
        assert!(pacer.admit("chat.postMessage", Some("C1"), next).is_err());
    }

    #[test]
    fn a_method_takes_a_minutes_budget_then_its_tiers_pace() {
        let pacer = Pacer::default();
        let start = Instant::now();
        for _ in 0..20 {
            assert_eq!(pacer.admit("conversations.create", None, start), Ok(()));
        }
        let wait = pacer.admit("conversations.create", None, start).unwrap_err();
        assert_eq!(wait.as_secs(), 3, "Tier 2: one call every three seconds: {wait:?}");
        assert_eq!(pacer.admit("conversations.create", None, start + Duration::from_secs(3)), Ok(()));
        assert_eq!(pacer.admit("users.info", None, start), Ok(()), "other methods have their own budget");
    }

    #[test]
    fn methods_without_a_tier_are_not_paced() {
        let pacer = Pacer::default();
        let start = Instant::now();
        for _ in 0..1000 {
            assert_eq!(pacer.admit("auth.test", None, start), Ok(()));
        }
    }

    #[test]
    fn without_budgets_only_slacks_retry_after_holds() {
        let pacer = Pacer::new(false);
        let start = Instant::now();
        for _ in 0..100 {
            assert_eq!(pacer.admit("conversations.create", None, start), Ok(()));
            assert_eq!(pacer.admit("chat.postMessage", Some("C1"), start), Ok(()));
        }
        pacer.held("chat.postMessage", Some("C1"), Some(SECOND), start);
        assert_eq!(pacer.admit("chat.postMessage", Some("C1"), start), Err(SECOND));
    }

    #[test]
    fn a_429_holds_the_method_it_names_for_its_retry_after() {
        let pacer = Pacer::default();
        let start = Instant::now();
        pacer.held("conversations.invite", None, Some(Duration::from_secs(20)), start);
        assert_eq!(pacer.admit("conversations.invite", None, start), Err(Duration::from_secs(20)));
        assert_eq!(pacer.admit("conversations.setTopic", None, start), Ok(()));
        assert_eq!(pacer.admit("conversations.invite", None, start + Duration::from_secs(20)), Ok(()));
    }

    #[test]
    fn a_429_on_a_post_holds_that_channel_only() {
        let pacer = Pacer::default();
        let start = Instant::now();
        pacer.held("chat.postMessage", Some("C1"), Some(Duration::from_secs(20)), start);
        assert_eq!(pacer.admit("chat.postMessage", Some("C1"), start), Err(Duration::from_secs(20)));
        assert_eq!(pacer.admit("chat.postMessage", Some("C2"), start), Ok(()));
        // A shorter Retry-After later does not shorten the hold.
        pacer.held("chat.postMessage", Some("C1"), Some(SECOND), start);
        assert_eq!(pacer.admit("chat.postMessage", Some("C1"), start + SECOND), Err(Duration::from_secs(19)));
    }

    #[test]
    fn a_refused_slot_is_not_taken() {
        let pacer = Pacer::default();
        let start = Instant::now();
        pacer.held("chat.postMessage", Some("C1"), Some(SECOND), start);
        assert!(pacer.admit("chat.postMessage", Some("C1"), start).is_err());
        // The hold is over: the whole burst is still there.
        for _ in 0..3 {
            assert_eq!(pacer.admit("chat.postMessage", Some("C1"), start + SECOND), Ok(()));
        }
    }
}
