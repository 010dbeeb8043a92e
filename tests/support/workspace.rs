//! The workspace the contract's policy describes, seeded into the fake Slack.

use super::fake_slack::FakeSlack;

/// The contract's example policy (`tests/fixtures/contract_policy.toml`).
pub const CONTRACT_POLICY: &str = include_str!("../fixtures/contract_policy.toml");

/// The contract's policy plus an unrelated `search` service with its own team.
pub fn policy() -> String {
    format!(
        "{CONTRACT_POLICY}\n[[services]]\nname = \"search\"\nteam_channel = \"C0SEARCH\"\nresponders = [\"U0SEARCHER\"]\n"
    )
}

/// The policy's channels and people, plus a general channel to type commands in.
pub fn seed(slack: &FakeSlack) {
    for (id, name) in [
        ("C0INCIDENTS", "incidents"),
        ("C0TRIAGE", "triage"),
        ("C0PAYMENTS", "team-payments"),
        ("C0CHECKOUT", "team-checkout"),
        ("C0SEARCH", "team-search"),
        ("C0GENERAL", "general"),
    ] {
        slack.add_channel(id, name, false);
    }
    for (id, name) in [("U0REPORTER", "alice"), ("U0ONCALL1", "oncall"), ("U0SEARCHER", "sam"), ("U0ADMIN", "admin")] {
        slack.add_user(id, name);
    }
}

/// Today's date as the policy's time zone (Asia/Seoul) writes it in channel names.
pub fn seoul_today() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Seoul).format("%Y%m%d").to_string()
}

/// Top-level messages the bot posted in a channel.
pub fn bot_posts(slack: &FakeSlack, channel: &str) -> Vec<super::fake_slack::Message> {
    slack
        .messages(channel)
        .into_iter()
        .filter(|m| m.user == super::fake_slack::BOT_USER_ID && m.thread_ts.is_none())
        .collect()
}

/// The app with [`policy`] on a fresh SQLite database, the fake seeded with [`seed`].
pub async fn spawn() -> super::app::TestApp {
    super::app::spawn_app_with(super::app::Options {
        policy: Some(policy()),
        prepare_slack: Some(seed),
        ..Default::default()
    })
    .await
}
