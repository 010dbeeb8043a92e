//! Which variable or attribute an "undefined value" error is about. minijinja reports where
//! (a line and the span of the failing expression) but not the name; this reads the
//! expression there and walks its dotted names through the variables to find the first one
//! that does not exist, so check-config can say `nope` or `incident.colour`, not just "undefined".

use std::ops::Range;

use minijinja::Value;

/// Words inside tags that are never a template variable.
const NOT_VARIABLES: &[&str] = &[
    "and",
    "as",
    "block",
    "call",
    "caller",
    "context",
    "elif",
    "else",
    "endblock",
    "endcall",
    "endfilter",
    "endfor",
    "endif",
    "endmacro",
    "endraw",
    "endset",
    "endwith",
    "extends",
    "false",
    "False",
    "filter",
    "for",
    "from",
    "if",
    "import",
    "in",
    "include",
    "is",
    "kwargs",
    "loop",
    "macro",
    "none",
    "None",
    "not",
    "or",
    "raw",
    "recursive",
    "self",
    "set",
    "super",
    "true",
    "True",
    "varargs",
    "with",
    "without",
];

/// What was undefined, in words: "unknown variable `nope`", "`incident` has no attribute
/// `colour`". `None` when the span does not show it.
pub fn culprit(source: &str, span: Option<Range<usize>>, line: Option<usize>, vars: &Value) -> Option<String> {
    let mut regions: Vec<Range<usize>> = span.into_iter().collect();
    if let Some(line) = line.and_then(|n| line_range(source, n)) {
        regions.extend(tags(source).into_iter().filter(|tag| tag.start < line.end && line.start < tag.end));
    }
    let mut guess = None;
    for region in regions {
        for chain in chains(source, region) {
            match judge(&chain, vars, source) {
                Verdict::Missing(what) => return Some(what),
                Verdict::Local(what) => guess = guess.or(Some(what)),
                Verdict::Defined => {}
            }
        }
    }
    guess
}

/// The byte range of line `n` (1-based).
fn line_range(source: &str, n: usize) -> Option<Range<usize>> {
    let mut start = 0;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        if index + 1 == n {
            return Some(start..start + line.len());
        }
        start += line.len();
    }
    None
}

/// The insides of every `{{ … }}` and `{% … %}` (comments skipped).
fn tags(source: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = source[at..].find('{').map(|i| at + i) {
        let close = match source.get(open + 1..open + 2) {
            Some("{") => "}}",
            Some("%") => "%}",
            Some("#") => "#}",
            _ => {
                at = open + 1;
                continue;
            }
        };
        let inner = open + 2;
        let end = source[inner..].find(close).map_or(source.len(), |i| inner + i);
        if close != "#}" {
            out.push(inner..end);
        }
        at = (end + 2).min(source.len());
    }
    out
}

/// One dotted name as written: `incident`, `fields`, `colour`.
type Chain = Vec<String>;

