//! The one built-in catalog (product.md §1). Codes are the wire format everywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};

/// A catalog code. The declaration order is the catalog order used when listing add-ons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    PhoneSystem,
    DeviceIpPhone,
    DeviceMobileApp,
    DeviceDesktopApp,
    DeviceWebRtc,
    LicenseCenter,
    LicenseNumber,
    CallRecording,
    LicenseDncCheckingEnabled,
    TeamChat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Base,
    Addon,
}

/// How many copies of a code one extension may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerExtension {
    One,
    Many,
}

#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub code: Code,
    pub wire: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    pub device: bool,
    pub per_extension: PerExtension,
    pub requires: Option<Code>,
}

const fn addon(
    code: Code,
    wire: &'static str,
    name: &'static str,
    device: bool,
    per: PerExtension,
) -> Entry {
    Entry {
        code,
        wire,
        name,
        kind: Kind::Addon,
        device,
        per_extension: per,
        requires: Some(Code::PhoneSystem),
    }
}

/// The catalog, in display order. The only place codes, names and limits are defined.
pub const CATALOG: [Entry; 10] = [
    Entry {
        code: Code::PhoneSystem,
        wire: "phone_system",
        name: "Phone System",
        kind: Kind::Base,
        device: false,
        per_extension: PerExtension::One,
        requires: None,
    },
    addon(
        Code::DeviceIpPhone,
        "device_ip_phone",
        "IP Phone",
        true,
        PerExtension::One,
    ),
    addon(
        Code::DeviceMobileApp,
        "device_mobile_app",
        "Mobile",
        true,
        PerExtension::Many,
    ),
    addon(
        Code::DeviceDesktopApp,
        "device_desktop_app",
        "Desktop",
        true,
        PerExtension::Many,
    ),
    addon(
        Code::DeviceWebRtc,
        "device_web_rtc",
        "Web Phone",
        true,
        PerExtension::One,
    ),
    addon(
        Code::LicenseCenter,
        "license_center",
        "Contact Center",
        false,
        PerExtension::One,
    ),
    addon(
        Code::LicenseNumber,
        "license_number",
        "Number",
        false,
        PerExtension::Many,
    ),
    addon(
        Code::CallRecording,
        "call_recording",
        "Call Recording",
        false,
        PerExtension::One,
    ),
    addon(
        Code::LicenseDncCheckingEnabled,
        "license_dnc_checking_enabled",
        "DNC",
        false,
        PerExtension::One,
    ),
    addon(
        Code::TeamChat,
        "team_chat",
        "Team Chat",
        false,
        PerExtension::One,
    ),
];

impl Code {
    pub const ALL: [Code; 10] = [
        Code::PhoneSystem,
        Code::DeviceIpPhone,
        Code::DeviceMobileApp,
        Code::DeviceDesktopApp,
        Code::DeviceWebRtc,
        Code::LicenseCenter,
        Code::LicenseNumber,
        Code::CallRecording,
        Code::LicenseDncCheckingEnabled,
        Code::TeamChat,
    ];

