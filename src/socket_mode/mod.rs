//! Socket Mode: Slack traffic over a WebSocket that firebell opens, for installs that cannot
//! expose a public HTTP endpoint.
//!
//! The loop: `apps.connections.open` with the app-level token → connect → `hello` → answer
//! envelopes until Slack says `disconnect` (open a new connection at once) or the connection
//! drops (reconnect with capped backoff). Each envelope is handled in its own task by
//! [`dispatch::answer`], which calls the same app code as the HTTP endpoints; acknowledgements
//! go back through one writer. A ping every [`PING_EVERY`] notices a connection that died
//! silently.
//!
//! Why not slack-morphism's listener: it hands callbacks typed events (dropping payloads it
//! cannot deserialize) and acknowledges after the callback, while firebell keeps the raw
//! payload and shares its inbound types with the HTTP endpoints.

pub mod dispatch;
pub mod frame;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::slack::client::{SlackApi, SlackCallError};
use frame::Frame;

/// How often firebell pings Slack; a connection silent for [`SILENCE_LIMIT`] is replaced.
pub const PING_EVERY: Duration = Duration::from_secs(10);
const SILENCE_LIMIT: Duration = Duration::from_secs(35);
/// Bound on opening one connection (the Web API call and the WebSocket handshake each).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing connection waits for acknowledgements of envelopes already in hand.
const DRAIN_LIMIT: Duration = Duration::from_secs(3);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a connection ended.
#[derive(Debug)]
enum Ended {
    /// Shutdown was asked for: stop.
    Shutdown,
    /// Slack asked for a new connection: open one at once.
    Refresh(String),
    /// It failed or dropped: try again after a backoff.
    Failed(String),
    /// Slack rejected the app-level token: nothing arrives until an operator fixes it. Retried
    /// with the backoff, so a regenerated token is picked up without a restart.
    Rejected(String),
    /// `apps.connections.open` was rate limited: try again after this long at the earliest.
    RateLimited(Option<Duration>),
}

/// Reconnect delays: 500 ms doubling to 30 s; back to the start after a good connection.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);
    const CAP: Duration = Duration::from_secs(30);

    pub fn new() -> Backoff {
        Backoff { next: Backoff::FIRST }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Backoff::CAP);
        delay
    }

    pub fn reset(&mut self) {
        self.next = Backoff::FIRST;
    }
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff::new()
    }
}

