//! firebell's load generator: correctly signed slash commands and Events API deliveries at a
//! fixed rate for a fixed duration, with the acknowledgement latency of each.
//!
//! ```text
//! loadgen run --url http://127.0.0.1:3000 --kind help --rate 500 --duration 10s
//! loadgen run --url … --kind note --channel C0123 --rate 500      # in an incident channel
//! loadgen run --url … --kind event --channel C0123 --rate 5000    # message events
//! loadgen run --url … --kind declare --connections 32              # a declaration burst
//! loadgen suite --firebell target/release/firebell [--database postgres://…]
//! ```
//!
//! `run` loads a server that is already running. `suite` does everything `scripts/bench-e2e`
//! promises: it starts the fake Slack (from `tests/support`) in this process, `firebell serve`
//! as a child on a temporary database, declares an incident, runs each load, samples the
//! server's memory and outbox, and prints one table.
//!
//! The load is open-loop: request `n` is sent at `start + n / rate` whatever happened to the
//! earlier ones, each in its own task, so a slow server cannot slow the load down. Latency is
//! from handing the request to the HTTP client to the end of the answer; `lag` is how late the
//! generator sent its requests against the schedule (its own timer and CPU share), reported so
//! that a generator that fell behind shows. With `--connections N` the load is closed-loop
//! instead: N clients each send their next request as soon as the last is answered, for the
//! duration (a burst: as many as the server takes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark tool fails loudly")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use firebell::slack::signature;
use serde_json::json;

use firebell::standin::{self as fake_slack, SlackStandIn as FakeSlack};

const SIGNING_SECRET: &str = "loadgen-signing-secret";
const TEAM_ID: &str = "T0FIREBELL";
const UNUSED_RESPONSE_URL: &str = "http://127.0.0.1:9/unused";

#[derive(Parser)]
#[command(about = "Load generator for firebell: signed slash commands and events at a fixed rate")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load a running server.
    Run(RunArgs),
    /// Start the fake Slack and firebell, run every load, print one table.
    Suite(SuiteArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// `/incident help`: no writes.
    Help,
    /// `/incident note …` in an incident channel: one durable write and one outbox job.
    Note,
    /// A `message` event in an incident channel: recorded once per `event_id`.
    Event,
    /// `/incident declare sev3 service:search …`: a new incident, its channel and notices.
    Declare,
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    #[arg(long, value_enum, default_value = "help")]
    kind: Kind,
    /// Requests per second.
    #[arg(long, default_value_t = 500)]
    rate: u32,
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    duration: Duration,
    /// The incident channel (for `note` and `event`).
    #[arg(long, default_value = "C0GENERAL")]
    channel: String,
    /// The server's SLACK_SIGNING_SECRET.
    #[arg(long, default_value = SIGNING_SECRET)]
    signing_secret: String,
    /// Closed loop: this many clients, each sending as soon as its last request is answered
    /// (`--rate` is then ignored).
    #[arg(long)]
    connections: Option<usize>,
    /// Where declarations' follow-ups go (a fake Slack's response URL in the suite).
    #[arg(long, default_value = UNUSED_RESPONSE_URL)]
    response_url: String,
}

#[derive(clap::Args)]
struct SuiteArgs {
    /// The firebell binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/firebell")]
    firebell: String,
    /// A PostgreSQL URL to run on instead of a temporary SQLite file. Give it an empty database:
    /// one left by an earlier run holds channel ids that the new fake Slack hands out again.
    #[arg(long)]
    database: Option<String>,
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    duration: Duration,
    /// Rates for the slash-command latency curve (`--rates` alone: none).
    #[arg(long, value_delimiter = ',', num_args = 0.., default_value = "100,250,500,1000,2000")]
    rates: Vec<u32>,
    /// Rates for the Events API ingestion runs (`--event-rates` alone: none).
    #[arg(long, value_delimiter = ',', num_args = 0.., default_value = "2000,3000,4000,5000")]
    event_rates: Vec<u32>,
    /// Clients declaring incidents in a closed loop for one run (0: no burst).
    #[arg(long, default_value_t = 32)]
    burst_connections: usize,
    /// Whether to end with the runs against a fake Slack answering in 2 s.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    slow_slack: bool,
}

