//! The retrospective's backfill: copies into the record what the incident channel holds that
//! firebell did not see, a page at a time — the history newest first, then each thread it
//! found. Each page is stored in one transaction with the progress it makes
//! (`store::backfills`), so a retry after a 429 (or a crash) resumes at the page that was
//! refused: a long channel finishes however often Slack says "slow down", and a thread whose
//! replies are stored is not read again. Once a run finished, the next one (the retrospective
//! published again) reads only the messages after the newest one it covered.
//!
//! Not read again by a later run: new replies in a thread whose parent is older than what was
//! covered (the history after `oldest` does not list that parent). Their events, when firebell
//! received them, are stored as they arrive.

use crate::app::jobs::{StepContext, StepError};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::IncidentId;
use crate::slack::SlackCallError;
use crate::slack::messages::{HistoryMessage, HistoryPage};
use crate::store::backfills::{self, HistoryPosition, HistoryProgress, PendingThread};
use crate::store::messages::{self, NewMessage};

/// Message subtypes that are housekeeping, not conversation.
const HOUSEKEEPING: [&str; 6] =
    ["channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name", "pinned_item"];

/// Slack's answer to a cursor it no longer takes.
const INVALID_CURSOR: &str = "invalid_cursor";

/// Copies in what the channel holds that firebell did not see, from where the last attempt
/// (or the last finished run) stopped.
pub(super) async fn backfill(cx: &StepContext, incident_id: IncidentId, channel: &ChannelId) -> Result<(), StepError> {
    let reader = Reader { cx, incident_id, channel, bot: cx.slack.bot().await?.user_id };
    loop {
        // The threads a page found are read before the next page, so what is pending stays small.
        if let Some(thread) = cx.store.next_pending_thread(incident_id).await? {
            reader.thread_page(&thread).await?;
            continue;
        }
        let progress = cx.store.backfill(incident_id).await?;
        let cursor = match progress.history {
            HistoryPosition::Read => {
                cx.store.finish_backfill(incident_id).await?;
                return Ok(());
            }
            HistoryPosition::Start => None,
            HistoryPosition::At(cursor) => Some(cursor),
        };
        reader.history_page(cursor, progress.covered_ts.as_deref()).await?;
    }
}

/// What reading one incident's channel needs.
struct Reader<'a> {
    cx: &'a StepContext,
    incident_id: IncidentId,
    channel: &'a ChannelId,
    bot: UserId,
}

impl Reader<'_> {
    /// Reads and stores one page of history (newer than `oldest`) with the threads it holds.
    async fn history_page(&self, cursor: Option<String>, oldest: Option<&str>) -> Result<(), StepError> {
        let page = match self.cx.slack.history(self.channel, cursor.as_deref(), oldest).await {
            Ok(page) => page,
            Err(SlackCallError::Refused(code)) if code == INVALID_CURSOR && cursor.is_some() => {
                tracing::info!("the stored history cursor is no longer valid; reading the history from its start");
                self.cx.store.restart_backfill_history(self.incident_id).await?;
                return Ok(());
            }
            Err(other) => return Err(other.into()),
        };
        let threads: Vec<&str> =
            page.messages.iter().filter(|m| m.reply_count > 0).filter_map(|m| m.ts.as_deref()).collect();
        // History is newest first: the run's first page starts with the newest message it covers.
        let newest_ts = cursor.is_none().then(|| page.messages.first().and_then(|m| m.ts.as_deref())).flatten();
        let next = page.next_cursor.clone().map_or(HistoryPosition::Read, HistoryPosition::At);
        let mut tx = self.cx.store.begin().await?;
        self.store(&mut tx, &page.messages).await?;
        let progress = HistoryProgress { newest_ts, next: &next, threads: &threads };
        backfills::history_page_stored(&mut tx, self.incident_id, &progress).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads and stores one page of a thread's replies.
    async fn thread_page(&self, thread: &PendingThread) -> Result<(), StepError> {
        let page = match self.cx.slack.replies(self.channel, &thread.ts, thread.cursor.as_deref()).await {
            Ok(page) => page,
            // Gone since the history listed it: nothing to read.
            Err(SlackCallError::Refused(code)) if code == "thread_not_found" => HistoryPage::default(),
            Err(SlackCallError::Refused(code)) if code == INVALID_CURSOR && thread.cursor.is_some() => {
                tracing::info!(
                    slack.thread = thread.ts,
                    "the stored thread cursor is no longer valid; reading it again"
                );
                self.cx.store.restart_backfill_thread(self.incident_id, &thread.ts).await?;
                return Ok(());
            }
            Err(other) => return Err(other.into()),
        };
        // The parent comes first on a thread's first page; it was stored from the history.
        let replies: Vec<HistoryMessage> =
            page.messages.into_iter().filter(|m| m.ts.as_deref() != Some(thread.ts.as_str())).collect();
        let mut tx = self.cx.store.begin().await?;
        self.store(&mut tx, &replies).await?;
        backfills::thread_page_stored(&mut tx, self.incident_id, &thread.ts, page.next_cursor.as_deref()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a page's messages, leaving out the bot's own and housekeeping; messages already
    /// recorded are left as they are.
    async fn store(&self, conn: &mut sqlx::AnyConnection, page: &[HistoryMessage]) -> Result<(), StepError> {
        for message in page {
            let subtype = message.subtype.as_deref();
            let from_bot = message.user.as_deref() == Some(self.bot.as_str()) || message.bot_id.is_some();
            if from_bot || subtype.is_some_and(|s| HOUSEKEEPING.contains(&s)) {
                continue;
            }
            let Some(ts) = message.ts.as_deref() else { continue };
            let new = NewMessage {
                channel: self.channel,
                ts,
                thread_ts: message.reply_in(),
                user: message.user.as_deref(),
                text: message.text.as_deref().unwrap_or_default(),
                file_count: message.file_count,
                subtype,
            };
            messages::insert(conn, self.incident_id, &new).await?;
        }
        Ok(())
    }
}
