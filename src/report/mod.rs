//! Incident reports in each company's own format: Jinja templates (built in, or files the
//! policy names) rendered with the incident's variables.
//!
//! - [`context`] — the variables a template sees, built from the record (pure).
//! - [`engine`] — the one template environment: rendering, the final marking, errors as
//!   `TEMPLATE:LINE: reason`.
//! - [`sample`] — a sample incident that sets every variable, for check-config.
//! - `lines` and `undefined` — the retrospective's wording of a timeline line, and which name
//!   an "undefined value" error is about.
//!
//! Pure: no storage, no Slack; the caller gathers the record and publishes the text.

pub mod context;
pub mod engine;
pub mod sample;
mod undefined;

pub use context::{ReportInput, ReportMeta};
pub use engine::{BUILTINS, Template, TemplateError, check, render};
