//! Pre-shared changes: `/incident change` announces planned work, and incidents declared on
//! the same services soon after list it ("what changed?").

use chrono::{DateTime, NaiveTime, Utc};

use super::App;
use super::jobs::{self, Step};
use super::reply::Reply;
use crate::catalog::{Key, text};
use crate::domain::change::PlannedChange;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{Incident, ServiceName};
use crate::domain::policy::Policy;
use crate::domain::reminders::plus;
use crate::domain::text::escape_mrkdwn;
use crate::render::lifecycle::duration_in;
use crate::store::Store;

/// The planned changes announced shortly before the incident on its services, as its
/// declaration listed them ("what changed?").
pub async fn changes_at_declaration(
    store: &Store,
    policy: &Policy,
    incident: &Incident,
) -> anyhow::Result<Vec<PlannedChange>> {
    let lookback = chrono::Duration::from_std(policy.changes_lookback).unwrap_or_default();
    let since = incident.declared_at - lookback;
    let until = plus(incident.declared_at, std::time::Duration::from_secs(1));
    Ok(store
        .changes_since(since)
        .await?
        .into_iter()
        .filter(|c| c.created_at <= until && c.concerns(&incident.services))
        .collect())
}

impl App {
    /// Announces planned work to the announcements channel and the services' teams.
    pub async fn announce_change(
        &self,
        text_typed: &str,
        services: &[ServiceName],
        at: Option<NaiveTime>,
        by: &UserId,
    ) -> anyhow::Result<Reply> {
        let now = self.clock.now();
        let planned_at = at.and_then(|time| self.next_local(time, now));
        let change = self.store.add_change(text_typed, services, planned_at, by, now).await?;
        let locale = self.policy.locale;
        let when = planned_at.map_or_else(String::new, |p| {
            text(locale, Key::ChangeWhen).fill(&[("at", &crate::render::time::moment(p, &self.policy))])
        });
        let names: Vec<&str> = services.iter().map(|s| s.as_str()).collect();
        let listed = if names.is_empty() {
            String::new()
        } else {
            text(locale, Key::ChangeServices).fill(&[("services", &names.join(", "))])
        };
        let post = text(locale, Key::ChangeAnnounce).fill_trusted(&[
            ("author", &by.mention()),
            ("when", &when),
            ("text", &escape_mrkdwn(text_typed)),
            ("services", &listed),
        ]);
        let mut channels: Vec<ChannelId> = self.policy.channels.announcements.iter().cloned().collect();
        for service in services {
            if let Some(channel) = self.policy.service(service.as_str()).and_then(|s| s.team_channel.clone())
                && !channels.contains(&channel)
            {
                channels.push(channel);
            }
        }
        let mut tx = self.store.begin().await?;
        for channel in &channels {
            let step = Step::Announce { channel: channel.to_string(), text: post.clone() };
            jobs::enqueue(&mut tx, &step, &format!("change{}:{channel}", change.id), now).await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        let where_ = if channels.is_empty() {
            String::new()
        } else {
            let links: Vec<String> = channels.iter().map(|c| format!("<#{c}>")).collect();
            text(locale, Key::ChangeInChannels).fill_trusted(&[("channels", &links.join(", "))])
        };
        let lookback =
            duration_in(locale, chrono::Duration::from_std(self.policy.changes_lookback).unwrap_or_default());
        Ok(Reply::ephemeral(
            text(locale, Key::ChangeRecorded).fill_trusted(&[("channels", &where_), ("lookback", &lookback)]),
        ))
    }

    /// The next time `time` comes round in the policy's time zone (today, or tomorrow).
    fn next_local(&self, time: NaiveTime, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.policy.timezone);
        let today = local.date_naive().and_time(time).and_local_timezone(self.policy.timezone).earliest()?;
        let at = if today < local { today + chrono::Duration::days(1) } else { today };
        Some(at.with_timezone(&Utc))
    }
}
