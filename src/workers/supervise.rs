//! Supervision of the background tasks: a task that panics is started again after a pause, and
//! `/readyz` answers 503 naming it until then. Owns the restart policy only; what a restarted
//! task must tidy up after its last run (a job it held) is the task's own business.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::health::Health;

/// How long a task that panicked stays down before it is started again: a bug that panics
/// again at once does not spin, and readiness shows it meanwhile.
pub const RESTART_PAUSE: Duration = Duration::from_secs(1);

/// Runs the task `start` makes, on a task of its own, until it returns; each time it panics,
/// logs the panic, reports `name` down to `health`, waits [`RESTART_PAUSE`] and starts it
/// again. Ends without a restart once `shutdown` fires.
pub async fn supervised<F, Fut>(name: String, health: Arc<Health>, shutdown: CancellationToken, mut start: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let Err(ended) = tokio::spawn(start()).await else { return };
        if !ended.is_panic() {
            // Cancelled: the runtime is going away.
            return;
        }
        tracing::error!(task = name, error = %ended, "a background task panicked; it restarts");
        health.task_down(&name, &ended.to_string());
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(RESTART_PAUSE) => {}
        }
        health.task_up(&name);
        if shutdown.is_cancelled() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_reported_down_then_started_again() {
        let health = Arc::new(Health::default());
        let runs = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&runs);
        let mut supervisor =
            tokio::spawn(supervised("flaky".to_owned(), Arc::clone(&health), CancellationToken::new(), move || {
                let run = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    if run == 0 {
                        panic!("first run fails");
                    }
                }
            }));
        // Looks at readiness until the supervisor is done (bounded by the restart pause).
        let mut seen_down = None;
        let ended = loop {
            tokio::select! {
                ended = &mut supervisor => break ended,
                () = tokio::time::sleep(Duration::from_millis(5)) => {
                    seen_down = seen_down.or_else(|| health.tasks_down());
                }
            }
        };
        ended.unwrap();
        assert!(seen_down.is_some_and(|down| down.starts_with("flaky down:") && down.contains("first run fails")));
        assert_eq!(runs.load(Ordering::SeqCst), 2, "started again, and ended normally");
        assert_eq!(health.tasks_down(), None);
    }
}
