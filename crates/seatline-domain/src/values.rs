//! Validated values. Raw strings stop at the edge: each type parses on construction, so a
//! value that exists is valid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, ErrorCode};

/// Lowest and highest extension keys: 3 to 5 digits, no leading zero.
pub const MIN_KEY: u32 = 100;
pub const MAX_KEY: u32 = 99_999;

/// An extension key: 3–5 ASCII digits, no leading zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtKey(u32);

impl ExtKey {
    pub fn new(n: u32) -> Option<ExtKey> {
        (MIN_KEY..=MAX_KEY).contains(&n).then_some(ExtKey(n))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl FromStr for ExtKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let ok = (3..=5).contains(&t.len())
            && t.bytes().all(|b| b.is_ascii_digit())
            && !t.starts_with('0');
        if !ok {
            return Err(Error::new(
                ErrorCode::InvalidExtKey,
                format!(
                    "extension key {t:?} must be 3 to 5 digits without a leading zero, e.g. 1001"
                ),
            )
            .detail("value", t));
        }
        Ok(ExtKey(t.parse().expect("checked digits")))
    }
}

impl fmt::Display for ExtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for ExtKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ExtKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What people put between the digits of a number they paste: any Unicode space (also
/// non-breaking and narrow ones), ASCII and Unicode dashes and the minus sign, dots, brackets,
/// and the invisible marks copied from web pages (zero-width spaces, direction marks).
fn is_number_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '('
                | ')'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'
                | '\u{feff}'
        )
}

/// A phone number in E.164 form: `+` and 8–15 digits, the first (the country code's) never
/// 0. Spaces, dashes, dots and brackets are stripped on input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for E164 {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t: String = s.chars().filter(|c| !is_number_separator(*c)).collect();
        let digits = t.strip_prefix('+').unwrap_or("");
        if digits.starts_with('0') {
            return Err(Error::new(
                ErrorCode::InvalidNumber,
                format!(
                    "number {:?} starts its country code with 0, and no country code does; write the country code after '+' without the trunk 0, e.g. +6531234567",
                    s.trim()
                ),
            )
            .detail("value", s.trim()));
        }
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(
                ErrorCode::InvalidNumber,
                format!(
                    "number {:?} must be in E.164 form: '+' then 8 to 15 digits, e.g. +6531234567",
                    s.trim()
                ),
            )
            .detail("value", s.trim()));
        }
        Ok(E164(t))
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that show nothing or turn the text around them: soft hyphen, combining
/// grapheme joiner, the zero-width characters and word joiners, the bidi marks, embeddings,
/// overrides and isolates, variation selectors, the byte order mark and tag characters.
/// In an address they make a look-alike of another (issue 28), so addresses refuse them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// An email address, trimmed, lower-cased and in Unicode NFC, so that comparison ignores
/// case and how the client composed its accents (`josé` typed or pasted decomposed is one
/// address).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The form an email is stored and compared in: trimmed, lower-cased, Unicode NFC.
pub(crate) fn email_form(s: &str) -> String {
    s.trim().to_lowercase().nfc().collect()
}

impl FromStr for Email {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(c) = s.chars().find(|c| is_invisible(*c)) {
            return Err(Error::new(
                ErrorCode::InvalidEmail,
                format!(
                    "{:?} holds an invisible or text-direction character (U+{:04X}), which would make it look like another address; type the address again without it",
                    s.trim(),
                    u32::from(c)
                ),
            )
            .detail("value", s.trim()));
        }
        let t = email_form(s);
        let valid = t.len() <= 254
            && !t
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '<' | '>'))
            && t.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if !valid {
            return Err(Error::new(
                ErrorCode::InvalidEmail,
                format!(
                    "{:?} is not a valid email address; write it as name@example.com",
                    s.trim()
                ),
            )
            .detail("value", s.trim()));
        }
        Ok(Email(t))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name: trimmed, in Unicode NFC (as emails are), 1–200 characters.
