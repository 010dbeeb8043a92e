//! Everything that speaks Slack: request signatures, inbound payloads, the Web API client.

pub mod client;
pub mod events;
pub mod inbound;
pub mod signature;
