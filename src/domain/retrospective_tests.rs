//! Retrospective builder tests.
