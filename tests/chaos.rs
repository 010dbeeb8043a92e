//! Chaos: the real binary is killed (SIGKILL) at a random moment of a scripted incident —
//! declare, a silence long enough for a reminder and a lead nudge, an update, a severity
//! change, the resolution and the retrospective nudge after it — restarted on the same
//! database, and left to finish. After every trial the incident must have come out whole:
//! one channel, every notice, update and resolution posted exactly once in each channel that
//! should see it, every reminder and nudge claimed once with its job finished and posted at
//! most once (the first reminder and the retrospective nudge exactly once), no Slack
//! delivery posted twice, the reporter told once, and no job stuck or given up.
//!
//! The kill lands while background work runs (channel set-up, notices, reminders, nudges) or
//! between two commands, never inside a command's request: a person whose command got no
//! answer cannot know whether to repeat it. That a command is recorded whole or not at all is
//! its transaction's job; `tests/e2e/crash.rs` kills at chosen moments of the delivery.
//!
//! Its own test binary, so it can be run alone: `cargo test --test chaos -- --nocapture`.
//! `FIREBELL_CHAOS_TRIALS` sets the number of trials (default 10, about 40 s);
//! `FIREBELL_CHAOS_SEED` replays a run (the seed is printed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their support fail loudly on purpose"
)]

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use firebell::config::env::DatabaseUrl;
use firebell::store::Store;
use tokio::sync::Mutex;

use support::database;
use support::fake_slack::{BOT_USER_ID, FakeSlack, Message};
use support::process::{Firebell, Setup};
use support::{wait, workspace};

/// A small deterministic generator (xorshift64*): enough to spread the kill moments.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}

/// One step of the script after the declaration.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Stay silent until the first update reminder is in the incident channel.
    AwaitReminder,
    /// Type a command in the incident channel.
    Type(&'static str),
}

const SCRIPT: [Step; 4] = [
    Step::AwaitReminder,
    Step::Type("update Rolled back v42, error rate falling"),
    Step::Type("severity sev1"),
    Step::Type("resolve Rollback fixed it"),
];

/// The first words of each reminder and nudge, as the English catalog writes them.
const REMINDER: &str = "No update on incident #1";
const LEAD_NUDGE: &str = "Incident #1 has no lead yet";
const RETRO_NUDGE: &str = "Incident #1 was resolved";

/// Runs an assertion and counts it, so the summary reports the checks actually made.
macro_rules! check {
    ($checks:ident, $assertion:expr) => {{
        $assertion;
        $checks += 1;
    }};
}

/// The contract's policy with clocks that tick within a trial: a SEV2 reminder after 2 s of
/// silence, the lead nudge after 1 s, the retrospective nudge 1 s after the resolution, and
/// escalation out of reach (so the announcements channel holds only the notice).
fn policy() -> String {
    let mut policy = workspace::CONTRACT_POLICY.to_owned();
    for (from, to) in [
        ("update_every = \"30m\"", "update_every = \"2s\""),
        ("lead_within = \"10m\"", "lead_within = \"1s\""),
        ("retro_within = \"2d\"", "retro_within = \"1s\""),
        ("escalate_after = 2 ", "escalate_after = 9 "),
    ] {
        assert!(policy.contains(from), "the contract policy no longer says {from}");
        policy = policy.replace(from, to);
    }
    policy
}

/// Bot posts in `channel` (top level) whose text contains `needle`.
fn posts_with(slack: &FakeSlack, channel: &str, needle: &str) -> usize {
    workspace::bot_posts(slack, channel).iter().filter(|m| m.text.contains(needle)).count()
}

/// The process currently serving, and how many script steps it has taken (shared with the
/// killer so a kill never lands in the middle of a command's request).
struct Running {
    firebell: Option<Firebell>,
    next_step: usize,
}

