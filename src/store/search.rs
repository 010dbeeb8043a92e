//! The search index (migration 0022): every searchable text of an incident is one row of
//! `search_entries`, written in the transaction that writes the text (the title and impact
//! with the incident and their changes, an update or note with its timeline entry, a message
//! with its copy, the retrospective and reports with their publication), and removed with it
//! (a deleted message, a message whose text retention dropped). SQLite indexes the rows with
//! FTS5's trigram tokenizer (triggers keep it current); PostgreSQL with a pg_trgm GIN index.
//! Both find any substring of three characters or more through the index; a shorter word is
//! matched by a scan, since no trigram index can serve it.

use std::collections::{BTreeSet, HashMap};

use sqlx::{AnyConnection, Row};

use super::incidents::{ApiStatus, COLUMNS, read};
use super::{Backend, Store, from_millis};
use crate::domain::ids::ChannelId;
use crate::domain::incident::{Incident, IncidentId, ServiceName};
use crate::domain::similar::PastIncident;
use crate::domain::timeline::TimelineEntry;

/// Where an indexed text came from; at most one row per source per incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    Title,
    Impact,
    Description,
    /// A timeline entry with text (an update, a note, a resolution, a follow-up…).
    Event(i64),
    /// A channel message, by its `ts`.
    Message(&'a str),
    Retrospective,
    Report(&'a str),
}

impl Source<'_> {
    fn key(&self) -> String {
        match self {
            Source::Title => "title".to_owned(),
            Source::Impact => "impact".to_owned(),
            Source::Description => "description".to_owned(),
            Source::Event(id) => format!("event:{id}"),
            Source::Message(ts) => format!("message:{ts}"),
            Source::Retrospective => "retro".to_owned(),
            Source::Report(name) => format!("report:{name}"),
        }
    }
}

/// Indexes `text` as the incident's `source` (replacing what was there); an empty text
/// removes it. Unchanged text writes nothing (the index is not churned by a resave).
pub async fn index(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    source: &Source<'_>,
    text: &str,
) -> anyhow::Result<()> {
    if text.trim().is_empty() {
        return remove(conn, incident_id, source).await;
    }
    sqlx::query(
        "INSERT INTO search_entries (incident_id, source, body) VALUES ($1, $2, $3)
         ON CONFLICT (incident_id, source) DO UPDATE SET body = excluded.body
         WHERE search_entries.body <> excluded.body",
    )
    .bind(incident_id)
    .bind(source.key())
    .bind(text)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the incident's `source` from the index.
pub async fn remove(conn: &mut AnyConnection, incident_id: IncidentId, source: &Source<'_>) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM search_entries WHERE incident_id = $1 AND source = $2")
        .bind(incident_id)
        .bind(source.key())
        .execute(conn)
        .await?;
    Ok(())
}

/// Indexes what a timeline entry says that people search for.
pub async fn index_event(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    event_id: i64,
    entry: &TimelineEntry,
) -> anyhow::Result<()> {
    let (source, text) = match entry {
        TimelineEntry::TitleChanged { title } => (Source::Title, title.as_str()),
        TimelineEntry::ImpactChanged { impact } => (Source::Impact, impact.as_str()),
        TimelineEntry::Update { text, .. }
        | TimelineEntry::Note { text }
        | TimelineEntry::FollowupAdded { text, .. }
        | TimelineEntry::ResponseAction { text: Some(text), .. } => (Source::Event(event_id), text.as_str()),
        TimelineEntry::Resolved { summary: Some(summary), .. } => (Source::Event(event_id), summary.as_str()),
        TimelineEntry::Alert { title, .. } => (Source::Event(event_id), title.as_str()),
        _ => return Ok(()),
    };
    index(conn, incident_id, &source, text).await
}

/// Indexes the stored message at `ts` of `channel` as it now is: its text, or nothing once it
/// is deleted.
pub async fn index_message(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    channel: &ChannelId,
    ts: &str,
) -> anyhow::Result<()> {
    let text: Option<Option<String>> =
        sqlx::query_scalar("SELECT text FROM channel_messages WHERE channel_id = $1 AND ts = $2 AND deleted = 0")
            .bind(channel.as_str())
            .bind(ts)
            .fetch_optional(&mut *conn)
            .await?;
    let text = text.flatten().unwrap_or_default();
    index(conn, incident_id, &Source::Message(ts), &text).await
}

/// A past incident as similar incidents compare it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub incident: Incident,
    /// The names (titles) of its linked alerts.
    pub alerts: BTreeSet<String>,
}

/// What the dashboard's incident list is narrowed to (`None`: any).
#[derive(Clone, Debug, Default)]
pub struct IncidentFilter<'a> {
    /// Stemmed words that must all match (`domain::search::query_words`).
    pub words: &'a [String],
    /// A severity's name as stored (`SEV2`).
    pub severity: Option<&'a str>,
    pub service: Option<&'a ServiceName>,
    pub status: Option<ApiStatus>,
}

