//! Messages of incident channels and the highlights pinned from them.
//!
//! Written as Events API deliveries arrive; the retrospective reads them back. An edit
//! replaces the text (marked edited); a deletion drops the text and keeps only a mark, and a
//! late copy of a deleted message never brings the text back.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::IncidentId;
use crate::domain::record::StoredMessage;
use crate::domain::timeline::{TimelineEntry, TimelineKind};

/// A message as Slack delivered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage<'a> {
    pub channel: &'a ChannelId,
    pub ts: &'a str,
    pub thread_ts: Option<&'a str>,
    pub user: Option<&'a str>,
    pub text: &'a str,
    pub file_count: i64,
    pub subtype: Option<&'a str>,
}

/// A Slack `ts` (`1700000000.000100`) as an instant; `None` when it is not one.
pub fn ts_instant(ts: &str) -> Option<DateTime<Utc>> {
    let (seconds, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let seconds: i64 = seconds.parse().ok()?;
    let micros: u32 = format!("{micros:0<6}").get(..6)?.parse().ok()?;
    DateTime::from_timestamp(seconds, micros * 1000)
}

/// What a deletion sets: the text gone, only the mark kept. Retention drops the text of
/// long-closed incidents with the same assignment, so both read back alike.
pub(super) const AS_DELETED: &str = "text = NULL, deleted = 1";

const COLUMNS: &str =
    "incident_id, channel_id, ts, thread_ts, user_id, text, file_count, subtype, edited, deleted, posted_at";

fn read(row: &AnyRow) -> anyhow::Result<StoredMessage> {
    let channel: String = row.try_get("channel_id")?;
    Ok(StoredMessage {
        incident_id: row.try_get("incident_id")?,
        channel: ChannelId::parse(&channel).ok_or_else(|| anyhow::anyhow!("stored channel {channel:?}"))?,
        ts: row.try_get("ts")?,
        thread_ts: row.try_get("thread_ts")?,
        user: row.try_get::<Option<String>, _>("user_id")?.as_deref().and_then(UserId::parse),
        text: row.try_get("text")?,
        file_count: row.try_get("file_count")?,
        subtype: row.try_get("subtype")?,
        edited: row.try_get::<i64, _>("edited")? != 0,
        deleted: row.try_get::<i64, _>("deleted")? != 0,
        posted_at: from_millis(row.try_get("posted_at")?),
    })
}

/// Stores a new message (a repeat, or a message already marked deleted, changes nothing).
pub async fn insert(conn: &mut AnyConnection, incident_id: IncidentId, message: &NewMessage<'_>) -> anyhow::Result<()> {
    let posted_at = ts_instant(message.ts).unwrap_or_default();
    let inserted = sqlx::query(&format!(
        "INSERT INTO channel_messages ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9)
         ON CONFLICT (channel_id, ts) DO NOTHING"
    ))
    .bind(incident_id)
    .bind(message.channel.as_str())
    .bind(message.ts)
    .bind(message.thread_ts)
    .bind(message.user)
    .bind(message.text)
    .bind(message.file_count)
    .bind(message.subtype)
    .bind(to_millis(posted_at))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // A new message is indexed with the text just stored; a repeat changed nothing, so neither
    // does the index. (Reading the row back to index it cost every message event one more
    // round trip on the one writer, which bounds how many events a second are recorded.)
    if inserted > 0 && !message.text.is_empty() {
        let source = super::search::Source::Message(message.ts);
        super::search::index(conn, incident_id, &source, message.text).await?;
    }
    Ok(())
}

/// Replaces a message's text after an edit made at `edited_ts` (Slack's `edited.ts`). An edit
/// of a deleted message stays deleted, and an edit older than the one applied already (a
/// retried delivery arriving late) changes nothing.
pub async fn edit(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    message: &NewMessage<'_>,
    edited_ts: Option<&str>,
) -> anyhow::Result<()> {
    insert(&mut *conn, incident_id, message).await?;
    let edited_at = edited_ts.and_then(ts_micros);
    sqlx::query(
        "UPDATE channel_messages SET text = $1, edited = 1, edited_at = COALESCE($4, edited_at)
         WHERE channel_id = $2 AND ts = $3 AND deleted = 0
           AND ($4 IS NULL OR edited_at IS NULL OR edited_at <= $4)",
    )
    .bind(message.text)
    .bind(message.channel.as_str())
    .bind(message.ts)
    .bind(edited_at)
    .execute(&mut *conn)
    .await?;
    // The text as it now stands (an older edit arriving late changed nothing).
    super::search::index_message(conn, incident_id, message.channel, message.ts).await?;
    Ok(())
}

/// A Slack timestamp (`1790000000.000100`) in microseconds since the epoch.
fn ts_micros(ts: &str) -> Option<i64> {
    let (seconds, fraction) = ts.split_once('.').unwrap_or((ts, ""));
    let seconds: i64 = seconds.parse().ok()?;
    let digits: String = fraction.chars().chain(std::iter::repeat('0')).take(6).collect();
    let micros: i64 = digits.parse().ok()?;
    seconds.checked_mul(1_000_000)?.checked_add(micros)
}

/// Drops a message's text and keeps a deleted mark (even when the message itself never came).
pub async fn delete(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    channel: &ChannelId,
    ts: &str,
) -> anyhow::Result<()> {
    let deleted = NewMessage { channel, ts, thread_ts: None, user: None, text: "", file_count: 0, subtype: None };
    insert(&mut *conn, incident_id, &deleted).await?;
    sqlx::query(&format!("UPDATE channel_messages SET {AS_DELETED} WHERE channel_id = $1 AND ts = $2"))
        .bind(channel.as_str())
        .bind(ts)
        .execute(&mut *conn)
        .await?;
    // Its words leave the index with it.
    super::search::remove(conn, incident_id, &super::search::Source::Message(ts)).await?;
    Ok(())
}

/// Adds a highlight for the message at `ts`, stamped with the message's own time; a second
/// highlight of the same message changes nothing. `by` is the user who highlighted it, as the
/// event or the job carried it.
pub async fn highlight(conn: &mut AnyConnection, message: &StoredMessage, by: &str) -> anyhow::Result<()> {
    let by = UserId::parse(by).ok_or_else(|| anyhow::anyhow!("highlighted by {by:?}, which is not a user"))?;
    let entry = TimelineEntry::Highlight { channel: message.channel.clone(), ts: message.ts.clone(), by };
    let (kind, body) = entry.to_stored()?;
    // Not `timeline::append`: `ref_ts` names the message, so a highlight is kept once per
    // message and `unhighlight` finds it.
    sqlx::query(
        "INSERT INTO timeline_events (incident_id, kind, at, author, body, ref_ts) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (incident_id, kind, ref_ts) DO NOTHING",
    )
    .bind(message.incident_id)
    .bind(kind)
    .bind(to_millis(message.posted_at))
    .bind(message.user.as_ref().map(|u| u.as_str().to_owned()))
    .bind(body.to_string())
    .bind(&message.ts)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the highlight of the message at `ts`.
pub async fn unhighlight(conn: &mut AnyConnection, incident_id: IncidentId, ts: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM timeline_events WHERE incident_id = $1 AND kind = $2 AND ref_ts = $3")
        .bind(incident_id)
        .bind(TimelineKind::Highlight.name())
        .bind(ts)
        .execute(conn)
        .await?;
    Ok(())
}

/// One stored message, read on the caller's connection (inside its transaction).
pub async fn find(conn: &mut AnyConnection, channel: &ChannelId, ts: &str) -> anyhow::Result<Option<StoredMessage>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM channel_messages WHERE channel_id = $1 AND ts = $2"))
        .bind(channel.as_str())
        .bind(ts)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(read).transpose()
}

impl Store {
    /// One stored message.
    pub async fn message(&self, channel: &ChannelId, ts: &str) -> anyhow::Result<Option<StoredMessage>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM channel_messages WHERE channel_id = $1 AND ts = $2"))
            .bind(channel.as_str())
            .bind(ts)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// Every stored message of an incident, oldest first.
    pub async fn messages(&self, incident_id: IncidentId) -> anyhow::Result<Vec<StoredMessage>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channel_messages WHERE incident_id = $1 ORDER BY posted_at, ts"
        ))
        .bind(incident_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// How many messages are stored in all (tests check that nothing leaks in).
    pub async fn message_count(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM channel_messages").fetch_one(self.pool()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_timestamps_read_as_instants() {
        let at = ts_instant("1700000000.000100").unwrap();
        assert_eq!(at.timestamp(), 1_700_000_000);
        assert_eq!(at.timestamp_subsec_micros(), 100);
        assert_eq!(ts_instant("1700000000").unwrap().timestamp(), 1_700_000_000);
        assert!(ts_instant("soon").is_none());
    }

    #[test]
    fn slack_timestamps_read_as_microseconds_in_their_order() {
        assert_eq!(ts_micros("1700000000.000100"), Some(1_700_000_000_000_100));
        assert_eq!(ts_micros("1700000000.5"), Some(1_700_000_000_500_000));
        assert_eq!(ts_micros("1700000000"), Some(1_700_000_000_000_000));
        assert!(ts_micros("1700000000.000099") < ts_micros("1700000000.0001"));
        assert_eq!(ts_micros("later"), None);
    }
}
