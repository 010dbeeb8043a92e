//! Alerts from monitoring, as their sources group them: one prompt per group (or, while the
//! triage channel is flooded, one storm prompt listing the groups), or an incident at once by
//! the policy's rule; each alert's firings counted (a return from resolved, not every
//! notification); resolutions noted, and said in the incident channel; alerts linked to the
//! incidents they led to (their start is the incident's detection time).
//!
//! A group's share of a notification and what it leads to are one transaction: the alerts
//! recorded, the group settled, its incident declared and linked, its prompt's post or edit
//! enqueued — and, for ✅ or ❌, the Slack delivery recorded (`app::events`). A crash or a
//! failed statement anywhere leaves nothing, so the sender's retry starts over; a commit
//! leaves all of it, so a retry is a repeat that changes nothing.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::App;
use super::declare::{self, Declaration};
use super::jobs::{self, Step};
use crate::domain::alert::{Alert, AlertGroup, AlertState, AlertStatus};
use crate::domain::alert_group::{Arrival, Change, Notification, arrivals, change, joins_storm};
use crate::domain::declaration::DeclareForm;
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentId};
use crate::domain::policy::AlertAction;
use crate::domain::timeline::DeclaringRule;
use crate::render;
use crate::store::alert_groups as groups;
use crate::store::incidents;
use crate::store::timeline::{self, TimelineEntry};

/// Who "reports" an incident an alert rule declared: the bot itself when known.
const SLACKBOT: &str = "USLACKBOT";

impl App {
    /// Handles one webhook notification: each group it feeds (the source's group, split by
    /// route) in a transaction of its own.
    #[tracing::instrument(skip_all, fields(alerts = notification.alerts.len()))]
    pub async fn receive_alerts(&self, notification: Notification) -> anyhow::Result<()> {
        for arrival in arrivals(&self.policy, &notification) {
            let outcome = self.arrive(&arrival).await?;
            self.metrics.count("firebell_alerts_total", &[("source", arrival.source.as_str()), ("outcome", outcome)]);
        }
        Ok(())
    }