/// Keeps a Socket Mode connection up until `shutdown` fires. `connections` is the Web API
/// client authenticated with the app-level token.
pub async fn run(app: App, connections: SlackApi, shutdown: CancellationToken) {
    app.health.socket_mode_starting();
    let mut backoff = Backoff::new();
    // The last failure logged loudly, so a bad token or a long outage is one error, not a flood.
    let mut last_failure: Option<String> = None;
    loop {
        let delay = match connect_and_serve(&app, &connections, &shutdown, &mut backoff).await {
            Ended::Shutdown => break,
            Ended::Refresh(reason) => {
                tracing::info!(socket.reason = reason, "Slack asked for a new Socket Mode connection");
                app.health.socket_mode_down(&format!("reconnecting ({reason})"));
                last_failure = None;
                continue;
            }
            Ended::RateLimited(retry_after) => {
                app.health.socket_mode_down("apps.connections.open is rate limited");
                tracing::warn!(?retry_after, "apps.connections.open is rate limited; waiting");
                backoff.next_delay().max(retry_after.unwrap_or_default())
            }
            Ended::Rejected(reason) => {
                app.health.socket_mode_down(&reason);
                if last_failure.as_deref() != Some(reason.as_str()) {
                    tracing::error!(socket.reason = reason, "Socket Mode cannot connect; check SLACK_APP_TOKEN");
                    last_failure = Some(reason);
                }
                backoff.next_delay()
            }
            Ended::Failed(reason) => {
                app.health.socket_mode_down(&reason);
                app.metrics.count("firebell_socket_mode_disconnects_total", &[]);
                if last_failure.as_deref() == Some(reason.as_str()) {
                    tracing::debug!(socket.reason = reason, "Socket Mode still down");
                } else {
                    tracing::warn!(socket.reason = reason, "Socket Mode connection down; reconnecting");
                    last_failure = Some(reason);
                }
                backoff.next_delay()
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    tracing::info!("Socket Mode stopped");
}

async fn connect_and_serve(
    app: &App,
    connections: &SlackApi,
    shutdown: &CancellationToken,
    backoff: &mut Backoff,
) -> Ended {
    let opened = tokio::select! {
        _ = shutdown.cancelled() => return Ended::Shutdown,
        opened = connections.open_connection() => opened,
    };
    let url = match opened {
        Ok(url) => url,
        Err(SlackCallError::Auth(code)) => return Ended::Rejected(app_token_rejected(&code)),
        Err(SlackCallError::Refused(code)) if code == "not_allowed_token_type" => {
            return Ended::Rejected(app_token_rejected(&code));
        }
        Err(SlackCallError::RateLimited { retry_after }) => return Ended::RateLimited(retry_after),
        Err(SlackCallError::Refused(code)) => {
            return Ended::Failed(format!(
                "apps.connections.open refused ({code}); check that Socket Mode is on in the app's settings"
            ));
        }
        Err(error) => return Ended::Failed(format!("apps.connections.open failed: {error}")),
    };
    let handshake = tokio::select! {
        _ = shutdown.cancelled() => return Ended::Shutdown,
        handshake = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url.as_str())) => handshake,
    };
    let socket = match handshake {
        Ok(Ok((socket, _))) => socket,
        // The URL holds a one-time ticket: the error is logged without it.
        Ok(Err(error)) => return Ended::Failed(format!("WebSocket handshake failed: {error}")),
        Err(_) => return Ended::Failed(format!("WebSocket handshake took over {CONNECT_TIMEOUT:?}")),
    };
    serve(app, socket, shutdown, backoff).await
}

fn app_token_rejected(code: &str) -> String {
    format!("Slack rejected SLACK_APP_TOKEN ({code}); expected an app-level token (xapp-…) with connections:write")
}

/// Reads frames until the connection ends; envelopes are answered in their own tasks.
async fn serve(app: &App, socket: Socket, shutdown: &CancellationToken, backoff: &mut Backoff) -> Ended {
    let (mut sink, mut stream) = socket.split();
    let (acks, mut pending_acks) = mpsc::unbounded_channel::<String>();
    let mut heartbeat = tokio::time::interval(PING_EVERY);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let ended = loop {
        tokio::select! {
            _ = shutdown.cancelled() => break Ended::Shutdown,
            Some(ack) = pending_acks.recv() => {
                if let Err(error) = sink.send(Message::text(ack)).await {
                    break Ended::Failed(format!("could not send an acknowledgement: {error}"));
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    break Ended::Failed(format!("nothing heard from Slack for {SILENCE_LIMIT:?}"));
                }
                if let Err(error) = sink.send(Message::Ping(Default::default())).await {
                    break Ended::Failed(format!("could not ping Slack: {error}"));
                }
            }
            received = stream.next() => {
                last_heard = Instant::now();
                let text = match received {
                    None => break Ended::Failed("Slack closed the connection".to_owned()),
                    Some(Err(error)) => break Ended::Failed(format!("connection lost: {error}")),
                    Some(Ok(Message::Close(_))) => break Ended::Failed("Slack closed the connection".to_owned()),
                    Some(Ok(Message::Text(text))) => text,
                    // Pings are answered by the library; pongs and the rest only prove life.
                    Some(Ok(_)) => continue,
                };
                match Frame::parse(text.as_str()) {
                    Ok(Frame::Hello) => {
                        tracing::info!("Socket Mode connected");
                        app.health.socket_mode_connected();
                        backoff.reset();
                    }
                    Ok(Frame::Disconnect { reason }) if reason == "link_disabled" => {
                        // Socket Mode was switched off for the app: reconnecting at once would spin.
                        break Ended::Failed("Socket Mode is turned off in the app's settings (link_disabled)".to_owned());
                    }
                    Ok(Frame::Disconnect { reason }) => break Ended::Refresh(reason),
                    Ok(Frame::Envelope(envelope)) => {
                        let (app, acks) = (app.clone(), acks.clone());
                        tokio::spawn(async move {
                            if let Some(ack) = dispatch::answer(&app, envelope).await {
                                // A closed channel means the connection is gone: Slack redelivers.
                                let _ = acks.send(ack);
                            }
                        });
                    }
                    Ok(Frame::Other { kind }) => tracing::debug!(socket.type = kind, "ignored a Socket Mode frame"),
                    Err(error) => tracing::info!(%error, "ignored an unreadable Socket Mode frame"),
                }
            }
        }
    };
    // Envelopes already in hand still get their acknowledgement on this connection (bounded),
    // so a refresh or a shutdown does not make Slack deliver them again.
    drop(acks);
    let _ = tokio::time::timeout(DRAIN_LIMIT, async {
        while let Some(ack) = pending_acks.recv().await {
            if sink.send(Message::text(ack)).await.is_err() {
                break;
            }
        }
        let _ = sink.send(Message::Close(None)).await;
    })
    .await;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut backoff = Backoff::new();
        let delays: Vec<u64> = (0..9).map(|_| backoff.next_delay().as_millis() as u64).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(500));
    }
}
