//! People: the names a named (not blameless) retrospective shows.

use serde::Deserialize;

use super::client::{SlackApi, SlackCallError};
use super::messages::read;
use crate::domain::ids::UserId;

impl SlackApi {
    /// `users.info`: the name Slack shows for `user` — display name, else real name, else
    /// user name; `None` when all are empty. Raw: slack-morphism's user type requires fields
    /// that deactivated and external users lack.
    pub async fn display_name(&self, user: &UserId) -> Result<Option<String>, SlackCallError> {
        #[derive(Deserialize)]
        struct Answer {
            user: User,
        }
        #[derive(Deserialize)]
        struct User {
            name: Option<String>,
            profile: Option<Profile>,
        }
        #[derive(Deserialize)]
        struct Profile {
            display_name: Option<String>,
            real_name: Option<String>,
        }
        let answer: Answer = read("users.info", self.raw_get("users.info", &[("user", user.to_string())]).await?)?;
        let profile = answer.user.profile;
        let (display, real) = profile.map_or((None, None), |p| (p.display_name, p.real_name));
        Ok([display, real, answer.user.name].into_iter().flatten().find(|n| !n.is_empty()))
    }
}