    /// One group's share of a notification, in one transaction whatever it leads to: a new
    /// group prompted (or listed in the storm prompt) or declared, or an existing group's
    /// alerts joined, resolved or fired again. A failure or a crash leaves nothing behind, and
    /// the sender's retry (Alertmanager retries any answer but 2xx) starts over.
    async fn arrive(&self, arrival: &Arrival) -> anyhow::Result<&'static str> {
        let arrived = declare::retrying_races(|| async {
            let now = self.clock.now();
            let mut tx = self.store.begin().await?;
            let outcome = self.arrive_in(&mut tx, arrival, now).await?;
            tx.commit().await?;
            Ok(outcome)
        })
        .await?;
        Ok(match arrived {
            Arrived::Declared(incident) => {
                self.declared(&incident);
                "declared"
            }
            Arrived::Other(outcome) => {
                self.wake_outbox();
                outcome
            }
        })
    }

    async fn arrive_in(
        &self,
        tx: &mut AnyConnection,
        arrival: &Arrival,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Arrived> {
        let source = arrival.source.as_str();
        let (group, new) = match groups::active(tx, source, &arrival.key).await? {
            Some(group) => (group, false),
            None if arrival.alerts.iter().all(|a| a.status == AlertStatus::Resolved) => {
                // Resolved alerts of a group that is over (or never seen): nothing to say.
                return Ok(Arrived::Other("resolved_unknown"));
            }
            None => {
                if arrival.route.action == AlertAction::Prompt {
                    groups::hold_flood_gate(tx, now).await?;
                }
                // `None`: a copy of this notification made the group a moment ago; the retry
                // finds it.
                let group = groups::insert(tx, arrival, now)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("the group was recorded by another delivery"))?;
                (group, true)
            }
        };
        let members = groups::members(tx, group.id).await?;
        let mut news = News::default();
        for alert in &arrival.alerts {
            let before = members.iter().find(|m| m.fingerprint == alert.fingerprint);
            match change(before.map(|m| !m.resolved), alert.status) {
                Change::Joined => {
                    groups::add_member(tx, &group, alert, now).await?;
                    news.joined.push(alert);
                }
                Change::FiredAgain => {
                    groups::set_member_status(tx, group.id, &alert.fingerprint, true, true, now).await?;
                    news.fired_again.push(alert);
                }
                Change::Resolved => {
                    groups::set_member_status(tx, group.id, &alert.fingerprint, false, false, now).await?;
                    news.resolved.push(alert);
                }
                Change::Unchanged => {
                    let firing = alert.status == AlertStatus::Firing;
                    groups::set_member_status(tx, group.id, &alert.fingerprint, firing, false, now).await?;
                }
                Change::Unknown => {}
            }
        }
        let all_resolved = groups::members(tx, group.id).await?.iter().all(|m| m.resolved);
        if all_resolved {
            groups::all_resolved(tx, group.id).await?;
        }
        if new {
            return match group.action {
                AlertAction::Prompt => self.prompt_new_group(tx, &group, now).await,
                AlertAction::Declare => {
                    let reporter = self.alert_reporter()?;
                    let rule = DeclaringRule {
                        source: group.source.clone(),
                        matchers: group.rule.clone().unwrap_or_default(),
                    };
                    let declaration = self.group_declaration(tx, &group, &reporter, Some(rule)).await?;
                    let incident = self.declare_group_in(tx, &group, &reporter, Some(declaration)).await?;
                    // Inserted by this transaction, so still open: nobody else can settle it.
                    let incident = incident.ok_or_else(|| anyhow::anyhow!("a new alert group was settled already"))?;
                    Ok(Arrived::Declared(Box::new(incident)))
                }
            };
        }
        if news.is_empty() {
            // A repeat (`repeat_interval`, a copy): nothing fired, joined or resolved.
            return Ok(Arrived::Other("repeated"));
        }
        let revision = groups::changed(tx, group.id, now).await?;
        let step = Step::UpdateAlertPrompt { alert_id: group.id, dismissed_by: None, revision: Some(revision) };
        jobs::enqueue(tx, &step, &format!("r{revision}"), now).await?;
        if let Some(storm_id) = group.storm_id {
            let revision = groups::storm_changed(tx, storm_id).await?;
            jobs::enqueue(tx, &Step::UpdateStormPrompt { storm_id, revision }, &format!("r{revision}"), now).await?;
        }
        if let Some(incident_id) = group.incident_id {
            self.tell_incident(tx, incident_id, &group, &news, now).await?;
        }
        Ok(Arrived::Other(if news.resolved.is_empty() { "updated" } else { "resolved" }))
    }

    /// A new group that asks for triage: a prompt of its own, or — while the triage channel
    /// is flooded — a line in the storm prompt.
    async fn prompt_new_group(
        &self,
        tx: &mut AnyConnection,
        group: &AlertGroup,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Arrived> {
        let Some(channel) = self.policy.channels.triage.clone().or_else(|| self.policy.channels.announcements.clone())
        else {
            jobs::enqueue(tx, &Step::PostAlertPrompt { alert_id: group.id }, "prompt", now).await?;
            return Ok(Arrived::Other("prompted"));
        };
        let minute_ago = now - chrono::Duration::seconds(60);
        // This group is counted too: the threshold is of new prompts, this one included.
        let recent = groups::new_prompt_groups(tx, minute_ago).await?.saturating_sub(1);
        let storm = groups::active_storm(tx, channel.as_str()).await?;
        if !joins_storm(recent, self.policy.alert_flood_threshold, storm.is_some()) {
            if let Some(storm) = storm {
                groups::end_storm(tx, storm.id).await?;
            }
            jobs::enqueue(tx, &Step::PostAlertPrompt { alert_id: group.id }, "prompt", now).await?;
            return Ok(Arrived::Other("prompted"));
        }
        let storm = match storm {
            Some(storm) => storm,
            None => {
                let storm = groups::start_storm(tx, channel.as_str(), now).await?;
                tracing::warn!(
                    slack.channel = %channel,
                    recent,
                    threshold = self.policy.alert_flood_threshold,
                    "alert storm: new groups are listed in one prompt instead of one prompt each"
                );
                jobs::enqueue(tx, &Step::PostStormPrompt { storm_id: storm.id }, "storm", now).await?;
                storm
            }
        };
        let revision = groups::join_storm(tx, group.id, storm.id).await?;
        let step = Step::UpdateStormPrompt { storm_id: storm.id, revision };
        jobs::enqueue(tx, &step, &format!("r{revision}"), now).await?;
        Ok(Arrived::Other("storm"))
    }

    /// Tells a declared group's incident what its alerts did: joined and fired-again alerts
    /// on its timeline; resolved ones on its timeline and in its channel; and, once every
    /// alert of the incident has resolved, that the signal cleared, in its channel and in
    /// every notice's thread.
    async fn tell_incident(
        &self,
        tx: &mut AnyConnection,
        incident_id: IncidentId,
        group: &AlertGroup,
        news: &News<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        for alert in news.joined.iter().chain(&news.fired_again) {
            let fired = TimelineEntry::Alert {
                source: group.source.clone(),
                title: alert.title.clone(),
                fingerprint: alert.fingerprint.clone(),
                link: alert.link.clone(),
            };
            timeline::append(tx, incident_id, now, None, &fired).await?;
        }
        let mut last = None;
        for alert in &news.resolved {
            let resolved = TimelineEntry::AlertResolved {
                source: group.source.clone(),
                title: alert.title.clone(),
                fingerprint: alert.fingerprint.clone(),
            };
            last = Some(timeline::append(tx, incident_id, now, None, &resolved).await?);
        }
        let Some(event) = last else { return Ok(()) };
        let Some(incident) = incidents::find(tx, incident_id).await? else { return Ok(()) };
        let scope = format!("alerts_resolved:{event}");
        let everything = groups::incident_alerts_all_resolved(tx, incident_id).await?;
        let text = render::alerts::resolved_in_incident(&news.resolved, everything, &self.policy);
        if incident.channel.is_some() {
            jobs::enqueue(tx, &Step::PostInChannel { incident_id, text: text.clone() }, &scope, now).await?;
        }
        if everything && incident.status.is_open() {
            let notices = self.store.notices(incident_id).await?;
            for notice in notices.iter().filter(|n| n.error.is_none()) {
                let step = Step::ReplyInThread {
                    incident_id,
                    channel: notice.channel.to_string(),
                    thread_ts: notice.ts.clone().unwrap_or_default(),
                    text: text.clone(),
                    broadcast: false,
                };
                jobs::enqueue(tx, &step, &format!("{scope}:{}", notice.channel), now).await?;
            }
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

    /// Declares an incident from an open alert group (✅ or the form) in a transaction of its
    /// own; `None` when someone else already acted on it.
    pub async fn declare_group(
        &self,
        group: &AlertGroup,
        reporter: &UserId,
        form: Option<Declaration>,
    ) -> anyhow::Result<Option<Incident>> {
        let incident = declare::retrying_races(|| async {
            let mut tx = self.store.begin().await?;
            let incident = self.declare_group_in(&mut tx, group, reporter, form.clone()).await?;
            tx.commit().await?;
            Ok(incident)
        })
        .await?;
        if let Some(incident) = &incident {
            self.declared(incident);
        }
        Ok(incident)
    }

    /// Declares an incident from an open group inside the caller's transaction: settles the
    /// group, records the incident, links it and every alert of the group, opens the timeline
    /// with the alerts and refreshes the prompt — all committed together or not at all. `None`
    /// (and nothing written) when the group is no longer open: someone else acted on it.
    pub(super) async fn declare_group_in(
        &self,
        tx: &mut AnyConnection,
        group: &AlertGroup,
        reporter: &UserId,
        form: Option<Declaration>,
    ) -> anyhow::Result<Option<Incident>> {
        if !groups::settle(tx, group.id, AlertState::Declared).await? {
            return Ok(None);
        }
        let members = groups::members(tx, group.id).await?;
        let declaration = match form {
            Some(form) => form,
            None => self.group_declaration(tx, group, reporter, None).await?,
        };
        let incident = self.record_declaration(tx, &declaration).await?;
        groups::link_incident(tx, group.id, incident.id).await?;
        for alert in &members {
            let at = alert.started_at.unwrap_or(alert.first_seen).min(incident.declared_at);
            let fired = TimelineEntry::Alert {
                source: alert.source.clone(),
                title: alert.title.clone(),
                fingerprint: alert.fingerprint.clone(),
                link: alert.link.clone(),
            };
            timeline::append(tx, incident.id, at, None, &fired).await?;
        }
        let revision = groups::changed(tx, group.id, self.clock.now()).await?;
        let step = Step::UpdateAlertPrompt { alert_id: group.id, dismissed_by: None, revision: Some(revision) };
        jobs::enqueue(tx, &step, &format!("r{revision}"), self.clock.now()).await?;
        Ok(Some(incident))
    }

    /// The declaration a group makes by itself: its title, severity, service and first
    /// alert's description.
    async fn group_declaration(
        &self,
        tx: &mut AnyConnection,
        group: &AlertGroup,
        reporter: &UserId,
        rule: Option<DeclaringRule>,
    ) -> anyhow::Result<Declaration> {
        let members = groups::members(tx, group.id).await?;
        Ok(Declaration {
            form: DeclareForm {
                title: group.title.clone(),
                severity: group.severity.clone(),
                services: group.service.clone().into_iter().collect(),
                impact: None,
                description: members.first().and_then(|m| m.summary.clone()),
                private: false,
                // An alert is real trouble; a drill is declared by a person.
                drill: false,
            },
            reporter: reporter.clone(),
            response_url: None,
            rule,
        })
    }

    /// Dismisses an open group (the Dismiss button).
    pub async fn dismiss_group(&self, group: &AlertGroup, by: &UserId) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        self.dismiss_group_in(&mut tx, group, by).await?;
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }

    /// Dismisses an open group inside the caller's transaction (❌ records its delivery in the
    /// same one); `false` when it was no longer open. It stays active, so the notifications of
    /// its alerts that are still firing do not prompt again.
    pub(super) async fn dismiss_group_in(
        &self,
        tx: &mut AnyConnection,
        group: &AlertGroup,
        by: &UserId,
    ) -> anyhow::Result<bool> {
        if !groups::settle(tx, group.id, AlertState::Dismissed).await? {
            return Ok(false);
        }
        let step = Step::UpdateAlertPrompt { alert_id: group.id, dismissed_by: Some(by.to_string()), revision: None };
        jobs::enqueue(tx, &step, "dismissed", self.clock.now()).await?;
        Ok(true)
    }
}

/// What one group's share of a notification led to.
enum Arrived {
    /// An incident, by the group's rule.
    Declared(Box<Incident>),
    /// Anything else, as the metric's outcome.
    Other(&'static str),
}

/// What a notification changed in a group.
#[derive(Default)]
struct News<'a> {
    joined: Vec<&'a Alert>,
    fired_again: Vec<&'a Alert>,
    resolved: Vec<&'a Alert>,
}

impl News<'_> {
    fn is_empty(&self) -> bool {
        self.joined.is_empty() && self.fired_again.is_empty() && self.resolved.is_empty()
    }
}
