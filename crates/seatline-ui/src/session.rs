//! Signed cookies: the session (who signed in, its CSRF token, when it ends), the flash
//! message shown once after a redirect, and the short-lived choice of organization when one
//! email and password match members of several.
//!
//! The session cookie also carries the member's session epoch when it signed in: the
//! server honours it only while that still equals the stored epoch, which sign-out and a
//! password change bump, so a copied cookie stops working after either, in every process.
//!
//! A cookie value is `payload.mac`, the mac being HMAC-SHA256 of the payload under the
//! server's session key, in hex. Payload fields are ids, digits and hex, joined by `|`; the
//! flash message is hex-encoded so that it cannot break the format.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use hmac::{Hmac, Mac};
use rand::RngCore;
use seatline_domain::{MemberId, OrgId};
use sha2::Sha256;

pub const SESSION: &str = "seatline_session";
pub const FLASH: &str = "seatline_flash";
pub const PENDING: &str = "seatline_pending";
/// The double-submit token of the sign-in form, before there is a session to bind it to.
pub const SIGNIN_CSRF: &str = "seatline_signin";

/// How long a session lasts after signing in.
const SESSION_SECS: u64 = 12 * 60 * 60;
/// How long the organization picker waits for a choice.
const PENDING_SECS: u64 = 5 * 60;

/// The key that signs cookies. Every process serving one database must share it, or a
/// session made by one is refused by another.
#[derive(Clone)]
pub struct Keys {
    mac: Hmac<Sha256>,
    /// Whether cookies carry `Secure` (served over HTTPS).
    secure: bool,
}

impl Keys {
    pub fn new(key: &[u8], secure: bool) -> Self {
        Keys {
            mac: Hmac::new_from_slice(key).expect("HMAC takes a key of any length"),
            secure,
        }
    }

    fn sign(&self, payload: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        format!("{payload}.{}", hex(&mac.finalize().into_bytes()))
    }

    /// The payload of a value this server signed, or `None` for anything else.
    fn verify<'a>(&self, value: &'a str) -> Option<&'a str> {
        let (payload, tag) = value.rsplit_once('.')?;
        let tag = unhex(tag)?;
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        mac.verify_slice(&tag).ok()?;
        Some(payload)
    }

    fn cookie(&self, name: &str, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ))
        .expect("cookie values are ASCII without separators")
    }

    fn clear(&self, name: &str) -> HeaderValue {
        self.cookie(name, "", 0)
    }

    pub fn set_session(&self, headers: &mut HeaderMap, s: &Session) {
        let payload = format!(
            "{}|{}|{}|{}|{}",
            s.org, s.member, s.epoch, s.csrf, s.expires
        );
        headers.append(
            SET_COOKIE,
            self.cookie(SESSION, &self.sign(&payload), SESSION_SECS),
        );
    }

    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let payload = self.verify(cookie(headers, SESSION)?)?;
        let mut parts = payload.split('|');
        let (org, member, epoch, csrf, expires) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let epoch: i64 = epoch.parse().ok()?;
        let expires: u64 = expires.parse().ok()?;
        (expires > now() && parts.next().is_none()).then(|| Session {
            org: OrgId(org.to_owned()),
            member: MemberId(member.to_owned()),
            epoch,
            csrf: csrf.to_owned(),
            expires,
        })
    }

    pub fn end_session(&self, headers: &mut HeaderMap) {
        headers.append(SET_COOKIE, self.clear(SESSION));
    }

    pub fn set_flash(&self, headers: &mut HeaderMap, flash: &Flash) {
        let payload = hex(flash.text.as_bytes());
        headers.append(SET_COOKIE, self.cookie(FLASH, &self.sign(&payload), 60));
    }

    pub fn flash(&self, headers: &HeaderMap) -> Option<Flash> {
        let payload = self.verify(cookie(headers, FLASH)?)?;
        Some(Flash {
            text: String::from_utf8(unhex(payload)?).ok()?,
        })
    }

    pub fn clear_flash(&self, headers: &mut HeaderMap) {
        headers.append(SET_COOKIE, self.clear(FLASH));
    }

    /// Remember which (organization, member) pairs matched a sign-in, for the picker.
    pub fn set_pending(&self, headers: &mut HeaderMap, choices: &[(OrgId, MemberId)]) {
        let list: Vec<String> = choices.iter().map(|(o, m)| format!("{o}:{m}")).collect();
        let payload = format!("{}|{}", now() + PENDING_SECS, list.join("~"));
        headers.append(
            SET_COOKIE,
            self.cookie(PENDING, &self.sign(&payload), PENDING_SECS),
        );
    }

    pub fn pending(&self, headers: &HeaderMap) -> Vec<(OrgId, MemberId)> {
        let Some(payload) = cookie(headers, PENDING).and_then(|v| self.verify(v)) else {
            return Vec::new();
        };
        let Some((expires, list)) = payload.split_once('|') else {
            return Vec::new();
        };
        if expires.parse::<u64>().map_or(true, |e| e <= now()) {
            return Vec::new();
        }
        list.split('~')
            .filter_map(|pair| pair.split_once(':'))
            .map(|(o, m)| (OrgId(o.to_owned()), MemberId(m.to_owned())))
            .collect()
    }

    pub fn clear_pending(&self, headers: &mut HeaderMap) {
        headers.append(SET_COOKIE, self.clear(PENDING));
    }

    /// The sign-in form's token: the one already in the browser, or a new one to set.
    pub fn signin_token(&self, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
        match cookie(headers, SIGNIN_CSRF).filter(|t| t.len() == 32) {
            Some(t) => (t.to_owned(), None),
            None => {
                let t = token();
                let c = self.cookie(SIGNIN_CSRF, &t, SESSION_SECS);
                (t, Some(c))
            }
        }
    }
}

