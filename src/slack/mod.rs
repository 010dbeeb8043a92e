//! Everything that speaks Slack: request signatures, inbound payloads, the actions read from
//! interactions, events, and the Web API facade — one typed method per call firebell makes,
//! by subject. A post that must happen once takes a [`Delivery`]; every other call is safe to
//! repeat.

pub mod actions;
pub mod client;
pub mod conversations;
pub mod delivery;
pub mod documents;
pub mod events;
pub mod form;
pub mod inbound;
pub mod messages;
pub mod pacing;
pub mod people;
pub mod signature;
pub mod views;

pub use client::{SlackApi, SlackCallError};
pub use delivery::Delivery;
pub use messages::{Destination, Message};
