//! The one catalog of user-facing text, in English and Korean.
//!
//! Every word the bot shows people is looked up here by [`Key`]; the texts live in `en.toml`
//! and `ko.toml` beside this file so translators edit data, not code. Values filled into a
//! template from user input are mrkdwn-escaped, so a template can never be made to ping.
//! Pure: no I/O beyond the texts compiled into the binary.

mod keys;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use keys::Key;

use crate::domain::incident::IncidentStatus;
use crate::domain::text::escape_mrkdwn;

/// The language of everything the bot says (`locale` in the policy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    #[default]
    En,
    Ko,
}

impl Locale {
    /// Every supported locale.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Ko];

    /// `en` or `ko`.
    pub fn parse(code: &str) -> Option<Locale> {
        match code {
            "en" => Some(Locale::En),
            "ko" => Some(Locale::Ko),
            _ => None,
        }
    }

    /// The policy spelling.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ko => "ko",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Locale::En => include_str!("en.toml"),
            Locale::Ko => include_str!("ko.toml"),
        }
    }
}

type Texts = HashMap<String, String>;

/// Parses one language file. The files are compiled in and checked by tests, so a broken one
/// is a build defect; it degrades to an empty table (keys then show as themselves) rather
/// than panicking on a request path.
fn load(locale: Locale) -> Texts {
    toml::from_str(locale.source()).unwrap_or_default()
}

static EN: LazyLock<Texts> = LazyLock::new(|| load(Locale::En));
static KO: LazyLock<Texts> = LazyLock::new(|| load(Locale::Ko));

fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::Ko => &KO,
    }
}

/// A catalog text with `{placeholders}` still in it.
#[derive(Clone, Copy, Debug)]
pub struct Template(&'static str);

/// The text for `key` in `locale`, falling back to English, then to the key itself.
pub fn text(locale: Locale, key: Key) -> Template {
    let found = texts(locale).get(key.id()).or_else(|| texts(Locale::En).get(key.id()));
    Template(found.map_or(key.id(), String::as_str))
}

impl Template {
    /// The text as it stands (for texts without placeholders).
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Fills placeholders with values typed by users or taken from data: each is escaped.
    pub fn fill(self, args: &[(&str, &str)]) -> String {
        self.substitute(args, escape_mrkdwn)
    }

    /// Fills placeholders with mrkdwn the bot wrote itself (links, mentions it chose to make).
    pub fn fill_trusted(self, args: &[(&str, &str)]) -> String {
        self.substitute(args, str::to_owned)
    }

    /// One pass over the template: each `{name}` given in `args` becomes its prepared value;
    /// anything else is copied as it is. A value is never read for placeholders, so a title
    /// that says `{severity}` stays as typed (replacing one name after another did substitute
    /// into earlier values, and copied the whole text once per name).
    fn substitute(self, args: &[(&str, &str)], prepare: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(self.0.len() + args.iter().map(|(_, v)| v.len()).sum::<usize>());
        let mut rest = self.0;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let named = after
                .find('}')
                .and_then(|close| args.iter().find(|(name, _)| *name == &after[..close]).map(|(_, v)| (close, v)));
            match named {
                Some((close, value)) => {
                    out.push_str(&prepare(value));
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The status as people read it, in `locale`.
pub fn status_word(locale: Locale, status: IncidentStatus) -> &'static str {
    let key = match status {
        IncidentStatus::Investigating => Key::StatusInvestigating,
        IncidentStatus::Identified => Key::StatusIdentified,
        IncidentStatus::Monitoring => Key::StatusMonitoring,
        IncidentStatus::Resolved => Key::StatusResolved,
        IncidentStatus::Closed => Key::StatusClosed,
    };
    text(locale, key).as_str()
}

/// A role's name as people read it: the built-in roles in the locale's words, the policy's
/// own roles as the policy names them.
pub fn role_name(locale: Locale, role: &str) -> String {
    let key = match role {
        "lead" => Key::RoleNameLead,
        "comms" => Key::RoleNameComms,
        "scribe" => Key::RoleNameScribe,
        other => return other.to_owned(),
    };
    text(locale, key).as_str().to_owned()
}

/// The `{placeholder}` names in a text, sorted, for the completeness test.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<String> {
    let mut names: Vec<String> =
        text.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name.to_owned())).collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_language_files_parse() {
        for locale in Locale::ALL {
            let parsed: Result<Texts, _> = toml::from_str(locale.source());
            assert!(parsed.is_ok(), "{}.toml: {:?}", locale.code(), parsed.err());
        }
    }

    #[test]
    fn every_key_has_english_and_korean() {
        for locale in Locale::ALL {
            for key in Key::ALL {
                let value = texts(locale).get(key.id());
                assert!(value.is_some_and(|v| !v.trim().is_empty()), "{} lacks {}", locale.code(), key.id());
            }
        }
    }

    #[test]
    fn no_language_file_has_texts_that_no_key_uses() {
        let known: Vec<&str> = Key::ALL.iter().map(|k| k.id()).collect();
        for locale in Locale::ALL {
            for id in texts(locale).keys() {
                assert!(known.contains(&id.as_str()), "{}.toml has unused {id}", locale.code());
            }
        }
    }

    #[test]
    fn filling_replaces_each_named_placeholder_and_nothing_else() {
        let template = Template("{who} set {what} to {value}; {who} again; {unknown} and { braces } and {");
        let filled = template.fill_trusted(&[("who", "<@U1>"), ("what", "severity"), ("value", "SEV1")]);
        assert_eq!(filled, "<@U1> set severity to SEV1; <@U1> again; {unknown} and { braces } and {");
    }

    #[test]
    fn a_value_is_never_read_for_placeholders() {
        // A title that happens to name a later placeholder stays as typed.
        let filled =
            Template("*{title}* ({severity})").fill(&[("title", "Pay {severity} fails"), ("severity", "SEV2")]);
        assert_eq!(filled, "*Pay {severity} fails* (SEV2)");
    }

    #[test]
    fn filled_values_are_escaped_and_trusted_ones_are_not() {
        let template = Template("{a}|{b}");
        assert_eq!(template.fill(&[("a", "<!here>"), ("b", "x")]), "&lt;!here&gt;|x");
        assert_eq!(template.fill_trusted(&[("a", "<!here>"), ("b", "x")]), "<!here>|x");
    }

    #[test]
    fn both_languages_use_the_same_placeholders() {
        for &key in Key::ALL {
            let en = placeholders(text(Locale::En, key).as_str());
            let ko = placeholders(text(Locale::Ko, key).as_str());
            assert_eq!(en, ko, "placeholders differ for {}", key.id());
        }
    }

    #[test]
    fn filled_values_cannot_ping_anyone() {
        let reply = text(Locale::En, Key::UnknownCommand).fill(&[("word", "<!channel>")]);
        assert!(reply.contains("&lt;!channel&gt;"), "{reply}");
        assert!(!reply.contains("<!channel>"));
    }

    #[test]
    fn korean_is_used_when_the_policy_says_ko() {
        assert!(text(Locale::Ko, Key::NotYet).as_str().contains("곧 제공"));
    }
}
