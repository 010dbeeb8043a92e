//! A long incident history written through the store, as the bot would have written it:
//! shared by the search benchmark and the declaration benchmark (declaring with 10,000 past
//! incidents to compare against).

use chrono::{Duration, TimeZone, Utc};
use firebell::domain::ids::{ChannelId, UserId};
use firebell::domain::incident::{ServiceName, SeverityName};
use firebell::domain::timeline::TimelineEntry;
use firebell::store::Store;
use firebell::store::incidents::{self, NewIncident};
use firebell::store::messages::{self, NewMessage};
use firebell::store::timeline;

const UPDATES: usize = 5;
const MESSAGES: usize = 10;

const SERVICES: [&str; 8] = ["payments", "checkout", "search", "login", "billing", "catalog", "shipping", "ads"];
const WHAT: [&str; 10] = [
    "결제가 실패합니다",
    "Card payments declined",
    "Gateway timeouts",
    "로그인이 느립니다",
    "Search results stale",
    "Refunds delayed",
    "장바구니 오류",
    "Database connections exhausted",
    "Cache stampede after deploy",
    "배송 조회 실패",
];

/// Writes the history through the store, as the bot would have.
pub async fn history(store: &Store, incidents: usize) {
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let reporter = UserId::parse("U0REPORTER").unwrap();
    for batch in 0..incidents.div_ceil(500) {
        let mut tx = store.begin().await.unwrap();
        for n in batch * 500..((batch + 1) * 500).min(incidents) {
            let at = start + Duration::minutes(i64::try_from(n).unwrap() * 50);
            let new = NewIncident {
                title: format!("{} #{n}", WHAT[n % WHAT.len()]),
                severity: SeverityName::from_stored(format!("SEV{}", 1 + n % 4)),
                private: n % 50 == 0,
                drill: false,
                reporter: reporter.clone(),
                impact: Some(format!("{}% of requests on {} failed", n % 90, SERVICES[n % SERVICES.len()])),
                description: None,
                services: vec![ServiceName::from_stored(SERVICES[n % SERVICES.len()].to_owned())],
                timers: Default::default(),
            };
            let incident = incidents::insert(&mut tx, &new, at).await.unwrap();
            let channel = ChannelId::parse(&format!("C{n:08}")).unwrap();
            incidents::set_channel(&mut tx, incident.id, &channel, at).await.unwrap();
            for u in 0..UPDATES {
                let text =
                    format!("update {u}: error rate {}%, rolling back deploy v{n} of {}", n % 70, SERVICES[u % 8]);
                let entry = TimelineEntry::Update { text, status: None };
                timeline::append(
                    &mut tx,
                    incident.id,
                    at + Duration::minutes(i64::try_from(u).unwrap()),
                    Some(&reporter),
                    &entry,
                )
                .await
                .unwrap();
            }
            for m in 0..MESSAGES {
                let ts = format!("{}.{:06}", (at + Duration::seconds(i64::try_from(m).unwrap())).timestamp(), m);
                let text = format!("checking dashboards {m}: p99 at {} ms on shard {}", 100 + m * 7, n % 13);
                let message = NewMessage {
                    channel: &channel,
                    ts: &ts,
                    thread_ts: None,
                    user: Some("U0ONCALL1"),
                    text: &text,
                    file_count: 0,
                    subtype: None,
                };
                messages::insert(&mut tx, incident.id, &message).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    sqlx::query("UPDATE incidents SET status = 'resolved', resolved_at = declared_at + 3600000")
        .execute(store.pool())
        .await
        .unwrap();
}