impl Store {
    /// The incidents (never private, never a drill) where every word of `words` (stemmed, see
    /// `domain::search`) is found in some indexed text, optionally only those on `service`:
    /// the ones whose title, then impact, holds the words first, then the most recent;
    /// at most `limit`.
    pub async fn search(
        &self,
        words: &[String],
        service: Option<&ServiceName>,
        limit: i64,
    ) -> anyhow::Result<Vec<Incident>> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = format!("SELECT {COLUMNS} FROM incidents WHERE is_private = 0 AND is_drill = 0");
        let mut binds: Vec<String> = Vec::new();
        let mut score: Vec<String> = Vec::new();
        for word in words {
            let (matches, bound) = self.word_matches(word, binds.len() + 1);
            binds.push(bound);
            sql.push_str(&format!(" AND id IN ({matches})"));
            binds.push(word.clone());
            let n = binds.len();
            let position = self.position_fn();
            score.push(format!(
                "(CASE WHEN {position}(lower(title), ${n}) > 0 THEN 3 ELSE 0 END
                  + CASE WHEN {position}(lower(COALESCE(impact, '')), ${n}) > 0 THEN 2 ELSE 0 END)"
            ));
        }
        if let Some(service) = service {
            binds.push(format!("%\"{}\"%", service.as_str()));
            sql.push_str(&format!(" AND services LIKE ${}", binds.len()));
        }
        sql.push_str(&format!(" ORDER BY {} DESC, declared_at DESC LIMIT {}", score.join(" + "), limit.max(1)));
        let mut query = sqlx::query(&sql);
        for bind in &binds {
            query = query.bind(bind.as_str());
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// The dashboard's incident list, newest first, at most `limit`: those matching every
    /// filter given. Text (`words`, stemmed) finds only incidents that are neither private nor
    /// drills, as `search` does; without text, private incidents and drills are listed (the
    /// page hides a private one's details).
    pub async fn find_incidents(&self, filter: &IncidentFilter<'_>, limit: i64) -> anyhow::Result<Vec<Incident>> {
        let mut sql = format!("SELECT {COLUMNS} FROM incidents WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        if !filter.words.is_empty() {
            sql.push_str(" AND is_private = 0 AND is_drill = 0");
        }
        for word in filter.words {
            let (matches, bound) = self.word_matches(word, binds.len() + 1);
            binds.push(bound);
            sql.push_str(&format!(" AND id IN ({matches})"));
        }
        if let Some(severity) = filter.severity {
            binds.push(severity.to_owned());
            sql.push_str(&format!(" AND severity = ${}", binds.len()));
        }
        if let Some(service) = filter.service {
            binds.push(format!("%\"{}\"%", service.as_str()));
            sql.push_str(&format!(" AND services LIKE ${}", binds.len()));
        }
        match filter.status {
            None => {}
            Some(ApiStatus::Open) => sql.push_str(" AND status NOT IN ('resolved', 'closed')"),
            Some(ApiStatus::Resolved) => sql.push_str(" AND status = 'resolved'"),
            Some(ApiStatus::Closed) => sql.push_str(" AND status = 'closed'"),
        }
        sql.push_str(&format!(" ORDER BY number DESC LIMIT {}", limit.max(1)));
        let mut query = sqlx::query(&sql);
        for bind in &binds {
            query = query.bind(bind.as_str());
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// The subquery of the incident ids whose indexed text holds `word`, and the value to bind
    /// as its parameter `$n`.
    fn word_matches(&self, word: &str, n: usize) -> (String, String) {
        let through_index = word.chars().count() >= 3;
        match (self.backend, through_index) {
            // FTS5's trigram tokenizer: a quoted phrase matches as a substring, ignoring case.
            (Backend::Sqlite, true) => (
                format!(
                    "SELECT e.incident_id FROM search_fts JOIN search_entries e ON e.id = search_fts.rowid
                     WHERE search_fts MATCH ${n}"
                ),
                format!("\"{}\"", word.replace('"', "\"\"")),
            ),
            (Backend::Sqlite, false) => (
                format!("SELECT incident_id FROM search_entries WHERE instr(lower(body), ${n}) > 0"),
                word.to_lowercase(),
            ),
            // pg_trgm serves ILIKE for three characters or more, and scans for fewer.
            (Backend::Postgres, _) => (
                format!("SELECT incident_id FROM search_entries WHERE body ILIKE ${n} ESCAPE '\\'"),
                format!("%{}%", escape_like(word)),
            ),
        }
    }

    fn position_fn(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "instr",
            Backend::Postgres => "strpos",
        }
    }

    /// Past incidents (resolved or closed, never private nor drills, not `incident` itself) that share a
    /// service, an alert name or a title or impact word with it: the most recent 200 of them,
    /// for the domain to score.
    pub async fn similar_candidates(
        &self,
        incident: &Incident,
        alerts: &BTreeSet<String>,
        words: &BTreeSet<String>,
    ) -> anyhow::Result<Vec<Candidate>> {
        let mut binds: Vec<String> = vec![incident.id.get().to_string()];
        let mut alike: Vec<String> = Vec::new();
        for service in &incident.services {
            binds.push(format!("%\"{}\"%", service.as_str()));
            alike.push(format!("services LIKE ${}", binds.len()));
        }
        if !alerts.is_empty() {
            let mut names = Vec::new();
            for alert in alerts {
                binds.push(alert.clone());
                names.push(format!("${}", binds.len()));
            }
            alike.push(format!(
                "id IN (SELECT incident_id FROM alerts WHERE incident_id IS NOT NULL AND title IN ({}))",
                names.join(", ")
            ));
        }
        for word in words.iter().take(12) {
            let (matches, bound) = self.word_matches(word, binds.len() + 1);
            binds.push(bound);
            alike.push(format!("id IN ({matches})"));
        }
        if alike.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM incidents
             WHERE is_private = 0 AND is_drill = 0 AND status IN ('resolved', 'closed')
               AND id <> CAST($1 AS BIGINT) AND ({})
             ORDER BY declared_at DESC LIMIT 200",
            alike.join(" OR ")
        );
        let mut query = sqlx::query(&sql);
        for bind in &binds {
            query = query.bind(bind.as_str());
        }
        let incidents: Vec<Incident> =
            query.fetch_all(self.pool()).await?.iter().map(read).collect::<Result<_, _>>()?;
        let mut alerts_of: HashMap<IncidentId, BTreeSet<String>> = self.alert_names(&incidents).await?;
        Ok(incidents
            .into_iter()
            .map(|incident| Candidate { alerts: alerts_of.remove(&incident.id).unwrap_or_default(), incident })
            .collect())
    }

    /// The alert names linked to each of `incidents`.
    pub async fn alert_names(&self, incidents: &[Incident]) -> anyhow::Result<HashMap<IncidentId, BTreeSet<String>>> {
        let mut names: HashMap<IncidentId, BTreeSet<String>> = HashMap::new();
        for chunk in incidents.chunks(100) {
            let ids: Vec<String> = chunk.iter().map(|i| i.id.get().to_string()).collect();
            let sql = format!(
                "SELECT incident_id, title FROM alerts WHERE incident_id IN ({})",
                ids.join(", ") // integers from the database, not input
            );
            for row in sqlx::query(&sql).fetch_all(self.pool()).await? {
                let id: i64 = row.try_get("incident_id")?;
                names.entry(IncidentId::from_stored(id)).or_default().insert(row.try_get("title")?);
            }
        }
        Ok(names)
    }

    /// What a list shows of each past incident of `ids`, in that order (missing ones left out).
    pub async fn past_incidents(&self, ids: &[IncidentId]) -> anyhow::Result<Vec<PastIncident>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS}, resolved_at, first_action_kind,
                        (SELECT link FROM retrospectives r WHERE r.incident_id = incidents.id) AS retro_link
                 FROM incidents WHERE id = $1"
            ))
            .bind(*id)
            .fetch_optional(self.pool())
            .await?;
            let Some(row) = row else { continue };
            out.push(PastIncident {
                incident: read(&row)?,
                resolved_at: row.try_get::<Option<i64>, _>("resolved_at")?.map(from_millis),
                first_action: row.try_get("first_action_kind")?,
                retrospective: row.try_get("retro_link")?,
            });
        }
        Ok(out)
    }

    /// The similar incidents chosen for `incident`'s summary, in order; `None` when none were
    /// chosen yet (an empty list is a choice: nothing was alike).
    pub async fn chosen_similar(&self, incident_id: IncidentId) -> anyhow::Result<Option<Vec<IncidentId>>> {
        let chosen: Option<Option<i64>> = sqlx::query_scalar("SELECT similar_chosen FROM incidents WHERE id = $1")
            .bind(incident_id)
            .fetch_optional(self.pool())
            .await?;
        let chosen = chosen.flatten();
        if chosen.is_none() {
            return Ok(None);
        }
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT similar_id FROM incident_similar WHERE incident_id = $1 ORDER BY position")
                .bind(incident_id)
                .fetch_all(self.pool())
                .await?;
        Ok(Some(ids.into_iter().map(IncidentId::from_stored).collect()))
    }

    /// Records the similar incidents chosen for `incident` (the first choice stays).
    pub async fn choose_similar(&self, incident_id: IncidentId, similar: &[IncidentId]) -> anyhow::Result<()> {
        let mut tx = self.begin().await?;
        let first = sqlx::query("UPDATE incidents SET similar_chosen = 1 WHERE id = $1 AND similar_chosen IS NULL")
            .bind(incident_id)
            .execute(&mut *tx)
            .await?;
        if first.rows_affected() == 1 {
            for (position, id) in similar.iter().enumerate() {
                sqlx::query("INSERT INTO incident_similar (incident_id, position, similar_id) VALUES ($1, $2, $3)")
                    .bind(incident_id)
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `word` with LIKE's wildcards and escape character taken literally.
fn escape_like(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
