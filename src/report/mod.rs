//! Incident reports in each company's own format: Jinja templates (built in, or files the
//! policy names) rendered with the incident's variables.
//!
//! - [`context`] — the variables a template sees, built from the record (pure).
//! - [`sample`] — a sample incident that sets every variable, for check-config.
//! - `lines` — the retrospective's wording of a timeline line.
//!
//! Pure: no storage, no Slack; the caller gathers the record and publishes the text.

pub mod context;
mod lines;
pub mod sample;

pub use context::{ReportInput, ReportMeta};
