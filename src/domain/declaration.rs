//! What a declaration says about the incident itself, whichever way it came in: the quick
//! command, the declare modal, or an alert. Pure; who reported it and where to answer are the
//! use case's (`app::declare::Declaration`).

use crate::domain::incident::{ServiceName, SeverityName};

/// The seven things a declaration says about an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclareForm {
    pub title: String,
    pub severity: SeverityName,
    pub services: Vec<ServiceName>,
    pub impact: Option<String>,
    pub description: Option<String>,
    /// Whether the incident's channel is private (and its title kept out of shared places).
    pub private: bool,
    /// Whether it is a drill: a practice incident (see `Incident::drill`).
    pub drill: bool,
}