pub fn parse_name(field: &str, s: &str) -> Result<String, Error> {
    let t: String = s.trim().nfc().collect();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(Error::new(
            ErrorCode::InvalidName,
            format!("{field} must be 1 to 200 characters"),
        )
        .detail("field", field));
    }
    Ok(t)
}

/// Largest purchasable quantity of one code.
pub const MAX_QUANTITY: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err(Error::new(
                ErrorCode::InvalidRole,
                format!("role {s:?} is not owner, admin or member"),
            )
            .detail("value", s)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Disabled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Disabled => "disabled",
        }
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(Status::Active),
            "disabled" => Ok(Status::Disabled),
            _ => Err(Error::new(
                ErrorCode::InvalidStatus,
                format!("status {s:?} is not active or disabled"),
            )
            .detail("value", s)),
        }
    }
}

macro_rules! id_type {
    ($name:ident) => {
        /// An opaque identifier, made by the caller (ids are inputs to the domain).
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(OrgId);
id_type!(MemberId);
id_type!(TeamId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_keys() {
        for ok in ["100", "999", "1000", "99999", " 1001 "] {
            assert!(ok.parse::<ExtKey>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "99",
            "0100",
            "012",
            "100000",
            "10a",
            "1 01",
            "-100",
            "+100",
            "１００",
        ] {
            let e = bad.parse::<ExtKey>().unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidExtKey, "{bad}");
        }
        assert_eq!(ExtKey::new(99), None);
        assert_eq!(ExtKey::new(100_000), None);
        assert_eq!(ExtKey::new(1000).unwrap().to_string(), "1000");
    }

    #[test]
    fn numbers_normalise_punctuation() {
        assert_eq!(
            "+65 (3123) 45-67".parse::<E164>().unwrap().as_str(),
            "+6531234567"
        );
        assert_eq!(
            "+1.415.555.0100".parse::<E164>().unwrap().as_str(),
            "+14155550100"
        );
        for bad in [
            "6531234567",
            "+1234567",
            "+1234567890123456",
            "+65a1234567",
            "",
            "+",
        ] {
            assert_eq!(
                bad.parse::<E164>().unwrap_err().code,
                ErrorCode::InvalidNumber,
                "{bad}"
            );
        }
        assert!("+12345678".parse::<E164>().is_ok());
        assert!("+123456789012345".parse::<E164>().is_ok());
    }

    #[test]
    fn numbers_shed_unicode_dashes_and_spaces() {
        for pasted in [
            "+65\u{a0}3123\u{a0}4567",
            "+65\u{202f}3123\u{2009}4567",
            "+65\u{2010}3123\u{2011}4567",
            "+65\u{2012}3123\u{2013}45\u{2014}67",
            "+65 \u{2212} 3123 4567",
            "\u{200e}+65 3123 4567\u{200b}",
            "\t+65\u{3000}31234567 ",
        ] {
            assert_eq!(
                pasted.parse::<E164>().map(|n| n.0),
                Ok("+6531234567".to_owned()),
                "{pasted:?}"
            );
        }
    }

    #[test]
    fn no_country_code_starts_with_zero() {
        for bad in ["+0531234567", "+00 65 3123 4567", "+0 800 123 456"] {
            let e = bad.parse::<E164>().unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidNumber, "{bad}");
            assert!(e.message.contains("country code"), "{}", e.message);
        }
    }

    #[test]
    fn emails_compare_case_insensitively() {
        assert_eq!(
            "  Ann@Example.COM ".parse::<Email>().unwrap(),
            "ann@example.com".parse::<Email>().unwrap()
        );
        for bad in [
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert_eq!(
                bad.parse::<Email>().unwrap_err().code,
                ErrorCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn roles_and_statuses() {
        assert_eq!("Admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!(
            "boss".parse::<Role>().unwrap_err().code,
            ErrorCode::InvalidRole
        );
        assert_eq!("disabled".parse::<Status>().unwrap(), Status::Disabled);
        assert_eq!(
            "gone".parse::<Status>().unwrap_err().code,
            ErrorCode::InvalidStatus
        );
        assert_eq!(
            parse_name("name", "  ").unwrap_err().code,
            ErrorCode::InvalidName
        );
    }
}
