//! The Slack the end-to-end tests run firebell against: the stand-in `firebell demo` runs
//! (`src/standin/`), so that the demo and the tests share one Slack.

pub use firebell::standin::SlackStandIn as FakeSlack;
pub use firebell::standin::*;
