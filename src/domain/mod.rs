//! The pure domain core: no I/O, no async, no clock (`now` is always passed in).

pub mod alert;
pub mod alert_group;
pub mod audience;
pub mod change;
pub mod channel_name;
pub mod command;
pub mod dashboard;
pub mod declaration;
pub mod fields;
pub mod followup;
pub mod ids;
pub mod incident;
pub mod lifecycle;
pub mod oncall;
pub mod paging;
pub mod policy;
pub mod record;
pub mod reminders;
pub mod retrospective;
pub mod search;
pub mod similar;
pub mod simulate;
mod spelling;
pub mod stats;
pub mod text;
pub mod timeline;
