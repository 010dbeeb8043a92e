//! The dashboard overview's figures for the last N days: reads what the window holds, shapes
//! it with `domain::overview` and words it with `render::overview`. The counts and mean times
//! are computed exactly as `/incident stats` computes them, from the same queries.

use chrono::Duration;

use super::App;
use crate::domain::overview::{self, CHANGES_AROUND, Overview};
use crate::render::overview::Figures;

impl App {
    /// The overview's figures for the last `days` days (7, 30 or 90 on the dashboard), with
    /// the pre-shared changes of the days around now.
    #[tracing::instrument(skip_all, fields(window.days = days))]
    pub async fn overview_figures(&self, days: i64) -> anyhow::Result<Figures> {
        let now = self.clock.now();
        let since = now - Duration::days(days);
        let severities = self.policy.severity_names();
        // The same reading and computing as `/incident stats`, so the figures equal it.
        let (incidents, stats) = self.stats_since(since, crate::domain::stats::Drills::LeftOut).await?;
        let followups = self.store.followups_of_incidents_since(since).await?;
        let alerts = self.store.alert_groups_seen_since(since).await?;
        let changes = self.store.changes_between(now - CHANGES_AROUND, now + CHANGES_AROUND).await?;
        let today = now.with_timezone(&self.policy.timezone).date_naive();
        let overview = Overview {
            days,
            stats,
            weekly: overview::weekly_by_severity(&incidents, &severities, since, now),
            followups: overview::followup_tallies(&followups, today),
            alerts: overview::alert_tallies(&alerts),
            changes,
        };
        crate::render::overview::figures(&overview, &self.policy, now)
    }
}