/// The names read in `region` that could be undefined: a root variable and its attributes
/// (`a.b`, `a['b']`). Filter and test names, keywords, calls, assignments and string
/// contents are left out.
fn chains(source: &str, region: Range<usize>) -> Vec<Chain> {
    let bytes = source.as_bytes();
    let end = region.end.min(bytes.len());
    let mut out = Vec::new();
    let mut i = region.start;
    while i < end {
        let c = bytes[i];
        if c == b'\'' || c == b'"' {
            i = skip_string(bytes, i, end);
            continue;
        }
        if !is_ident_start(c) {
            i += 1;
            continue;
        }
        let (word, next) = ident(source, i, end);
        let before = source[..i].trim_end();
        let skip = before.ends_with('.')
            || before.ends_with('|')
            || before.ends_with(" is")
            || before.ends_with(" is not")
            || (i > 0 && is_ident_char(bytes[i - 1]))
            || NOT_VARIABLES.contains(&word);
        if skip {
            i = next;
            continue;
        }
        let mut chain = vec![word.to_owned()];
        let mut j = next;
        loop {
            if bytes.get(j) == Some(&b'.') && bytes.get(j + 1).copied().is_some_and(is_ident_start) {
                let (attr, after) = ident(source, j + 1, end);
                chain.push(attr.to_owned());
                j = after;
            } else if bytes.get(j) == Some(&b'[') && matches!(bytes.get(j + 1), Some(b'\'' | b'"')) {
                let close = skip_string(bytes, j + 1, end);
                if bytes.get(close) != Some(&b']') {
                    break;
                }
                chain.push(source[j + 2..close - 1].to_owned());
                j = close + 1;
            } else {
                break;
            }
        }
        let after = source[j.min(source.len())..].trim_start();
        let called = after.starts_with('(');
        let assigned = after.starts_with('=') && !after.starts_with("==");
        if !called && !assigned {
            out.push(chain);
        }
        i = j;
    }
    out
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The identifier at `start` and where it ends.
fn ident(source: &str, start: usize, end: usize) -> (&str, usize) {
    let bytes = source.as_bytes();
    let mut j = start;
    while j < end && is_ident_char(bytes[j]) {
        j += 1;
    }
    (&source[start..j], j)
}

/// Past the string literal opening at `start` (its closing quote included).
fn skip_string(bytes: &[u8], start: usize, end: usize) -> usize {
    let quote = bytes[start];
    let mut j = start + 1;
    while j < end && bytes[j] != quote {
        j += if bytes[j] == b'\\' { 2 } else { 1 };
    }
    (j + 1).min(end.max(start + 1))
}

enum Verdict {
    /// Every name in the chain exists.
    Defined,
    /// This name does not exist.
    Missing(String),
    /// The chain starts at a name the template binds itself (a loop variable): its
    /// attributes cannot be checked here.
    Local(String),
}

fn judge(chain: &Chain, vars: &Value, source: &str) -> Verdict {
    let Some((root, attrs)) = chain.split_first() else { return Verdict::Defined };
    let mut value = match vars.get_attr(root) {
        Ok(value) if !value.is_undefined() => value,
        _ if binds(source, root) => {
            return Verdict::Local(format!("`{}` is undefined", chain.join(".")));
        }
        _ => return Verdict::Missing(format!("unknown variable `{root}`")),
    };
    let mut path = root.clone();
    for attr in attrs {
        if value.is_none() {
            return Verdict::Missing(format!("`{path}` is none here, so it has no attribute `{attr}`"));
        }
        match value.get_attr(attr) {
            Ok(next) if !next.is_undefined() => value = next,
            _ => return Verdict::Missing(format!("`{path}` has no attribute `{attr}`")),
        }
        path = format!("{path}.{attr}");
    }
    Verdict::Defined
}

/// Whether the template binds `name` itself: a `for` target, a `set`, a `with` or a macro's
/// parameter.
fn binds(source: &str, name: &str) -> bool {
    tags(source).into_iter().any(|tag| {
        let statement = source[tag].trim().trim_start_matches('-').trim_start();
        let (keyword, rest) = statement.split_once(char::is_whitespace).unwrap_or((statement, ""));
        let targets = match keyword {
            "for" => rest.split(" in ").next().unwrap_or_default(),
            "set" | "with" => rest.split('=').next().unwrap_or_default(),
            "macro" => rest,
            _ => return false,
        };
        targets.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| word == name)
    })
}

#[cfg(test)]
mod tests {
    use crate::catalog::Locale;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::policy::Policy;
    use crate::domain::timeline::TimelineEntry;
    use crate::report::engine::{Template, render};
    use crate::report::sample::Sample;

    /// The reason `source` fails with, against the sample (without its actions when asked).
    fn reason(source: &str, without_actions: bool) -> String {
        let policy = Policy { locale: Locale::En, ..contract_policy() };
        let mut sample = Sample::new(&policy).unwrap();
        if without_actions {
            sample.timeline.retain(|e| !matches!(e.entry, TimelineEntry::ResponseAction { .. }));
        }
        let template = Template { name: "t.md.j2".into(), source: source.into() };
        render(&template, &sample.input(&policy)).unwrap_err().reason
    }

    #[test]
    fn names_the_missing_attribute_wherever_the_chain_breaks() {
        assert_eq!(
            reason("{{ incident.title.foo }}", false),
            "undefined value: `incident.title` has no attribute `foo`"
        );
        assert_eq!(reason("{{ incident['colour'] }}", false), "undefined value: `incident` has no attribute `colour`");
        assert_eq!(
            reason("{{ incident.fields.revenue }}", false),
            "undefined value: `incident.fields` has no attribute `revenue`"
        );
        assert_eq!(
            reason("{% if times.finished %}x{% endif %}", false),
            "undefined value: `times` has no attribute `finished`"
        );
    }

    #[test]
    fn names_an_unknown_variable_not_the_filters_keywords_or_text_around_it() {
        assert_eq!(
            reason("Impact {{ nope | replace('x', incident.title) | upper }}", false),
            "undefined value: unknown variable `nope`"
        );
        assert_eq!(
            reason("{% if true and 'nope' not in incident.title %}{{ nope2 }}{% endif %}", false),
            "undefined value: unknown variable `nope2`"
        );
    }

    #[test]
    fn says_when_the_value_is_none_rather_than_unknown() {
        assert_eq!(
            reason("{{ first_action.kind }}", true),
            "undefined value: `first_action` is none here, so it has no attribute `kind`"
        );
    }

    #[test]
    fn names_the_expression_when_it_starts_at_a_loop_variable() {
        assert_eq!(
            reason("{% for a in actions %}\n{{ a.colour }}\n{% endfor %}", false),
            "undefined value: `a.colour` is undefined"
        );
    }
}
