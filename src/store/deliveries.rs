//! Processed Slack deliveries: each Events API `event_id` is recorded once.
//!
//! Slack repeats a delivery it thinks failed (`X-Slack-Retry-Num`), sometimes while the first
//! copy is still being handled; an insert that ignores conflicts makes the effect happen once.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};

/// An event callback as received.
#[derive(Clone, Debug)]
pub struct NewDelivery<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub team_id: &'a str,
    /// The envelope as JSON text.
    pub payload: &'a str,
    pub retry_num: i64,
}

/// A recorded delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub team_id: String,
    pub payload: String,
    pub retry_num: i64,
    pub received_at: DateTime<Utc>,
    pub handled_at: Option<DateTime<Utc>>,
}

/// Records a delivery inside the caller's transaction; `true` when it is new, `false` when
/// this `event_id` was seen before (its effects must not happen again).
pub async fn record(conn: &mut AnyConnection, delivery: &NewDelivery<'_>, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO slack_deliveries (event_id, event_type, team_id, payload, retry_num, received_at, handled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(delivery.event_id)
    .bind(delivery.event_type)
    .bind(delivery.team_id)
    .bind(delivery.payload)
    .bind(delivery.retry_num)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

impl Store {
    /// Records a delivery in its own transaction; see [`record`].
    pub async fn record_delivery(&self, delivery: &NewDelivery<'_>, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let mut conn = self.pool().acquire().await?;
        record(&mut conn, delivery, now).await
    }

    /// The delivery with this `event_id`, if recorded.
    pub async fn delivery(&self, event_id: &str) -> anyhow::Result<Option<Delivery>> {
        let row = sqlx::query(
            "SELECT event_id, event_type, team_id, payload, retry_num, received_at, handled_at
             FROM slack_deliveries WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| -> anyhow::Result<Delivery> {
            Ok(Delivery {
                event_id: row.try_get("event_id")?,
                event_type: row.try_get("event_type")?,
                team_id: row.try_get("team_id")?,
                payload: row.try_get("payload")?,
                retry_num: row.try_get("retry_num")?,
                received_at: from_millis(row.try_get("received_at")?),
                handled_at: row.try_get::<Option<i64>, _>("handled_at")?.map(from_millis),
            })
        })
        .transpose()
    }

    /// How many deliveries are recorded (for tests and metrics).
    pub async fn delivery_count(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM slack_deliveries").fetch_one(self.pool()).await?)
    }
}