    pub fn entry(self) -> &'static Entry {
        &CATALOG[self as usize]
    }
    pub fn as_str(self) -> &'static str {
        self.entry().wire
    }
    pub fn name(self) -> &'static str {
        self.entry().name
    }
    pub fn is_addon(self) -> bool {
        self.entry().kind == Kind::Addon
    }
    pub fn is_device(self) -> bool {
        self.entry().device
    }
    /// The code whose display name (`Contact Center`, `IP Phone`) this is, compared ignoring
    /// case and runs of spaces: admins copy names from the licenses page into bulk files.
    pub fn from_display_name(s: &str) -> Option<Code> {
        let words = s.split_whitespace();
        CATALOG
            .iter()
            .find(|e| {
                let mut name = e.name.split_whitespace();
                let mut typed = words.clone();
                loop {
                    match (name.next(), typed.next()) {
                        (None, None) => return true,
                        (Some(n), Some(t)) if n.eq_ignore_ascii_case(t) => {}
                        _ => return false,
                    }
                }
            })
            .map(|e| e.code)
    }
    /// Every code that may be attached to an extension as an add-on.
    pub fn addons() -> impl Iterator<Item = Code> {
        Code::ALL.into_iter().filter(|c| c.is_addon())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Code {
    /// A code where every catalog code is valid (a subscription's, where phone_system is
    /// one like the others): the refusal suggests and lists among all codes.
    pub fn parse_any(s: &str) -> Result<Code, Error> {
        let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        parse(s, &all, "codes", "")
    }
}

/// A code matched exactly after trimming; an unknown one is refused with the closest of
/// `known`, else with `known` listed as the `kind`, `tail` after the list.
fn parse(s: &str, known: &[&str], kind: &str, tail: &str) -> Result<Code, Error> {
    let t = s.trim();
    CATALOG
        .iter()
        .find(|e| e.wire == t)
        .map(|e| e.code)
        .ok_or_else(|| {
            let message = match crate::spelling::closest(t, known.iter().copied()) {
                Some(near) => format!("unknown license code {t:?}; did you mean {near}?"),
                None => format!(
                    "unknown license code {t:?}; the {kind} are {}{tail}",
                    known.join(", ")
                ),
            };
            Error::new(ErrorCode::UnknownCode, message).detail("value", t)
        })
}

impl FromStr for Code {
    type Err = Error;
    /// The code of an add-on column or list, where nearly every unknown code comes from: the
    /// error lists the add-on codes (phone_system parses, and the rules refuse it as an
    /// add-on). Where phone_system is as valid as the rest, use [`Code::parse_any`].
    fn from_str(s: &str) -> Result<Self, Error> {
        let addons: Vec<&str> = Code::addons().map(Code::as_str).collect();
        parse(
            s,
            &addons,
            "add-on codes",
            " (phone_system is the extension itself)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_indexed_by_code() {
        for (i, e) in CATALOG.iter().enumerate() {
            assert_eq!(e.code as usize, i, "{} is out of place", e.wire);
            assert_eq!(Code::ALL[i], e.code);
            assert_eq!(e.wire.parse::<Code>().unwrap(), e.code);
            assert_eq!(serde_json::to_value(e.code).unwrap(), e.wire);
        }
    }

    #[test]
    fn misspelled_code_suggests_the_closest() {
        for typed in ["licence_center", "License_Centre", "team-chat"] {
            let e = typed.parse::<Code>().unwrap_err();
            assert_eq!(e.code, ErrorCode::UnknownCode);
            let near = if typed.starts_with("team") {
                "team_chat"
            } else {
                "license_center"
            };
            assert_eq!(
                e.message,
                format!("unknown license code {typed:?}; did you mean {near}?")
            );
        }
    }

    #[test]
    fn display_names_find_their_codes() {
        for e in &CATALOG {
            assert_eq!(Code::from_display_name(e.name), Some(e.code));
        }
        assert_eq!(
            Code::from_display_name("  contact   CENTER "),
            Some(Code::LicenseCenter)
        );
        assert_eq!(Code::from_display_name("Contact"), None);
        assert_eq!(Code::from_display_name("license_center"), None);
        assert_eq!(Code::from_display_name(""), None);
    }

    #[test]
    fn unknown_code_lists_known_ones() {
        let e = "fax".parse::<Code>().unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownCode);
        assert!(e.message.contains("license_center"));
    }

    #[test]
    fn devices_are_the_four_device_codes() {
        let d: Vec<_> = Code::ALL.into_iter().filter(|c| c.is_device()).collect();
        assert_eq!(
            d,
            [
                Code::DeviceIpPhone,
                Code::DeviceMobileApp,
                Code::DeviceDesktopApp,
                Code::DeviceWebRtc
            ]
        );
    }
}
