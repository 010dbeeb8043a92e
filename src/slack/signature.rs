//! Slack request signatures: HMAC-SHA256 over `v0:timestamp:body`, checked in constant time
//! within a five-minute window.
//!
//! Pure: the caller passes the headers, the raw body and `now`. slack-morphism has its own
//! verifier, but it reads the real clock; firebell's takes the clock as an input so the
//! window is testable.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now, either way.
pub const WINDOW_SECONDS: i64 = 5 * 60;

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Slack-Request-Timestamp")]
    MissingTimestamp,
    #[error("malformed X-Slack-Request-Timestamp")]
    MalformedTimestamp,
    #[error("X-Slack-Request-Timestamp is more than five minutes from now")]
    Stale,
    #[error("missing X-Slack-Signature")]
    MissingSignature,
    #[error("malformed X-Slack-Signature")]
    MalformedSignature,
    #[error("X-Slack-Signature does not match")]
    Mismatch,
}

/// A signing secret made ready to check requests. HMAC hashes the key into two blocks before
/// it reads a byte of the message; that is done once here and the keyed state copied for each
/// request, instead of two more SHA-256 blocks on every request.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl SigningKey {
    pub fn new(secret: &[u8]) -> SigningKey {
        // HMAC accepts keys of any length, so this cannot fail; an empty key is still a key.
        SigningKey(<Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| {
            <Hmac<Sha256> as KeyInit>::new_from_slice(&[0]).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
        }))
    }

    /// Checks a request's signature headers against its raw body.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let timestamp = timestamp.ok_or(SignatureError::MissingTimestamp)?;
        let seconds: i64 = timestamp.trim().parse().map_err(|_| SignatureError::MalformedTimestamp)?;
        if (now.timestamp() - seconds).abs() > WINDOW_SECONDS {
            return Err(SignatureError::Stale);
        }
        let signature = signature.ok_or(SignatureError::MissingSignature)?;
        let hex_tag = signature.strip_prefix("v0=").ok_or(SignatureError::MalformedSignature)?;
        let mut tag = [0u8; 32];
        if let Err(error) = hex::decode_to_slice(hex_tag, &mut tag) {
            // A well-formed tag of another length is a wrong signature, not a malformed one.
            let well_formed = error == hex::FromHexError::InvalidStringLength
                && hex_tag.len() % 2 == 0
                && hex_tag.bytes().all(|b| b.is_ascii_hexdigit());
            return Err(if well_formed { SignatureError::Mismatch } else { SignatureError::MalformedSignature });
        }
        self.mac(timestamp, body).verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        mac
    }
}

/// The keyed state is as secret as the key: never printed.
impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    SigningKey::new(secret).mac(timestamp, body)
}

/// The `X-Slack-Signature` value Slack would send for this body (`v0=` + hex).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!("v0={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Checks a request's signature headers against its raw body (with a key made for this one
/// check; the server keeps a [`SigningKey`]).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    SigningKey::new(secret).verify(timestamp, signature, body, now)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    // Slack's documented worked example.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).unwrap()
    }

    #[test]
    fn slacks_documented_example_verifies() {
        assert_eq!(sign(SECRET.as_bytes(), TIMESTAMP, BODY.as_bytes()), SIGNATURE);
        let result = verify(SECRET.as_bytes(), Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), at(1_531_420_618));
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn one_key_checks_request_after_request() {
        let key = SigningKey::new(SECRET.as_bytes());
        let now = at(1_531_420_618);
        let changed = BODY.replace("roadrunner", "coyote");
        assert_eq!(key.verify(Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), now), Ok(()));
        assert_eq!(
            key.verify(Some(TIMESTAMP), Some(SIGNATURE), changed.as_bytes(), now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(key.verify(Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), now), Ok(()));
        assert_eq!(format!("{key:?}"), "SigningKey(..)");
    }

    #[test]
    fn a_changed_body_does_not_verify() {
        let body = BODY.replace("roadrunner", "coyote");
        let result = verify(SECRET.as_bytes(), Some(TIMESTAMP), Some(SIGNATURE), body.as_bytes(), at(1_531_420_618));
        assert_eq!(result, Err(SignatureError::Mismatch));
    }

    #[test]
    fn the_window_is_five_minutes_either_way() {
        let check = |now| verify(SECRET.as_bytes(), Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), at(now));
        assert_eq!(check(1_531_420_618 + 300), Ok(()));
        assert_eq!(check(1_531_420_618 - 300), Ok(()));
        assert_eq!(check(1_531_420_618 + 301), Err(SignatureError::Stale));
        assert_eq!(check(1_531_420_618 - 301), Err(SignatureError::Stale));
    }

    #[test]
    fn missing_and_malformed_headers_are_refused() {
        let now = at(1_531_420_618);
        let secret = SECRET.as_bytes();
        let body = BODY.as_bytes();
        assert_eq!(verify(secret, None, Some(SIGNATURE), body, now), Err(SignatureError::MissingTimestamp));
        assert_eq!(verify(secret, Some("soon"), Some(SIGNATURE), body, now), Err(SignatureError::MalformedTimestamp));
        assert_eq!(verify(secret, Some(TIMESTAMP), None, body, now), Err(SignatureError::MissingSignature));
        assert_eq!(verify(secret, Some(TIMESTAMP), Some("v1=abc"), body, now), Err(SignatureError::MalformedSignature));
        assert_eq!(verify(secret, Some(TIMESTAMP), Some("v0=zz"), body, now), Err(SignatureError::MalformedSignature));
        assert_eq!(verify(secret, Some(TIMESTAMP), Some("v0=00"), body, now), Err(SignatureError::Mismatch));
    }

    #[test]
    fn another_secret_does_not_verify() {
        let result = verify(b"other", Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), at(1_531_420_618));
        assert_eq!(result, Err(SignatureError::Mismatch));
    }
}
