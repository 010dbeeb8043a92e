//! Alerts from monitoring: route each by the policy, prompt the triage channel or declare at
//! once, count repeats instead of posting again, note resolutions, and link alerts to the
//! incidents they led to (their start is the incident's detection time).

use super::App;
use super::declare::Declaration;
use super::jobs::{self, Step};
use crate::domain::alert::{Alert, AlertStatus, route};
use crate::domain::alert::{AlertState, StoredAlert};
use crate::domain::declaration::DeclareForm;
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::policy::AlertAction;
use crate::store::alerts;
use crate::store::timeline::{self, TimelineEntry};

/// Who "reports" an incident an alert rule declared: the bot itself when known.
const SLACKBOT: &str = "USLACKBOT";

impl App {
    /// Handles the alerts of one webhook delivery.
    #[tracing::instrument(skip_all, fields(alerts = alerts.len()))]
    pub async fn receive_alerts(&self, alerts: Vec<Alert>) -> anyhow::Result<()> {
        for alert in alerts {
            let outcome = match alert.status {
                AlertStatus::Firing => self.alert_fired(&alert).await?,
                AlertStatus::Resolved => self.alert_resolved(&alert).await?,
            };
            self.metrics.count("firebell_alerts_total", &[("source", alert.source.as_str()), ("outcome", outcome)]);
        }
        Ok(())
    }

    async fn alert_fired(&self, alert: &Alert) -> anyhow::Result<&'static str> {
        let now = self.clock.now();
        let route = route(&self.policy, alert);
        let mut tx = self.store.begin().await?;
        let Some(stored) = alerts::insert(&mut tx, alert, &route.severity, route.service.as_ref(), now).await? else {
            // The same alert is active: count it, refresh its prompt, post nothing new.
            let repeated = alerts::seen_again(&mut tx, alert, now).await?;
            if let Some(repeated) = repeated.filter(|a| a.prompt_ts.is_some()) {
                let step = Step::UpdateAlertPrompt { alert_id: repeated.id, dismissed_by: None };
                jobs::enqueue(&mut tx, &step, &format!("seen:{}", repeated.seen), now).await?;
            }
            tx.commit().await?;
            self.wake_outbox();
            return Ok("repeated");
        };
        if route.action == AlertAction::Prompt {
            jobs::enqueue(&mut tx, &Step::PostAlertPrompt { alert_id: stored.id }, "prompt", now).await?;
            tx.commit().await?;
            self.wake_outbox();
            return Ok("prompted");
        }
        tx.commit().await?;
        let reporter = self.slack.cached_bot().map(|b| b.user_id).or_else(|| UserId::parse(SLACKBOT));
        match reporter {
            Some(reporter) => {
                self.declare_alert(&stored, &reporter, None).await?;
                Ok("declared")
            }
            None => Ok("failed"),
        }
    }

    async fn alert_resolved(&self, alert: &Alert) -> anyhow::Result<&'static str> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some(stored) = alerts::resolve(&mut tx, alert, now).await? else {
            tx.rollback().await?;
            return Ok("resolved_unknown");
        };
        if stored.prompt_ts.is_some() {
            jobs::enqueue(
                &mut tx,
                &Step::UpdateAlertPrompt { alert_id: stored.id, dismissed_by: None },
                "resolved",
                now,
            )
            .await?;
        }
        if let Some(incident_id) = stored.incident_id {
            let resolved = TimelineEntry::AlertResolved {
                source: stored.source,
                title: stored.title,
                fingerprint: stored.fingerprint,
            };
            timeline::append(&mut tx, incident_id, now, None, &resolved).await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok("resolved")
    }

    /// Declares an incident from an open alert (a `declare` rule, ✅ or the form); `None`
    /// when someone else already acted on it. The alert opens the incident's timeline.
    pub async fn declare_alert(
        &self,
        alert: &StoredAlert,
        reporter: &UserId,
        form: Option<Declaration>,
    ) -> anyhow::Result<Option<Incident>> {
        let mut conn = self.store.pool().acquire().await?;
        if !alerts::settle(&mut conn, alert.id, AlertState::Declared, None).await? {
            return Ok(None);
        }
        drop(conn);
        let declaration = form.unwrap_or_else(|| Declaration {
            form: DeclareForm {
                title: alert.title.clone(),
                severity: alert.severity.clone(),
                services: alert.service.clone().into_iter().collect(),
                impact: None,
                description: alert.summary.clone(),
                private: false,
            },
            reporter: reporter.clone(),
            response_url: None,
        });
        let incident = self.declare(declaration).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        alerts::link_incident(&mut tx, alert.id, incident.id).await?;
        let at = alert.started_at.unwrap_or(alert.first_seen).min(incident.declared_at);
        let fired = TimelineEntry::Alert {
            source: alert.source.clone(),
            title: alert.title.clone(),
            fingerprint: alert.fingerprint.clone(),
            link: alert.link.clone(),
        };
        timeline::append(&mut tx, incident.id, at, None, &fired).await?;
        if alert.prompt_ts.is_some() {
            jobs::enqueue(
                &mut tx,
                &Step::UpdateAlertPrompt { alert_id: alert.id, dismissed_by: None },
                "declared",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(Some(incident))
    }

    /// Dismisses an open alert (the Dismiss button or ❌).
    pub async fn dismiss_alert(&self, alert: &StoredAlert, by: &UserId) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if alerts::settle(&mut tx, alert.id, AlertState::Dismissed, None).await? {
            let step = Step::UpdateAlertPrompt { alert_id: alert.id, dismissed_by: Some(by.to_string()) };
            jobs::enqueue(&mut tx, &step, "dismissed", now).await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }
}
