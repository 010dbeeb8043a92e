//! The stand-in's Socket Mode side: a WebSocket server on its own port whose URL
//! `apps.connections.open` hands out. Each connection gets `hello` at once; the test then
//! pushes envelopes (`slash_commands`, `events_api`, `interactive`), a `disconnect`, or drops
//! the connection without a close frame, and reads back every frame the bot sent
//! (acknowledgements).
//!
//! Envelopes go to the newest open connection, as Slack sends each envelope on one of them.

use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_tungstenite::tungstenite::Message;

/// What the test asks a connection to do.
enum Control {
    Send(String),
    /// Drop the TCP connection without a close frame: a network failure.
    Drop,
}

#[derive(Default)]
struct HubState {
    opened: usize,
    /// Open connections, oldest first.
    live: Vec<(usize, UnboundedSender<Control>)>,
    /// Every text frame the bot sent, parsed (unparseable ones as strings).
    received: Vec<Value>,
    next_envelope: u64,
}

/// Shared between the server task and the [`super::SlackStandIn`] handle.
#[derive(Default)]
pub struct Hub {
    state: Mutex<HubState>,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many connections the bot has opened so far.
    pub fn opened(&self) -> usize {
        self.lock().opened
    }

    /// How many are open now.
    pub fn open_now(&self) -> usize {
        self.lock().live.len()
    }

    /// Sends an envelope on the newest connection; returns its `envelope_id`, or `None` when no
    /// connection is open.
    pub fn send_envelope(
        &self,
        kind: &str,
        payload: Value,
        accepts_response_payload: bool,
        retry: u32,
    ) -> Option<String> {
        let mut st = self.lock();
        st.next_envelope += 1;
        let id = format!("env-{}", st.next_envelope);
        let frame = json!({
            "envelope_id": id, "type": kind, "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": retry, "retry_reason": if retry > 0 { "timeout" } else { "" },
        });
        let (_, connection) = st.live.last()?;
        connection.send(Control::Send(frame.to_string())).ok()?;
        Some(id)
    }

    /// The frames the bot sent that acknowledge `envelope_id`.
    pub fn acks(&self, envelope_id: &str) -> Vec<Value> {
        self.lock().received.iter().filter(|frame| frame["envelope_id"] == envelope_id).cloned().collect()
    }

    /// Every frame the bot sent.
    pub fn received(&self) -> Vec<Value> {
        self.lock().received.clone()
    }

    /// Sends `disconnect` with `reason` on every open connection (they stay open: the bot is
    /// expected to move to a new one and close these).
    pub fn disconnect(&self, reason: &str) {
        let frame = json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-applink"}});
        for (_, connection) in &self.lock().live {
            let _ = connection.send(Control::Send(frame.to_string()));
        }
    }

    /// Drops every open connection without a close frame.
    pub fn drop_connections(&self) {
        for (_, connection) in &self.lock().live {
            let _ = connection.send(Control::Drop);
        }
    }
}

/// Accepts WebSocket connections until the task is aborted.
pub async fn serve(listener: TcpListener, hub: Arc<Hub>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(stream, Arc::clone(&hub)));
    }
}

async fn connection(stream: TcpStream, hub: Arc<Hub>) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut frames) = socket.split();
    let (control, mut controls) = unbounded_channel();
    let id = {
        let mut st = hub.lock();
        st.opened += 1;
        let id = st.opened;
        st.live.push((id, control));
        id
    };
    let hello = json!({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake-applink"},
        "connection_info": {"app_id": "A0FIREBELL"}});
    if sink.send(Message::text(hello.to_string())).await.is_ok() {
        loop {
            tokio::select! {
                control = controls.recv() => match control {
                    Some(Control::Send(text)) => {
                        if sink.send(Message::text(text)).await.is_err() {
                            break;
                        }
                    }
                    Some(Control::Drop) | None => break,
                },
                frame = frames.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let value = serde_json::from_str(text.as_str()).unwrap_or_else(|_| Value::String(text.to_string()));
                        hub.lock().received.push(value);
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
    hub.lock().live.retain(|(live, _)| *live != id);
}