/// What one load run measured.
struct Outcome {
    sent: usize,
    errors: usize,
    /// The largest delay between a request's scheduled and actual send.
    lag: Duration,
    /// Completed requests per second over the sending window.
    achieved: f64,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }

    fn row(&self, label: &str) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "| {label} | {} | {:.0}/s | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.sent,
            self.achieved,
            self.errors,
            ms(self.lag),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.90)),
            ms(self.percentile(0.99)),
            ms(self.latencies.last().copied().unwrap_or_default()),
        )
    }
}

const HEADER: &str = "| load | sent | achieved | errors | max lag ms | p50 ms | p90 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |";

fn signed(
    client: &reqwest::Client,
    args: &RunArgs,
    path: &str,
    content_type: &str,
    body: String,
) -> reqwest::RequestBuilder {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = signature::sign(args.signing_secret.as_bytes(), &timestamp, body.as_bytes());
    client
        .post(format!("{}{path}", args.url.trim_end_matches('/')))
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", timestamp)
        .header("x-slack-signature", signature)
        .body(body)
}

/// A slash command form. The `response_url` matters only for `declare` (which posts to it
/// later); the load's own commands answer in the acknowledgement.
fn command_body(text: &str, channel: &str, response_url: &str) -> String {
    serde_urlencoded::to_string([
        ("team_id", TEAM_ID),
        ("channel_id", channel),
        ("user_id", "U0LOADGEN"),
        ("command", "/incident"),
        ("text", text),
        ("response_url", response_url),
        ("trigger_id", "1.2.3"),
    ])
    .unwrap()
}

/// The request number `n` of a run.
fn request(client: &reqwest::Client, args: &RunArgs, n: usize, run_id: u128) -> reqwest::RequestBuilder {
    let form = "application/x-www-form-urlencoded";
    match args.kind {
        Kind::Help => {
            signed(client, args, "/slack/commands", form, command_body("help", &args.channel, UNUSED_RESPONSE_URL))
        }
        Kind::Note => signed(
            client,
            args,
            "/slack/commands",
            form,
            command_body(&format!("note load note {n}: error rate steady"), &args.channel, UNUSED_RESPONSE_URL),
        ),
        Kind::Event => {
            let ts = format!("{}.{:06}", 1_790_000_000 + n / 1_000_000, n % 1_000_000);
            let body = json!({
                "type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0FIREBELL",
                "event_id": format!("Ev{run_id:x}x{n}"), "event_time": 1_790_000_000,
                "event": {"type": "message", "channel": args.channel, "user": "U0LOADGEN",
                          "text": format!("load message {n}"), "ts": ts, "event_ts": ts, "channel_type": "channel"}
            });
            signed(client, args, "/slack/events", "application/json", body.to_string())
        }
        Kind::Declare => signed(
            client,
            args,
            "/slack/commands",
            form,
            command_body(&format!("declare sev3 service:search Burst incident {n}"), "C0GENERAL", &args.response_url),
        ),
    }
}

/// The start of firebell's "something went wrong on our side" reply.
fn internal_error() -> &'static str {
    let text = firebell::catalog::text(firebell::catalog::Locale::En, firebell::catalog::Key::InternalError).as_str();
    text.split('.').next().unwrap_or(text)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .build()
        .unwrap()
}

/// Whether an answer counts as done: a 2xx whose ephemeral reply does not say firebell failed.
async fn answered(response: reqwest::Result<reqwest::Response>) -> bool {
    match response {
        Ok(response) if response.status().is_success() => {
            let body = response.bytes().await.unwrap_or_default();
            !String::from_utf8_lossy(&body).contains(internal_error())
        }
        _ => false,
    }
}

/// Sends `rate` requests a second for `duration`, each as its own task, and waits for all
/// (or, with `--connections`, runs the closed loop of [`burst`]).
async fn run(args: &RunArgs) -> Outcome {
    if let Some(connections) = args.connections {
        return burst(args, connections).await;
    }
    let client = client();
    let total = (f64::from(args.rate) * args.duration.as_secs_f64()).round() as usize;
    let period = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let errors = Arc::new(Mutex::new(0usize));
    let run_id = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total);
    let mut lag = Duration::ZERO;
    for n in 0..total {
        let scheduled = start + period.mul_f64(n as f64);
        tokio::time::sleep_until(scheduled).await;
        lag = lag.max(scheduled.elapsed());
        let request = request(&client, args, n, run_id);
        let (latencies, errors) = (Arc::clone(&latencies), Arc::clone(&errors));
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            if answered(request.send().await).await {
                latencies.lock().unwrap().push(sent.elapsed());
            } else {
                *errors.lock().unwrap() += 1;
            }
        }));
    }
    let sending = start.elapsed();
    for task in tasks {
        let _ = task.await;
    }
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap());
    latencies.sort();
    let errors = *errors.lock().unwrap();
    Outcome { sent: total, errors, lag, achieved: latencies.len() as f64 / sending.as_secs_f64().max(1e-9), latencies }
}

