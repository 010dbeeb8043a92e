//! Alerts from monitoring: route each by the policy, prompt the triage channel or declare at
//! once, count repeats instead of posting again, note resolutions, and link alerts to the
//! incidents they led to (their start is the incident's detection time).
//!
//! An alert and what it leads to are one transaction: the alert recorded (or counted), settled,
//! its incident declared and linked, its prompt's refresh enqueued — and, for ✅ or ❌, the
//! Slack delivery recorded (`app::events`). A crash or a failed statement anywhere leaves
//! nothing, so the sender's retry starts over; a commit leaves all of it, so a retry only
//! counts a repeat.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::App;
use super::declare::{self, Declaration};
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

    /// A firing alert, in one transaction whatever it leads to: recorded and prompted, recorded
    /// and declared, or counted as a repeat. A failure or a crash leaves nothing behind, and
    /// Alertmanager's retry (it retries any answer but 2xx) starts over.
    async fn alert_fired(&self, alert: &Alert) -> anyhow::Result<&'static str> {
        let route = route(&self.policy, alert);
        let fired = declare::retrying_races(|| async {
            let now = self.clock.now();
            let mut tx = self.store.begin().await?;
            let severity = &route.severity;
            let Some(stored) = alerts::insert(&mut tx, alert, severity, route.service.as_ref(), now).await? else {
                self.alert_repeated(&mut tx, alert, now).await?;
                tx.commit().await?;
                return Ok(Fired::Repeated);
            };
            let fired = match route.action {
                AlertAction::Prompt => {
                    jobs::enqueue(&mut tx, &Step::PostAlertPrompt { alert_id: stored.id }, "prompt", now).await?;
                    Fired::Prompted
                }
                AlertAction::Declare => {
                    let reporter = self.alert_reporter()?;
                    let incident = self.declare_alert_in(&mut tx, &stored, &reporter, None).await?;
                    // Inserted by this transaction, so still open: nobody else can settle it.
                    Fired::Declared(Box::new(
                        incident.ok_or_else(|| anyhow::anyhow!("a new alert was settled already"))?,
                    ))
                }
            };
            tx.commit().await?;
            Ok(fired)
        })
        .await?;
        Ok(match fired {
            Fired::Repeated => {
                self.wake_outbox();
                "repeated"
            }
            Fired::Prompted => {
                self.wake_outbox();
                "prompted"
            }
            Fired::Declared(incident) => {
                self.declared(&incident);
                "declared"
            }
        })
    }

    /// The same alert is active: count it, refresh its prompt, post nothing new.
    async fn alert_repeated(&self, tx: &mut AnyConnection, alert: &Alert, now: DateTime<Utc>) -> anyhow::Result<()> {
        let repeated = alerts::seen_again(tx, alert, now).await?;
        if let Some(repeated) = repeated.filter(|a| a.prompt_ts.is_some()) {
            let step = Step::UpdateAlertPrompt { alert_id: repeated.id, dismissed_by: None };
            jobs::enqueue(tx, &step, &format!("seen:{}", repeated.seen), now).await?;
        }
        Ok(())
    }

    /// Who reports an incident an alert rule declares: the bot when its identity is known.
    fn alert_reporter(&self) -> anyhow::Result<UserId> {
        self.slack
            .cached_bot()
            .map(|bot| bot.user_id)
            .or_else(|| UserId::parse(SLACKBOT))
            .ok_or_else(|| anyhow::anyhow!("no user to declare the alert's incident as"))
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

    /// Declares an incident from an open alert (✅ or the form) in a transaction of its own;
    /// `None` when someone else already acted on it.
    pub async fn declare_alert(
        &self,
        alert: &StoredAlert,
        reporter: &UserId,
        form: Option<Declaration>,
    ) -> anyhow::Result<Option<Incident>> {
        let incident = declare::retrying_races(|| async {
            let mut tx = self.store.begin().await?;
            let incident = self.declare_alert_in(&mut tx, alert, reporter, form.clone()).await?;
            tx.commit().await?;
            Ok(incident)
        })
        .await?;
        if let Some(incident) = &incident {
            self.declared(incident);
        }
        Ok(incident)
    }

    /// Declares an incident from an open alert inside the caller's transaction: settles the
    /// alert, records the incident, links the two, opens the timeline with the alert and
    /// refreshes its prompt — all committed together or not at all. `None` (and nothing
    /// written) when the alert is no longer open: someone else acted on it.
    pub(super) async fn declare_alert_in(
        &self,
        tx: &mut AnyConnection,
        alert: &StoredAlert,
        reporter: &UserId,
        form: Option<Declaration>,
    ) -> anyhow::Result<Option<Incident>> {
        if !alerts::settle(tx, alert.id, AlertState::Declared, None).await? {
            return Ok(None);
        }
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
        let incident = self.record_declaration(tx, &declaration).await?;
        alerts::link_incident(tx, alert.id, incident.id).await?;
        let at = alert.started_at.unwrap_or(alert.first_seen).min(incident.declared_at);
        let fired = TimelineEntry::Alert {
            source: alert.source.clone(),
            title: alert.title.clone(),
            fingerprint: alert.fingerprint.clone(),
            link: alert.link.clone(),
        };
        timeline::append(tx, incident.id, at, None, &fired).await?;
        if alert.prompt_ts.is_some() {
            let step = Step::UpdateAlertPrompt { alert_id: alert.id, dismissed_by: None };
            jobs::enqueue(tx, &step, "declared", self.clock.now()).await?;
        }
        Ok(Some(incident))
    }

    /// Dismisses an open alert (the Dismiss button).
    pub async fn dismiss_alert(&self, alert: &StoredAlert, by: &UserId) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        self.dismiss_alert_in(&mut tx, alert, by).await?;
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }

    /// Dismisses an open alert inside the caller's transaction (❌ records its delivery in the
    /// same one); `false` when it was no longer open.
    pub(super) async fn dismiss_alert_in(
        &self,
        tx: &mut AnyConnection,
        alert: &StoredAlert,
        by: &UserId,
    ) -> anyhow::Result<bool> {
        if !alerts::settle(tx, alert.id, AlertState::Dismissed, None).await? {
            return Ok(false);
        }
        let step = Step::UpdateAlertPrompt { alert_id: alert.id, dismissed_by: Some(by.to_string()) };
        jobs::enqueue(tx, &step, "dismissed", self.clock.now()).await?;
        Ok(true)
    }
}

/// What a firing alert led to.
enum Fired {
    /// The same alert was active: counted.
    Repeated,
    /// A prompt in the triage channel.
    Prompted,
    /// An incident, by the alert's rule.
    Declared(Box<Incident>),
}
