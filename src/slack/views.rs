//! Views: opening a modal. The only Web API call made on a request path, because a
//! `trigger_id` expires in 3 seconds and cannot wait for the outbox.

use serde_json::{Value, json};

use super::client::{SlackApi, SlackCallError};

impl SlackApi {
    /// `views.open` with a view made by `render` (Block Kit JSON).
    pub async fn open_view(&self, trigger_id: &str, view: Value) -> Result<(), SlackCallError> {
        self.raw_post("views.open", &json!({"trigger_id": trigger_id, "view": view})).await?;
        Ok(())
    }
}