/// A signed-in browser: which member of which organization, the member's session epoch
/// when it signed in, and its CSRF token.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub org: OrgId,
    pub member: MemberId,
    pub epoch: i64,
    pub csrf: String,
    pub expires: u64,
}

impl Session {
    pub fn new(org: OrgId, member: MemberId, epoch: i64) -> Self {
        Session {
            org,
            member,
            epoch,
            csrf: token(),
            expires: now() + SESSION_SECS,
        }
    }
}

/// A one-time message shown on the page a form redirects to: what the form did.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
}

impl Flash {
    pub fn new(text: impl Into<String>) -> Self {
        Flash { text: text.into() }
    }
}

/// The value of a request cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Compare secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// A random 128-bit token in hex.
pub fn token() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex(&b)
}

/// A random session key for a single process.
pub fn random_key() -> Vec<u8> {
    let mut b = vec![0u8; 32];
    rand::rng().fill_bytes(&mut b);
    b
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(set: &HeaderMap) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in set.get_all(SET_COOKIE) {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_owned();
            h.append(COOKIE, HeaderValue::from_str(&pair).unwrap());
        }
        h
    }

    #[test]
    fn a_session_round_trips_and_a_tampered_one_is_refused() {
        let keys = Keys::new(b"test key", false);
        let s = Session::new(OrgId("org_1".into()), MemberId("mem_1".into()), 7);
        let mut set = HeaderMap::new();
        keys.set_session(&mut set, &s);
        let c = set.get(SET_COOKIE).unwrap().to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert_eq!(keys.session(&request_with(&set)), Some(s));

        let forged = request_with(&set)
            .get(COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .replace("mem_1", "mem_2");
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_str(&forged).unwrap());
        assert_eq!(keys.session(&h), None);
        assert_eq!(
            Keys::new(b"other key", false).session(&request_with(&set)),
            None
        );
    }

    #[test]
    fn flash_text_survives_any_characters() {
        let keys = Keys::new(b"k", true);
        let f = Flash::new("Saved; 1001|1002 <ok> ünïcode");
        let mut set = HeaderMap::new();
        keys.set_flash(&mut set, &f);
        assert!(set[SET_COOKIE].to_str().unwrap().ends_with("; Secure"));
        assert_eq!(keys.flash(&request_with(&set)), Some(f));
    }

    #[test]
    fn same_compares_whole_strings() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
