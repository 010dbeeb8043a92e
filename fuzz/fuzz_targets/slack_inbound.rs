//! Everything Slack sends: slash command forms, Events API bodies (and the events inside),
//! interaction forms (and the actions read from them), and Socket Mode frames.
#![no_main]

use firebell::slack::actions::UserAction;
use firebell::slack::events::SlackEvent;
use firebell::slack::inbound::{EventEnvelope, Interaction, SlashCommand};
use firebell::socket_mode::frame::Frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = SlashCommand::parse(body);
    if let Ok(EventEnvelope::Callback(callback)) = EventEnvelope::parse(body) {
        let _ = SlackEvent::parse(&callback.raw["event"]);
    }
    if let Ok(interaction) = Interaction::parse(body) {
        let _ = UserAction::parse(&interaction);
    }
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = Frame::parse(text);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = SlackEvent::parse(&value);
        if let Ok(interaction) = Interaction::from_value(value.clone()) {
            let _ = UserAction::parse(&interaction);
        }
        let _ = SlashCommand::from_value(value);
    }
});
