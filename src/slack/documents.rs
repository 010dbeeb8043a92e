//! Documents: the retrospective as a channel canvas, reports as canvases of their own, or
//! either as a Markdown file where canvases are unavailable. Raw calls: slack-morphism has no
//! `conversations.canvases.create`, and its file upload API is not the two-step external
//! upload used here.

use serde::Deserialize;
use serde_json::json;

use super::client::{SlackApi, SlackCallError};
use super::messages::read;
use crate::domain::ids::ChannelId;

/// A file uploaded and shared in a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedFile {
    pub id: String,
    pub permalink: Option<String>,
}

impl SlackApi {
    /// `conversations.canvases.create`: the channel's canvas, with `markdown` as its content;
    /// returns the canvas id. A channel has at most one: a second is refused
    /// (`channel_canvas_already_exists`).
    pub async fn create_channel_canvas(
        &self,
        channel: &ChannelId,
        title: &str,
        markdown: &str,
    ) -> Result<String, SlackCallError> {
        self.new_canvas("conversations.canvases.create", channel, title, markdown).await
    }

    /// `canvases.create`: a standalone canvas titled `title`, tabbed in `channel`; returns
    /// its id. Not idempotent: a retry after a lost answer makes a second canvas.
    pub async fn create_canvas(
        &self,
        channel: &ChannelId,
        title: &str,
        markdown: &str,
    ) -> Result<String, SlackCallError> {
        self.new_canvas("canvases.create", channel, title, markdown).await
    }

    async fn new_canvas(
        &self,
        method: &'static str,
        channel: &ChannelId,
        title: &str,
        markdown: &str,
    ) -> Result<String, SlackCallError> {
        #[derive(Deserialize)]
        struct Answer {
            canvas_id: String,
        }
        let (title, markdown) = match self.drill_mark() {
            Some(mark) => (mark.title(title), mark.markdown(markdown)),
            None => (title.to_owned(), markdown.to_owned()),
        };
        let content = json!({"type": "markdown", "markdown": markdown});
        let body = json!({"channel_id": channel.as_str(), "title": title, "document_content": content});
        let answer: Answer = read(method, self.raw_post(method, &body).await?)?;
        Ok(answer.canvas_id)
    }

    /// The id of `channel`'s canvas, from `conversations.info` (`properties.canvas.file_id`);
    /// `None` when it has none.
    pub async fn channel_canvas(&self, channel: &ChannelId) -> Result<Option<String>, SlackCallError> {
        let answer = self.raw_get("conversations.info", &[("channel", channel.as_str().to_owned())]).await?;
        Ok(answer.pointer("/channel/properties/canvas/file_id").and_then(|id| id.as_str()).map(str::to_owned))
    }

    /// `canvases.edit`: replaces a canvas's whole content. Safe to repeat.
    pub async fn replace_canvas(&self, canvas_id: &str, markdown: &str) -> Result<(), SlackCallError> {
        let marked = self.drill_mark().map(|mark| mark.markdown(markdown));
        let markdown = marked.as_deref().unwrap_or(markdown);
        let content = json!({"type": "markdown", "markdown": markdown});
        let changes = json!([{"operation": "replace", "document_content": content}]);
        self.raw_post("canvases.edit", &json!({"canvas_id": canvas_id, "changes": changes})).await?;
        Ok(())
    }

    /// Uploads `bytes` as `filename` and shares it in `channel` under `title`
    /// (`files.getUploadURLExternal`, the upload, `files.completeUploadExternal`). `reserved`
    /// is called with the new file's id before the file is shared, so that a caller can
    /// remember it and find the file ([`SlackApi::find_shared_file`]) when the answer to the
    /// sharing is lost. For a drill's calls the bytes are taken as the Markdown they are here
    /// and get the drill's first line, the title its prefix.
    pub async fn upload_file(
        &self,
        channel: &ChannelId,
        filename: &str,
        title: &str,
        bytes: Vec<u8>,
        reserved: impl AsyncFnOnce(&str) -> Result<(), SlackCallError>,
    ) -> Result<UploadedFile, SlackCallError> {
        #[derive(Deserialize)]
        struct Ticket {
            upload_url: String,
            file_id: String,
        }
        #[derive(Deserialize)]
        struct Completed {
            #[serde(default)]
            files: Vec<Shared>,
        }
        #[derive(Deserialize)]
        struct Shared {
            permalink: Option<String>,
        }
        let (title, bytes) = match self.drill_mark() {
            Some(mark) => (mark.title(title), mark.markdown(&String::from_utf8_lossy(&bytes)).into_bytes()),
            None => (title.to_owned(), bytes),
        };
        let params = [("filename", filename.to_owned()), ("length", bytes.len().to_string())];
        let ticket: Ticket =
            read("files.getUploadURLExternal", self.raw_get("files.getUploadURLExternal", &params).await?)?;
        self.upload(&ticket.upload_url, bytes).await?;
        reserved(&ticket.file_id).await?;
        let body = json!({"files": [{"id": ticket.file_id, "title": title}], "channel_id": channel.as_str()});
        let completed: Completed =
            read("files.completeUploadExternal", self.raw_post("files.completeUploadExternal", &body).await?)?;
        let permalink = completed.files.into_iter().next().and_then(|f| f.permalink);
        Ok(UploadedFile { id: ticket.file_id, permalink })
    }

    /// The message that shared file `file_id` in `channel`, among its last 50: how a retry
    /// finds a file whose sharing's answer was lost. `None` when it is not there.
    pub async fn find_shared_file(&self, channel: &ChannelId, file_id: &str) -> Result<Option<String>, SlackCallError> {
        let params = [("channel", channel.as_str().to_owned()), ("limit", "50".to_owned())];
        let answer = self.raw_get("conversations.history", &params).await?;
        let messages = answer["messages"].as_array().cloned().unwrap_or_default();
        Ok(messages
            .iter()
            .find(|m| {
                m["files"].as_array().is_some_and(|files| files.iter().any(|f| f["id"].as_str() == Some(file_id)))
            })
            .and_then(|m| m["ts"].as_str().map(str::to_owned)))
    }
}
