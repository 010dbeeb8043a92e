//! The keys of the catalog: one variant per text the bot shows.

macro_rules! keys {
    ($($variant:ident = $id:literal,)*) => {
        /// A text in the catalog.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Key { $(#[doc = $id] $variant,)* }

        impl Key {
            /// Every key, for the completeness tests.
            pub const ALL: &[Key] = &[$(Key::$variant,)*];

            /// The key as spelled in the language files.
            pub fn id(self) -> &'static str {
                match self { $(Key::$variant => $id,)* }
            }
        }
    };
}

keys! {
    HelpText = "help.text",
    UnknownCommand = "reply.unknown_command",
    UnknownSeverity = "reply.unknown_severity",
    UnknownService = "reply.unknown_service",
    UnknownRole = "reply.unknown_role",
    UnknownStatus = "reply.unknown_status",
    UnknownStatsWindow = "reply.unknown_stats_window",
    UnknownOption = "reply.unknown_option",
    RepeatedSeverity = "reply.repeated_severity",
    MissingArgument = "reply.missing_argument",
    ExpectedUser = "reply.expected_user",
    UnexpectedWords = "reply.unexpected_words",
    BadDueDate = "reply.bad_due_date",
    NeedsIncidentChannel = "reply.needs_incident_channel",
    NotYet = "reply.not_yet",
    WrongWorkspace = "reply.wrong_workspace",
    InternalError = "reply.internal_error",
    NoneConfigured = "reply.none_configured",
}
