//! Configuration: the environment (read in one place) and the policy file.

pub mod env;
pub mod policy;
