//! `firebell demo --scenario`: a scripted SEV2 from alert to retrospective, played through the
//! same Slack side a visitor uses (signed requests to firebell, nothing faked inside it), one
//! step at a time at a readable pace. Each step waits for what it should make visible; a step
//! whose effect does not show within [`STEP_TIMEOUT`] stops the scenario with that step named.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use super::slack_side::{SampleAlert, SlackSide};
use super::workspace::PEOPLE;
use crate::app::App;
use crate::domain::ids::ChannelId;
use crate::domain::timeline::TimelineEntry;
use crate::standin::BOT_USER_ID;

/// How long one step may take to show its effect.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a step looks for its effect.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// How far the scenario has come, for the page.
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<ProgressState>,
}

#[derive(Clone, Debug, Default)]
struct ProgressState {
    step: String,
    done: usize,
    of: usize,
    finished: bool,
    error: Option<String>,
    log: Vec<String>,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `{"running", "step", "done", "of", "finished", "error", "log"}`.
    pub fn json(&self) -> Value {
        let st = self.lock().clone();
        json!({
            "running": !st.finished && st.error.is_none(), "step": st.step, "done": st.done, "of": st.of,
            "finished": st.finished, "error": st.error, "log": st.log,
        })
    }

    /// Whether the scenario ran every step; `Err` with the failed step's reason when it stopped.
    pub fn outcome(&self) -> Option<Result<(), String>> {
        let st = self.lock();
        match (&st.error, st.finished) {
            (Some(error), _) => Some(Err(error.clone())),
            (None, true) => Some(Ok(())),
            (None, false) => None,
        }
    }
}