/// Runs one trial; returns how many invariant checks held.
async fn trial(number: usize, kill_after: Duration) -> usize {
    let slack = Arc::new(FakeSlack::start().await.expect("the Slack stand-in starts"));
    workspace::seed(&slack);
    // Each Web API call takes a little time, so the delivery of the whole script spreads over
    // about a second and a random kill lands between many different steps.
    slack.set_latency(Duration::from_millis(15));
    let db = database::sqlite();
    let policy = db.write_policy(&self::policy());
    let log = db.dir.path().join("firebell.log");
    let setup = Setup { slack: &slack, database_url: &db.url, policy: &policy, log: log.clone(), env: vec![] };

    let first = Firebell::start(&setup).await;
    let reply = first.command("declare sev2 service:payments Checkout is down", &slack.response_url("cmd")).await;
    assert!(reply.starts_with("Declaring incident #1"), "trial {number}: {reply}");
    let running = Arc::new(Mutex::new(Running { firebell: Some(first), next_step: 0 }));

    // The killer: at `kill_after`, between two commands, SIGKILL.
    let killer = {
        let running = Arc::clone(&running);
        tokio::spawn(async move {
            tokio::time::sleep(kill_after).await;
            let mut state = running.lock().await;
            if let Some(firebell) = state.firebell.take() {
                firebell.kill().await;
            }
        })
    };

    // The script: each step once the incident channel exists, on whichever process is up.
    let channel_name = format!("inc-{}-1-checkout-is-down", workspace::seoul_today());
    let mut restarted = false;
    let script = async {
        loop {
            let mut state = running.lock().await;
            if state.next_step == SCRIPT.len() {
                break;
            }
            if state.firebell.is_none() {
                state.firebell = Some(Firebell::start(&setup).await);
                restarted = true;
            }
            let Some(channel) = slack.channel_by_name(&channel_name) else {
                drop(state);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let step = SCRIPT[state.next_step];
            let text = match step {
                Step::AwaitReminder if posts_with(&slack, &channel.id, REMINDER) > 0 => {
                    state.next_step += 1;
                    continue;
                }
                Step::AwaitReminder => {
                    drop(state);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                Step::Type(text) => text,
            };
            let firebell = state.firebell.as_ref().expect("a process is up");
            let reply = firebell.command_in(text, &channel.id, &slack.response_url("cmd")).await;
            if reply.contains("works inside an incident channel") {
                // Slack made the channel, firebell has not recorded it yet (or was killed
                // before it could): nothing changed, so do what a person would — try again.
                drop(state);
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            assert_eq!(reply, "Done.", "trial {number}: `{text}`");
            state.next_step += 1;
            drop(state);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(wait::DEADLINE, script)
        .await
        .unwrap_or_else(|_| panic!("trial {number}: the script did not finish within {:?}", wait::DEADLINE));
    killer.await.unwrap();
    {
        let mut state = running.lock().await;
        if state.firebell.is_none() {
            state.firebell = Some(Firebell::start(&setup).await);
            restarted = true;
        }
    }

    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    let channel = slack.channel_by_name(&channel_name).unwrap();
    // The retrospective nudge is due a second after the resolution; a lost one fails here.
    wait::until_sync("the retrospective nudge", || posts_with(&slack, &channel.id, RETRO_NUDGE) > 0).await;
    wait::until("the outbox to drain after the restart", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    // Read again now that everything is delivered (pins and posts came after the wait above).
    let channel = slack.channel_by_name(&channel_name).unwrap();
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    let context = format!("trial {number} (killed after {kill_after:?}, restarted: {restarted})");

    let mut checks = 0;
    // 1–2: no job stuck or given up.
    check!(checks, assert_eq!(store.unfinished_jobs().await.unwrap(), 0, "{context}"));
    check!(
        checks,
        assert!(
            store.failed_jobs().await.unwrap().is_empty(),
            "{context}: {:?}\n{}",
            store.failed_jobs().await,
            logs()
        )
    );
    // 3: exactly one channel.
    check!(
        checks,
        assert_eq!(slack.channels_named_like(&format!("inc-{}-1", workspace::seoul_today())), 1, "{context}")
    );
    // 4–6: every notice once (payments' team, checkout's team as a dependent, announcements).
    for notice in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        let posts: Vec<String> = workspace::bot_posts(&slack, notice).into_iter().map(|m| m.text).collect();
        check!(checks, assert_eq!(posts.len(), 1, "{context}: notices in {notice}: {posts:?}"));
    }
    // 7–9: in each notice's thread, the update and the resolution exactly once.
    for notice in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        let replies = slack.messages(notice).into_iter().filter(|m| m.user == BOT_USER_ID && m.thread_ts.is_some());
        let texts: Vec<String> = replies.map(|m| m.text).collect();
        let updates = texts.iter().filter(|t| t.contains("Rolled back v42")).count();
        let resolutions = texts.iter().filter(|t| t.contains("Rollback fixed it")).count();
        check!(checks, assert_eq!((updates, resolutions), (1, 1), "{context}: thread of {notice}: {texts:?}"));
    }
    // 10–11: in the incident channel, the summary once and each change's post once.
    let posts = workspace::bot_posts(&slack, &channel.id);
    let once = |needle: &str| posts.iter().filter(|m| m.text.contains(needle)).count();
    check!(checks, assert_eq!(channel.pins.len(), 1, "{context}: one pinned summary"));
    check!(
        checks,
        assert_eq!(
            (once("Rolled back v42"), once("raised the severity"), once("Rollback fixed it")),
            (1, 1, 1),
            "{context}: posts in the incident channel: {:?}",
            posts.iter().map(|m| &m.text).collect::<Vec<_>>()
        )
    );
    // 12–13: the nudges. Each instant is claimed in the same transaction as its job, so a
    // kill can neither lose nor repeat the claim: one lead-nudge job, finished (1–2). It posts
    // once — or not at all when it runs after the resolution (a kill can delay it that long:
    // its channel still being opened, or its own run cut short), since a resolved incident
    // needs no lead. The script waits for the retrospective nudge, so that one is exact.
    let lead_nudge_jobs = store.all_jobs().await.unwrap().iter().filter(|job| job.kind == "lead_nudge").count();
    let lead_nudges = posts_with(&slack, &channel.id, LEAD_NUDGE);
    check!(
        checks,
        assert!(
            lead_nudge_jobs == 1 && lead_nudges <= 1,
            "{context}: {lead_nudges} lead nudges, {lead_nudge_jobs} jobs"
        )
    );
    check!(checks, assert_eq!(posts_with(&slack, &channel.id, RETRO_NUDGE), 1, "{context}: retrospective nudges"));
    // 14–15: update reminders. The script waited for the first, so one was due and posted;
    // every reminder job finished (1–2), and none posted twice: each post's delivery key
    // (job, place, n-th post) is unique, and there is no more than one post per job (a job
    // that runs after the resolution posts nothing, by design).
    let reminder_jobs = store.all_jobs().await.unwrap().into_iter().filter(|job| job.kind == "post_reminder").count();
    let reminders: Vec<Message> =
        workspace::bot_posts(&slack, &channel.id).into_iter().filter(|m| m.text.contains(REMINDER)).collect();
    check!(
        checks,
        assert!(
            (1..=reminder_jobs).contains(&reminders.len()),
            "{context}: {} reminders, {reminder_jobs} jobs",
            reminders.len()
        )
    );
    check!(checks, assert_eq!(slack.deliveries_posted_twice(), Vec::<String>::new(), "{context}: posted twice"));
    // 16: the reporter is told once that the incident is declared.
    let declared =
        slack.responses().iter().filter(|r| r["text"].as_str().unwrap_or_default().contains("is declared")).count();
    check!(checks, assert_eq!(declared, 1, "{context}"));

    let mut state = running.lock().await;
    if let Some(firebell) = state.firebell.take() {
        firebell.kill().await;
    }
    checks
}

#[tokio::test]
async fn killed_at_random_moments_every_incident_comes_out_whole() {
    let trials: usize = std::env::var("FIREBELL_CHAOS_TRIALS").ok().and_then(|n| n.parse().ok()).unwrap_or(10);
    let seed: u64 = std::env::var("FIREBELL_CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
    });
    println!("chaos: {trials} trials, seed {seed} (FIREBELL_CHAOS_SEED={seed} replays them)");
    let mut random = Random(seed);
    let mut checks = 0;
    for number in 1..=trials {
        let kill_after = Duration::from_millis(random.below(3500));
        checks += trial(number, kill_after).await;
        println!("chaos: trial {number} passed (killed after {kill_after:?})");
    }
    println!("chaos: {trials} trials, {checks} invariant checks, all held");
}