/// `connections` clients, each sending its next request once the last is answered, until
/// `duration` has passed.
async fn burst(args: &RunArgs, connections: usize) -> Outcome {
    let client = client();
    let run_id = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let clients: Vec<_> = (0..connections)
        .map(|_| {
            let (client, args, next) = (client.clone(), args.clone(), Arc::clone(&next));
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while start.elapsed() < args.duration {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let sent = Instant::now();
                    if answered(request(&client, &args, n, run_id).send().await).await {
                        latencies.push(sent.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for client in clients {
        let (mut some, more) = client.await.unwrap();
        latencies.append(&mut some);
        errors += more;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Outcome {
        sent: latencies.len() + errors,
        errors,
        lag: Duration::ZERO,
        achieved: latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        latencies,
    }
}

/// The resident memory of a process, in MiB (Linux).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Server {
    child: tokio::process::Child,
    url: String,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id().unwrap_or_default()
    }
}

/// Starts `firebell serve` and returns once `/readyz` answers 200, with the time that took.
async fn start_server(args: &SuiteArgs, slack: &FakeSlack, database_url: &str, port: u16) -> (Server, Duration) {
    let started = Instant::now();
    let child = tokio::process::Command::new(&args.firebell)
        .arg("serve")
        .env_clear()
        .envs([
            ("SLACK_BOT_TOKEN", fake_slack::TOKEN.to_owned()),
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
            ("SLACK_API_URL", slack.api_url()),
            ("SLACK_TEAM_ID", TEAM_ID.to_owned()),
            ("DATABASE_URL", database_url.to_owned()),
            ("FIREBELL_CONFIG", write_policy()),
            ("FIREBELL_LISTEN", format!("127.0.0.1:{port}")),
            ("RUST_LOG", "error".to_owned()),
        ])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e} (build it with cargo build --release)", args.firebell));
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    loop {
        if client.get(format!("{url}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "firebell did not become ready");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    (Server { child, url }, started.elapsed())
}

fn write_policy() -> String {
    let path = std::env::temp_dir().join(format!("firebell-loadgen-{}.toml", std::process::id()));
    let policy = format!(
        "{}\n[[services]]\nname = \"search\"\nteam_channel = \"C0SEARCH\"\nresponders = [\"U0SEARCHER\"]\n",
        include_str!("../tests/fixtures/contract_policy.toml")
    );
    std::fs::write(&path, policy).unwrap();
    path.display().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Declares an incident through the server and returns its channel, from the fake Slack.
async fn declare(server: &Server, slack: &FakeSlack) -> String {
    let args = RunArgs {
        url: server.url.clone(),
        kind: Kind::Help,
        rate: 1,
        duration: Duration::ZERO,
        channel: "C0GENERAL".into(),
        signing_secret: SIGNING_SECRET.into(),
        connections: None,
        response_url: UNUSED_RESPONSE_URL.into(),
    };
    let client = reqwest::Client::new();
    let body =
        command_body("declare sev3 service:search Load test incident", "C0GENERAL", &slack.response_url("declare"));
    let response = signed(&client, &args, "/slack/commands", "application/x-www-form-urlencoded", body).send().await;
    assert!(response.unwrap().status().is_success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(channel) = slack.channel_by_prefix("inc-") {
            return channel;
        }
        assert!(Instant::now() < deadline, "the incident channel was never created");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Outbox jobs due now and not done (a reminder or nudge scheduled for later does not count).
async fn unfinished_jobs(database_url: &str) -> i64 {
    let url = firebell::config::env::DatabaseUrl::parse(database_url).unwrap();
    let store = firebell::store::Store::connect(&url).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let count =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox_jobs WHERE state IN ('pending', 'running') AND run_at <= $1")
            .bind(now)
            .fetch_one(store.pool())
            .await
            .unwrap();
    store.close().await;
    count
}

async fn suite(args: SuiteArgs) {
    let dir = tempfile::tempdir().unwrap();
    let database_url =
        args.database.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("firebell.db").display()));
    let backend = if args.database.is_some() { "PostgreSQL" } else { "SQLite" };
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
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
    slack.add_user("U0LOADGEN", "loadgen");

    // Start-to-ready: the first start migrates a new database; the second finds it ready.
    let (server, first_start) = start_server(&args, &slack, &database_url, free_port()).await;
    drop(server);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (server, ready) = start_server(&args, &slack, &database_url, free_port()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_mib(server.pid());
    let channel = declare(&server, &slack).await;
    println!(
        "firebell load suite: {backend}, fake Slack in-process, {} per run",
        humantime::format_duration(args.duration)
    );
    println!(
        "start to ready: {:.0} ms with an existing database ({:.0} ms migrating a new one); idle RSS {idle:.1} MiB\n",
        ready.as_secs_f64() * 1000.0,
        first_start.as_secs_f64() * 1000.0
    );
    println!("{HEADER}");
    let base = RunArgs {
        url: server.url.clone(),
        kind: Kind::Help,
        rate: 0,
        duration: args.duration,
        channel: channel.clone(),
        signing_secret: SIGNING_SECRET.into(),
        connections: None,
        response_url: slack.response_url("loadgen"),
    };
    for kind in [Kind::Help, Kind::Note] {
        for &rate in &args.rates {
            let outcome = run(&RunArgs { kind, rate, ..base.clone() }).await;
            println!("{}", outcome.row(&format!("{kind:?} @ {rate}/s").to_lowercase()));
            settle(&database_url).await;
        }
    }
    for &rate in &args.event_rates {
        let outcome = run(&RunArgs { kind: Kind::Event, rate, ..base.clone() }).await;
        println!("{}", outcome.row(&format!("event @ {rate}/s")));
        settle(&database_url).await;
    }
    // A declaration burst, closed-loop, while the outbox drains the earlier declarations'
    // channels and notices to the fake Slack (in this process, not firebell's).
    if args.burst_connections > 0 {
        let connections = Some(args.burst_connections);
        let outcome = run(&RunArgs { kind: Kind::Declare, connections, ..base.clone() }).await;
        println!("{}", outcome.row(&format!("declare, {} connections", args.burst_connections)));
        let drained = Instant::now();
        settle(&database_url).await;
        println!(
            "\n(after the burst: waited {:.1} s for its outbox; {} incident channels opened in the fake Slack, firebell paces conversations.create at Slack's Tier 2, about 20 a minute)\n",
            drained.elapsed().as_secs_f64(),
            slack.channels_named_like("inc-")
        );
    }

    if !args.slow_slack {
        return;
    }
    // Slack answering every call in 2 s: acknowledgements must not care; the outbox backs up.
    slack.set_latency(Duration::from_secs(2));
    let before = rss_mib(server.pid());
    let mut peak = before;
    for kind in [Kind::Help, Kind::Note] {
        let outcome = run(&RunArgs { kind, rate: 500, ..base.clone() }).await;
        peak = peak.max(rss_mib(server.pid()));
        println!("{}", outcome.row(&format!("{kind:?} @ 500/s, Slack 2 s").to_lowercase()));
    }
    let backlog = unfinished_jobs(&database_url).await;
    let after = rss_mib(server.pid());
    println!(
        "\nwith Slack at 2 s: RSS {before:.1} MiB before, {peak:.1} MiB peak, {after:.1} MiB after; {backlog} outbox jobs waiting"
    );
    slack.set_latency(Duration::ZERO);
    let drained = Instant::now();
    settle(&database_url).await;
    println!(
        "waited {:.1} s for the outbox once Slack answered at once; RSS {:.1} MiB",
        drained.elapsed().as_secs_f64(),
        rss_mib(server.pid())
    );
}

/// Waits (up to 30 seconds) until the outbox is empty, so runs do not overlap much, and says
/// how many jobs still wait. Posts to one channel drain at Slack's pace of about one message a
/// second (firebell paces itself to Slack's limits), so a run of thousands of
/// notes leaves a backlog that only trickles out, adding next to no load to the next run.
async fn settle(database_url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut waiting = unfinished_jobs(database_url).await;
    while waiting > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waiting = unfinished_jobs(database_url).await;
    }
    if waiting > 0 {
        println!(
            "|   (after 30 s, {waiting} outbox jobs still waiting, draining at Slack's pace, which firebell keeps to) | | | | | | | | |"
        );
    }
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        match cli.command {
            Command::Run(args) => {
                let outcome = run(&args).await;
                println!("{HEADER}\n{}", outcome.row(&format!("{:?} @ {}/s", args.kind, args.rate).to_lowercase()));
            }
            Command::Suite(args) => suite(args).await,
        }
    });
}
