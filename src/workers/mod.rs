//! Background workers. Each loop takes the shutdown token as an input and selects on it, and
//! runs under [`supervise`], which starts it again when it panics.

pub mod outbox;
pub mod reminders;
pub mod retention;
pub mod supervise;
