//! Custom fields: the facts a company records about every incident (`[[fields]]`), and
//! whether a typed value fits one. Pure.

/// One `[[fields]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// What people type (`set customers 1200`): a lowercase word.
    pub name: String,
    /// What people read ("Affected customers").
    pub label: String,
    pub kind: FieldKind,
}

/// What a field holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// A decimal: optional sign and fraction, no separators.
    Number,
    /// One of these options (matched case-insensitively, stored as the policy spells it).
    Select(Vec<String>),
}

/// Why a value does not fit its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Misfit {
    /// The field wants a number.
    NotANumber,
    /// The field wants one of these.
    NotAnOption(Vec<String>),
    /// Nothing was given.
    Empty,
}

/// The longest text a text field keeps.
pub const TEXT_MAX: usize = 500;

impl Field {
    /// The value as stored, or why it does not fit: a number keeps its digits (`+5` is `5`,
    /// `1.50` stays `1.50` — what people typed), a select option is spelled as the policy
    /// spells it, a text is trimmed and bounded.
    pub fn accept(&self, raw: &str) -> Result<String, Misfit> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(Misfit::Empty);
        }
        match &self.kind {
            FieldKind::Text => Ok(crate::domain::text::truncate_chars(value, TEXT_MAX)),
            FieldKind::Number => number(value).ok_or(Misfit::NotANumber),
            FieldKind::Select(options) => options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(value))
                .cloned()
                .ok_or_else(|| Misfit::NotAnOption(options.clone())),
        }
    }
}

/// A decimal with an optional sign and fraction and no separators (`1200`, `-3.5`), as
/// stored: without a leading `+`.
fn number(text: &str) -> Option<String> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    Some(text.strip_prefix('+').unwrap_or(text).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> Field {
        Field { name: "f".into(), label: "F".into(), kind }
    }

    #[test]
    fn a_number_field_takes_decimals_and_nothing_else() {
        let customers = field(FieldKind::Number);
        for (typed, stored) in [("1200", "1200"), ("-3.5", "-3.5"), ("+7", "7"), (" 0.25 ", "0.25")] {
            assert_eq!(customers.accept(typed), Ok(stored.to_owned()), "{typed}");
        }
        for typed in ["many", "1,200", "1.", ".5", "1e3", "--1", "12 00", "１２"] {
            assert_eq!(customers.accept(typed), Err(Misfit::NotANumber), "{typed}");
        }
        assert_eq!(customers.accept("  "), Err(Misfit::Empty));
    }

    #[test]
    fn a_select_field_takes_its_options_whatever_the_case_and_stores_their_spelling() {
        let kind = field(FieldKind::Select(vec!["hardware".into(), "database".into()]));
        assert_eq!(kind.accept("DATABASE"), Ok("database".to_owned()));
        assert_eq!(kind.accept("cosmic-rays"), Err(Misfit::NotAnOption(vec!["hardware".into(), "database".into()])));
    }

    #[test]
    fn a_text_field_takes_any_text_trimmed_and_bounded() {
        let text = field(FieldKind::Text);
        assert_eq!(text.accept("  결제 대행사 장애 "), Ok("결제 대행사 장애".to_owned()));
        assert_eq!(text.accept(&"a".repeat(900)).unwrap().chars().count(), TEXT_MAX);
    }
}
