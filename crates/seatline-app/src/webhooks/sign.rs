//! Standard Webhooks signing: `webhook-signature` is `v1,` + base64(HMAC-SHA256(secret,
//! "{id}.{timestamp}.{body}")), one such signature per live secret, separated by spaces, so
//! a receiver keeps verifying while a secret is rotated. Secrets are `whsec_` + base64 of 32
//! random bytes, which any Standard Webhooks library accepts as is.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The prefix every signing secret carries.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a `whsec_` secret; `None` when it is not valid base64.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()
}

/// One `v1,…` signature of a message under one secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = key_of(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The three Standard Webhooks headers of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: i64,
    /// Space-separated `v1,…` signatures, one per secret.
    pub signature: String,
}

/// Sign a message under every given secret (the current one first). Secrets that cannot be
/// decoded are skipped: they were made by [`new_secret`], so this does not happen in practice.
pub fn sign<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> SignedHeaders {
    let signature = secrets
        .into_iter()
        .filter_map(|s| signature(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ");
    SignedHeaders {
        id: id.to_owned(),
        timestamp,
        signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vector() {
        let got = signature(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(
            got.as_deref(),
            Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
        );
    }

    #[test]
    fn every_secret_signs_during_rotation() {
        let (a, b) = (new_secret(), new_secret());
        let h = sign([a.as_str(), b.as_str()], "evt_1", 7, b"{}");
        let parts: Vec<&str> = h.signature.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(Some(parts[0].to_owned()), signature(&a, "evt_1", 7, b"{}"));
        assert_eq!(Some(parts[1].to_owned()), signature(&b, "evt_1", 7, b"{}"));
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn new_secrets_are_whsec_and_32_bytes() {
        let s = new_secret();
        assert!(s.starts_with(SECRET_PREFIX));
        assert_eq!(key_of(&s).map(|k| k.len()), Some(32));
    }
}
