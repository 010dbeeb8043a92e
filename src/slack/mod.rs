//! Everything that speaks Slack: request signatures, inbound payloads, the actions read from
//! interactions, events, and the Web API client.

pub mod actions;
pub mod client;
pub mod events;
pub mod inbound;
pub mod signature;
