//! Reading an `application/x-www-form-urlencoded` body for the few fields firebell uses.
//!
//! Slack's slash command form carries a dozen fields; firebell reads seven. A general form
//! decoder (serde_urlencoded) percent-decodes and UTF-8-checks every name and value and
//! allocates for each, which was a sixth of the work of answering `/incident help`. Here the
//! pairs are split in place, a name is decoded only when it has escapes, and only the wanted
//! values are decoded. What it accepts and how it decodes is what serde_urlencoded does (a
//! property test compares the two): `+` is a space, `%XX` a byte, a malformed escape is kept
//! as it is, invalid UTF-8 becomes U+FFFD, a repeated wanted field is an error.

use std::borrow::Cow;

/// The wanted fields' decoded values, in the order of `names`; `None` where a field is absent.
/// `Err` names a field that appears twice.
pub fn fields<const N: usize>(body: &[u8], names: [&str; N]) -> Result<[Option<String>; N], String> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for pair in body.split(|b| *b == b'&').filter(|pair| !pair.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = decode(name);
        let Some(slot) = names.iter().position(|wanted| *wanted == name) else { continue };
        if values[slot].is_some() {
            return Err(format!("duplicate field `{name}`"));
        }
        values[slot] = Some(decode(value).into_owned());
    }
    Ok(values)
}

/// Decodes one name or value: `+` is a space, `%XX` the byte it names; a `%` not followed by
/// two hex digits stays as it is. Borrows when there is nothing to decode.
fn decode(raw: &[u8]) -> Cow<'_, str> {
    if !raw.iter().any(|b| matches!(b, b'+' | b'%')) {
        return String::from_utf8_lossy(raw);
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        match raw[at] {
            b'+' => bytes.push(b' '),
            b'%' => match (raw.get(at + 1).copied().and_then(hex), raw.get(at + 2).copied().and_then(hex)) {
                (Some(high), Some(low)) => {
                    bytes.push(high << 4 | low);
                    at += 2;
                }
                _ => bytes.push(b'%'),
            },
            byte => bytes.push(byte),
        }
        at += 1;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Cow::Owned(text),
        Err(invalid) => Cow::Owned(String::from_utf8_lossy(invalid.as_bytes()).into_owned()),
    }
}

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn wanted_fields_are_decoded_and_the_rest_skipped() {
        let body = b"token=x&team_id=T1&text=declare+sev1+%3Cbig%3E+100%25&response_url=https%3A%2F%2Fhooks&extra";
        let [team, text, url, missing] = fields(body, ["team_id", "text", "response_url", "user_id"]).unwrap();
        assert_eq!(team.as_deref(), Some("T1"));
        assert_eq!(text.as_deref(), Some("declare sev1 <big> 100%"));
        assert_eq!(url.as_deref(), Some("https://hooks"));
        assert_eq!(missing, None);
    }

    #[test]
    fn malformed_escapes_stay_and_invalid_utf8_is_replaced() {
        let [text] = fields(b"text=50%+off%2&x", ["text"]).unwrap();
        assert_eq!(text.as_deref(), Some("50% off%2"));
        let [text] = fields(b"text=%FF%E2%82%AC", ["text"]).unwrap();
        assert_eq!(text.as_deref(), Some("\u{FFFD}\u{20AC}"));
        let [text] = fields(b"te%78t=encoded+name", ["text"]).unwrap();
        assert_eq!(text.as_deref(), Some("encoded name"));
    }

    #[test]
    fn a_wanted_field_given_twice_is_refused() {
        assert_eq!(fields(b"text=a&text=b", ["text"]).unwrap_err(), "duplicate field `text`");
        // An unwanted field may repeat.
        assert!(fields(b"token=a&token=b&text=c", ["text"]).is_ok());
    }

    /// serde_urlencoded's reading of the same body, for comparison.
    fn general(body: &[u8]) -> HashMap<String, Vec<String>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        for (name, value) in pairs {
            map.entry(name).or_default().push(value);
        }
        map
    }

    proptest! {
        #[test]
        fn decodes_as_serde_urlencoded_does(body in prop::collection::vec(
            prop::sample::select(b"ab=&+%2F0zAF\xff\xc3\xa9 ".to_vec()), 0..64)) {
            let expected = general(&body);
            let got = fields(&body, ["a", "b", "ab", "a b"]);
            for (at, name) in ["a", "b", "ab", "a b"].iter().enumerate() {
                match expected.get(*name).map(Vec::as_slice) {
                    Some([one]) => prop_assert_eq!(got.as_ref().ok().and_then(|v| v[at].as_deref()), Some(one.as_str())),
                    Some(_) => prop_assert!(got.is_err()),
                    None => prop_assert!(got.as_ref().is_err() || got.as_ref().is_ok_and(|v| v[at].is_none())),
                }
            }
        }
    }
}
