//! Background workers. Each loop takes the shutdown token as an input and selects on it.

pub mod outbox;
pub mod reminders;
pub mod retention;
