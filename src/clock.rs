//! The one place that reads the wall clock.
//!
//! Adapters take a [`Clock`] so tests can fix "now" (signature windows, reminders); the
//! domain never reads time at all and gets `now` as a parameter.

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stuck at one instant, for tests.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The real clock plus a distance skipped ahead: `firebell demo`'s "skip ahead" moves the bot
/// into the future so reminders, escalations and deadlines come due in minutes. It only
/// moves forward, as time does.
#[derive(Debug, Default)]
pub struct SkippableClock {
    skipped_ms: std::sync::atomic::AtomicI64,
}

impl SkippableClock {
    /// Moves "now" `by` further ahead (a negative or absurd amount is ignored).
    pub fn skip(&self, by: chrono::Duration) {
        let ms = by.num_milliseconds();
        if ms > 0 {
            let _ = self.skipped_ms.fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |skipped| skipped.checked_add(ms),
            );
        }
    }

    /// How far ahead of the wall clock this clock is.
    pub fn skipped(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.skipped_ms.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl Clock for SkippableClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.checked_add_signed(self.skipped()).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skippable_clock_moves_only_forward() {
        let clock = SkippableClock::default();
        clock.skip(chrono::Duration::minutes(30));
        clock.skip(chrono::Duration::minutes(-10));
        assert_eq!(clock.skipped(), chrono::Duration::minutes(30));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > chrono::Duration::minutes(29) && ahead <= chrono::Duration::minutes(30), "{ahead}");
    }
}