/// Who does what in one step.
enum Act {
    Alert,
    /// Whoever the schedule has on call this week acknowledges their page.
    Acknowledge,
    Command(&'static str, &'static str),
    Say(&'static str, &'static str),
    Pin(&'static str),
}

/// What a step must make visible before the next one.
enum Shows {
    /// A new incident channel made by the bot.
    IncidentChannel,
    /// Any new effect of the bot in Slack (a post, an edit, a pin, a canvas…).
    BotActivity,
    /// A message of the bot in the incident channel containing this text.
    BotPost(&'static str),
    /// A highlight on the incident's timeline (a 📌 shows nothing new in Slack but the reaction).
    Highlight,
    /// Nothing to wait for (a person's own message).
    Nothing,
}

struct Step {
    en: &'static str,
    ko: &'static str,
    act: Act,
    shows: Shows,
}

const ALICE: &str = PEOPLE[0].id;
const BOB: &str = PEOPLE[1].id;
const CAROL: &str = PEOPLE[2].id;

const STEPS: [Step; 12] = [
    Step {
        en: "Alertmanager fires: payments' 5xx ratio is above 5%, and firebell declares a SEV2",
        ko: "Alertmanager 알림: 결제 5xx 비율이 5%를 넘어 firebell이 SEV2를 선언합니다",
        act: Act::Alert,
        shows: Shows::IncidentChannel,
    },
    Step {
        en: "The person on call for payments acknowledges the page",
        ko: "결제 당번이 호출을 확인합니다",
        act: Act::Acknowledge,
        shows: Shows::BotActivity,
    },
    Step {
        en: "alice makes bob the incident lead",
        ko: "alice가 bob을 인시던트 리드로 지정합니다",
        act: Act::Command(ALICE, "lead <@U0DEMOBOB|bob>"),
        shows: Shows::BotActivity,
    },
    Step {
        en: "carol reports what checkout sees",
        ko: "carol이 체크아웃에서 보이는 증상을 알립니다",
        act: Act::Say(CAROL, "Checkout fails for about 12% of card payments since the 14:02 deploy of payments-api."),
        shows: Shows::Nothing,
    },
    Step {
        en: "bob pins carol's message as a highlight with 📌",
        ko: "bob이 📌로 carol의 메시지를 하이라이트로 남깁니다",
        act: Act::Pin(BOB),
        shows: Shows::Highlight,
    },
    Step {
        en: "alice posts a status update",
        ko: "alice가 상황을 업데이트합니다",
        act: Act::Command(ALICE, "update Rolling back the 14:02 deploy of payments-api; checkout retries are safe."),
        shows: Shows::BotPost("Rolling back the 14:02 deploy"),
    },
    Step {
        en: "bob records the response action: a rollback",
        ko: "bob이 조치를 기록합니다: 롤백",
        act: Act::Command(BOB, "action rollback payments-api back to v2.31"),
        shows: Shows::BotActivity,
    },
    Step {
        en: "bob moves the incident to monitoring",
        ko: "bob이 상태를 모니터링으로 바꿉니다",
        act: Act::Command(BOB, "status monitoring"),
        shows: Shows::BotActivity,
    },
    Step {
        en: "bob, the lead, resolves the incident",
        ko: "리드인 bob이 인시던트를 해결 처리합니다",
        act: Act::Command(BOB, "resolve Error ratio back under 0.1% after the rollback."),
        shows: Shows::BotPost("Error ratio back under 0.1%"),
    },
    Step {
        en: "bob adds a follow-up to prevent a recurrence",
        ko: "bob이 재발 방지 후속 조치를 추가합니다",
        act: Act::Command(BOB, "followup prevent Add a canary stage to the payments-api deploy <@U0DEMOBOB|bob>"),
        shows: Shows::BotActivity,
    },
    Step {
        en: "alice publishes the incident report",
        ko: "alice가 장애 보고서를 게시합니다",
        act: Act::Command(ALICE, "report"),
        shows: Shows::BotActivity,
    },
    Step {
        en: "alice builds the retrospective",
        ko: "alice가 회고 문서를 만듭니다",
        act: Act::Command(ALICE, "retro"),
        shows: Shows::BotActivity,
    },
];

/// Plays every step, `pace` apart, recording progress; stops at the first step that fails.
pub async fn play(side: &SlackSide, app: &App, progress: &Progress, pace: Duration, korean: bool) {
    progress.lock().of = STEPS.len();
    let mut incident: Option<String> = None;
    for step in &STEPS {
        let title = if korean { step.ko } else { step.en };
        progress.lock().step = title.to_owned();
        tracing::info!(demo.step = title, "scenario");
        if let Err(error) = run(side, app, step, &mut incident).await {
            let mut st = progress.lock();
            st.error = Some(format!("{title}: {error}"));
            tracing::warn!(demo.step = title, error, "the scenario stopped");
            return;
        }
        {
            let mut st = progress.lock();
            st.done += 1;
            st.log.push(title.to_owned());
        }
        tokio::time::sleep(pace).await;
    }
    let mut st = progress.lock();
    st.finished = true;
    st.step = if korean { "끝: 회고까지 모두 마쳤습니다" } else { "Done: from alert to retrospective" }.to_owned();
}

async fn run(side: &SlackSide, app: &App, step: &Step, incident: &mut Option<String>) -> Result<(), String> {
    let slack = &side.slack;
    let before = slack.writes();
    let channels_before: Vec<String> = slack.channels().into_iter().map(|c| c.id).collect();
    let channel = || incident.clone().ok_or_else(|| "no incident channel yet".to_owned());
    match step.act {
        Act::Alert => side.fire_alert(SampleAlert::Declare).await.map_err(|e| e.to_string())?,
        Act::Acknowledge => {
            let page = wait_for(|| {
                slack.channels().into_iter().filter(|c| c.is_im).find_map(|dm| {
                    let who = dm.members.iter().find(|m| *m != BOT_USER_ID)?.clone();
                    let (ts, action) = button_in(&slack.messages(&dm.id), crate::render::paging::ACKNOWLEDGE)?;
                    Some((who, dm.id, ts, action))
                })
            })
            .await;
            let (who, dm, ts, action) = page.ok_or("no page reached the person on call")?;
            side.act_on_message(&who, &dm, &ts, action).await.map_err(|e| e.to_string())?;
        }
        Act::Command(who, text) => side.command(who, &channel()?, text).await.map_err(|e| e.to_string())?,
        Act::Say(who, text) => side.message(who, &channel()?, text, None).await.map_err(|e| e.to_string())?,
        Act::Pin(who) => {
            let channel = channel()?;
            let said =
                slack.messages(&channel).into_iter().rev().find(|m| m.user != BOT_USER_ID && m.thread_ts.is_none());
            let said = said.ok_or("nothing said in the incident channel to pin")?;
            side.react(who, &channel, &said.ts, "pushpin").await.map_err(|e| e.to_string())?;
        }
    }
    let shown = match step.shows {
        Shows::IncidentChannel => wait_for(|| {
            slack
                .channels()
                .into_iter()
                .find(|c| c.creator == BOT_USER_ID && !c.is_im && !channels_before.contains(&c.id))
                .map(|c| c.id)
        })
        .await
        .map(|id| *incident = Some(id)),
        Shows::BotActivity => wait_for(|| (slack.writes() > before).then_some(())).await,
        Shows::BotPost(text) => {
            let channel = channel()?;
            wait_for(|| {
                slack.messages(&channel).iter().any(|m| m.user == BOT_USER_ID && mentions(m, text)).then_some(())
            })
            .await
        }
        Shows::Highlight => highlighted(app, &channel()?).await,
        Shows::Nothing => Some(()),
    };
    shown.ok_or_else(|| {
        let reply = incident.as_deref().and_then(|c| last_reply(side, c));
        match reply {
            Some(reply) => format!("nothing happened within {}s; firebell said: {reply}", STEP_TIMEOUT.as_secs()),
            None => format!("nothing happened within {}s", STEP_TIMEOUT.as_secs()),
        }
    })?;
    // Let the step's other effects land before the next one (they are quick on a local Slack).
    settle(slack).await;
    Ok(())
}

/// Waits for a highlight on the timeline of the incident whose channel this is.
async fn highlighted(app: &App, channel: &str) -> Option<()> {
    let channel = ChannelId::parse(channel)?;
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if let Ok(Some(incident)) = app.store.incident_by_channel(&channel).await {
            let timeline = app.store.timeline(incident.id).await.unwrap_or_default();
            if timeline.iter().any(|e| matches!(e.entry, TimelineEntry::Highlight { .. })) {
                return Some(());
            }
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
    None
}

/// Polls `found` until it answers, for at most [`STEP_TIMEOUT`].
async fn wait_for<T>(mut found: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        if let Some(value) = found() {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// Waits until the bot has made no new call to Slack for half a second (at most a few seconds).
async fn settle(slack: &crate::standin::SlackStandIn) {
    let mut last = slack.writes();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = slack.writes();
        if now == last {
            return;
        }
        last = now;
    }
}

fn mentions(message: &crate::standin::Message, text: &str) -> bool {
    message.text.contains(text) || message.blocks.to_string().contains(text)
}

/// The first button with `action_id` in these messages: the message's ts and the action.
fn button_in(messages: &[crate::standin::Message], action_id: &str) -> Option<(String, Value)> {
    messages.iter().rev().find_map(|m| {
        let blocks = m.blocks.as_array()?;
        blocks.iter().find_map(|block| {
            let elements = block["elements"].as_array()?;
            let button = elements.iter().find(|e| e["action_id"] == action_id)?;
            let action = json!({
                "action_id": action_id, "block_id": block["block_id"], "value": button["value"], "type": "button",
            });
            Some((m.ts.clone(), action))
        })
    })
}

/// What the bot last told the scenario's people privately in the incident channel.
fn last_reply(side: &SlackSide, channel: &str) -> Option<String> {
    PEOPLE.iter().flat_map(|p| side.slack.ephemerals_for(p.id, channel)).max_by_key(|e| e.at).map(|e| e.text)
}
