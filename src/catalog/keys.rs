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
    DeclareDeclaring = "declare.declaring",
    DeclareDeclared = "declare.declared",
    DeclareStepFailed = "declare.step_failed",
    DeclareNoticeFailed = "declare.notice_failed",
    StepOpenChannel = "step.open_channel",
    StepInvite = "step.invite",
    StepTopic = "step.topic",
    StepSummary = "step.summary",
    StepNotice = "step.notice",
    HintChannelNotFound = "hint.channel_not_found",
    HintNotInChannel = "hint.not_in_channel",
    HintMissingScope = "hint.missing_scope",
    HintRestrictedAction = "hint.restricted_action",
    HintIsArchived = "hint.is_archived",
    HintNameTaken = "hint.name_taken",
    HintOther = "hint.other",
    NoticeTitle = "notice.title",
    SummaryTitle = "summary.title",
    SummaryFooter = "summary.footer",
    FieldSeverity = "field.severity",
    FieldStatus = "field.status",
    FieldStarted = "field.started",
    FieldImpact = "field.impact",
    FieldChannel = "field.channel",
    FieldLead = "field.lead",
    FieldServices = "field.services",
    FieldDescription = "field.description",
    ValueUnknown = "value.unknown",
    ValueNoLead = "value.no_lead",
    ValueNoServices = "value.no_services",
    StatusInvestigating = "status.investigating",
    StatusIdentified = "status.identified",
    StatusMonitoring = "status.monitoring",
    StatusResolved = "status.resolved",
    StatusClosed = "status.closed",
    TopicText = "topic.text",
    ModalTitle = "modal.title",
    ModalSubmit = "modal.submit",
    ModalCancel = "modal.cancel",
    ModalFieldTitle = "modal.field_title",
    ModalTitlePlaceholder = "modal.title_placeholder",
    ModalFieldSeverity = "modal.field_severity",
    ModalFieldServices = "modal.field_services",
    ModalFieldImpact = "modal.field_impact",
    ModalImpactPlaceholder = "modal.impact_placeholder",
    ModalFieldDescription = "modal.field_description",
    ModalFieldPrivate = "modal.field_private",
    ModalPrivateOption = "modal.private_option",
    ModalErrorTitleEmpty = "modal.error_title_empty",
    ModalErrorTitleLong = "modal.error_title_long",
    ModalErrorSeverity = "modal.error_severity",
    ModalErrorService = "modal.error_service",
    ModalOpenFailed = "modal.open_failed",
}
