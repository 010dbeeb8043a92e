//! Exactly once for posts: one attempt of one outbox job, as the Slack facade sees it.
//!
//! An outbox job is retried until it succeeds, so a message it posts could be posted once per
//! attempt. A [`Delivery`] names the job and the attempt; [`super::SlackApi::post_message`]
//! takes one and marks the post with a delivery key (job, place, n-th post to that place), and
//! a retry first looks for a message carrying that key before posting. Calls that take no
//! `Delivery` (edits, topics, pins, invitations) are at-least-once and safe to repeat.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// A post is made only while the job's lease is known to hold at least this part of a lease
/// longer (a third): time for the post to reach Slack before another worker could take the job.
const POST_MARGIN_PER_LEASE: u32 = 3;

/// One attempt of one outbox job: what a job step passes to the calls that must happen once.
#[derive(Debug)]
pub struct Delivery {
    job_id: i64,
    /// Whether an earlier attempt of this job may have posted already.
    retry: bool,
    /// Messages posted so far in this attempt, per place (channel and thread): a job that
    /// posts twice to one place gives each post its own key, the same on every attempt. Only
    /// posts that landed count, so a refused one (`not_in_channel`, then join and post again)
    /// does not shift the keys of those after it.
    posts: Mutex<HashMap<String, u32>>,
    /// Set when the worker's lease on the job was lost (another worker has the job now): no
    /// further post may be made for it here.
    lost: AtomicBool,
    /// Until when (epoch milliseconds) the worker's lease is known to hold, from its claim
    /// and each renewal; `i64::MAX` when no lease is tracked.
    held_until: AtomicI64,
    /// How long before `held_until` posting stops, in milliseconds.
    margin_ms: AtomicI64,
}

impl Delivery {
    /// Attempt `attempt` (counting from 1) of outbox job `job_id`.
    pub fn new(job_id: i64, attempt: i64) -> Delivery {
        Delivery {
            job_id,
            retry: attempt > 1,
            posts: Mutex::default(),
            lost: AtomicBool::new(false),
            held_until: AtomicI64::new(i64::MAX),
            margin_ms: AtomicI64::new(0),
        }
    }

    /// The outbox job this is an attempt of.
    pub fn job_id(&self) -> i64 {
        self.job_id
    }

    /// The worker's lease (of length `lease`) holds until `until`: its claim, or a renewal
    /// that succeeded.
    pub fn held_until(&self, until: DateTime<Utc>, lease: std::time::Duration) {
        let margin = i64::try_from((lease / POST_MARGIN_PER_LEASE).as_millis()).unwrap_or(i64::MAX);
        self.margin_ms.store(margin, Ordering::SeqCst);
        self.held_until.store(until.timestamp_millis(), Ordering::SeqCst);
    }

    /// Whether a post may be made now: the lease is not lost, and holds long enough that
    /// no other worker can take the job over before the post reaches Slack (renewals that
    /// fall behind, under a busy database, make the job wait rather than risk a double).
    pub(super) fn may_post(&self, now: DateTime<Utc>) -> bool {
        let margin = self.margin_ms.load(Ordering::SeqCst);
        !self.is_lost() && self.held_until.load(Ordering::SeqCst).saturating_sub(margin) > now.timestamp_millis()
    }

    /// The worker lost its lease on the job: stop posting for it, another worker has it.
    pub fn lose(&self) {
        self.lost.store(true, Ordering::SeqCst);
    }

    /// Whether the job was lost to another worker.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Whether an earlier attempt may have made this attempt's posts already.
    pub(super) fn is_retry(&self) -> bool {
        self.retry
    }

    /// The key of the next post to `place` in this attempt.
    pub(super) fn next_key(&self, place: &str) -> String {
        let posts = self.posts.lock().unwrap_or_else(|p| p.into_inner());
        let n = posts.get(place).copied().unwrap_or(0) + 1;
        format!("{}:{place}:{n}", self.job_id)
    }

    /// A post to `place` landed (or was found from an earlier attempt).
    pub(super) fn landed(&self, place: &str) {
        let mut posts = self.posts.lock().unwrap_or_else(|p| p.into_inner());
        *posts.entry(place.to_owned()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_post_to_one_place_gets_the_next_key_only_once_it_landed() {
        let delivery = Delivery::new(7, 1);
        assert_eq!(delivery.next_key("C1/"), "7:C1/:1");
        // Refused, then tried again: the same key.
        assert_eq!(delivery.next_key("C1/"), "7:C1/:1");
        delivery.landed("C1/");
        assert_eq!(delivery.next_key("C1/"), "7:C1/:2");
        assert_eq!(delivery.next_key("C1/17.5"), "7:C1/17.5:1");
    }

    #[test]
    fn a_post_waits_when_the_lease_is_about_to_run_out() {
        let delivery = Delivery::new(3, 1);
        let now = Utc::now();
        let lease = std::time::Duration::from_secs(3);
        assert!(delivery.may_post(now), "no lease tracked");
        delivery.held_until(now + chrono::Duration::seconds(3), lease);
        assert!(delivery.may_post(now));
        delivery.held_until(now + chrono::Duration::milliseconds(900), lease);
        assert!(!delivery.may_post(now), "less than a third of the lease is too little");
        delivery.held_until(now + chrono::Duration::seconds(3), lease);
        delivery.lose();
        assert!(!delivery.may_post(now));
    }

    #[test]
    fn a_lost_delivery_stays_lost() {
        let delivery = Delivery::new(3, 1);
        assert!(!delivery.is_lost());
        delivery.lose();
        assert!(delivery.is_lost());
    }

    #[test]
    fn only_a_second_attempt_may_find_its_earlier_posts() {
        assert!(!Delivery::new(1, 1).is_retry());
        assert!(Delivery::new(1, 2).is_retry());
    }
}
