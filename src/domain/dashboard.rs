//! Signing in to the dashboard: the shape of a one-time link's token, what is stored of it
//! (a hash), and the session cookie. Pure; the random bytes come from the caller.

use sha2::{Digest, Sha256};

/// How long a sign-in link works.
pub const LINK_LIFETIME: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// The session cookie's name.
pub const COOKIE: &str = "firebell_session";

/// A token from 32 random bytes: 256 bits, as 64 characters of `[0-9a-f]`.
pub fn token(random: &[u8; 32]) -> String {
    hex::encode(random)
}

/// Whether `text` can be a token at all (`[A-Za-z0-9_-]`, 22 to 128 characters: 128 random
/// bits at least); anything else is refused before the database is asked.
pub fn is_token(text: &str) -> bool {
    (22..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is stored of a token: its SHA-256, in hex.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The `Set-Cookie` value of a session: `HttpOnly`, `SameSite=Lax`, for the whole site,
/// `Secure` when the dashboard is served over https.
pub fn session_cookie(token: &str, max_age: std::time::Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}", max_age.as_secs())
}

/// The session token in a `Cookie` header, if it holds one of the right shape.
pub fn session_in(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| is_token(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_256_bits_of_url_safe_text_and_only_its_hash_is_kept() {
        let token = token(&[7; 32]);
        assert_eq!(token.len(), 64);
        assert!(is_token(&token));
        assert_eq!(hash(&token).len(), 64);
        assert_ne!(hash(&token), token);
        assert_eq!(hash(&token), hash(&token.clone()));
    }

    #[test]
    fn only_tokens_of_the_right_shape_are_looked_up() {
        assert!(is_token("abcdefghijklmnopqrstuv"));
        assert!(!is_token("short"));
        assert!(!is_token(&"a".repeat(129)));
        assert!(!is_token("abcdefghijklmnopqrstuv/../etc"));
        assert!(!is_token("abcdefghijklmnopqrstu%20"));
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_over_https() {
        let cookie = session_cookie("t0k3n", std::time::Duration::from_secs(43_200), true);
        assert_eq!(cookie, "firebell_session=t0k3n; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure");
        assert!(!session_cookie("t", std::time::Duration::from_secs(1), false).contains("Secure"));
    }

    #[test]
    fn the_session_is_read_from_the_cookie_header_among_others() {
        let token = "a".repeat(64);
        let header = format!("theme=dark; {COOKIE}={token}; other=1");
        assert_eq!(session_in(&header), Some(token.as_str()));
        assert_eq!(session_in("firebell_session=bad"), None);
        assert_eq!(session_in("theme=dark"), None);
    }
}
