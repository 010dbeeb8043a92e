//! Bounded waiting: poll a condition until it holds, failing the test after a deadline.

use std::future::Future;
use std::time::Duration;

/// How long any wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `check` every 20 ms until it returns true; panics naming `what` after the deadline.
pub async fn until<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    until_within(DEADLINE, what, check).await;
}

/// [`until`] with a deadline of its own, for work that Slack's pace spreads out (dozens of
/// posts to one channel go at about one a second).
pub async fn until_within<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The same for a condition that needs no await.
pub async fn until_sync(what: &str, mut check: impl FnMut() -> bool) {
    until(what, || std::future::ready(check())).await;
}
