//! Idle copies (product.md §14): copies held by an active member that the PBX or the contact
//! center has not seen used for `idle_days`. Pure: the activity kept, when each extension was
//! last handed over, and the instant to judge at (now, or a forecast) in; which copies of an
//! extension are idle out.
//!
//! Idle time counts from the later of the last activity and the hand-over, so a copy handed
//! over less than `idle_days` ago is never idle. Seatline stores no assignment time on the
//! extension; the audit log holds one entry for every change of it, so the hand-over is the
//! latest audit entry that gave the extension a holder or copies (`extension.provision`,
//! `extension.bulk_create`, `extension.assign`, `extension.reassign`, `extension.addons`).
//! An add-on change restarts the clock of every copy of that extension (the audit entry does
//! not say which copy it brought, and restarting too much only delays a finding, never makes
//! a wrong one). An extension with no such entry (written before the audit log existed) has
//! no known hand-over: its idle time counts from its activity alone.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::activity::{ActivityKind, Device};
use crate::catalog::Code;
use crate::error::{Error, ErrorCode};
use crate::finding::FindingKind;
use crate::values::ExtKey;

/// `idle_days` when the request names none.
pub const DEFAULT_IDLE_DAYS: u32 = 30;
/// The largest `idle_days` (ten years): more would never find anything.
pub const MAX_IDLE_DAYS: u32 = 3650;
/// How far ahead a forecast may look: past any yearly renewal.
pub const MAX_FORECAST_DAYS: i64 = 400;

/// The audit actions that hand an extension over (see the module's notes).
pub const HANDOVER_ACTIONS: [&str; 5] = [
    "extension.provision",
    "extension.bulk_create",
    "extension.assign",
    "extension.reassign",
    "extension.addons",
];

/// One kept activity of an extension: its kind, device and latest instant.
pub type Seen = (ActivityKind, Option<Device>, DateTime<Utc>);

/// What the idle rules read: the instant to judge at, the threshold, the activity kept and
/// the hand-over of each extension.
#[derive(Debug, Clone, Default)]
pub struct Idle {
    pub at: DateTime<Utc>,
    pub idle_days: u32,
    /// The latest `at` per extension, kind and device.
    pub activity: HashMap<ExtKey, Vec<Seen>>,
    /// The latest hand-over of each extension.
    pub handed_over: HashMap<ExtKey, DateTime<Utc>>,
}

/// Whether something last used at `last` and handed over at `handed_over` is idle at `at`:
/// `idle_days` have passed since the later of the two (never used nor known handed over:
/// idle).
pub fn is_idle(
    last: Option<DateTime<Utc>>,
    handed_over: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    idle_days: u32,
) -> bool {
    match last.max(handed_over) {
        None => true,
        Some(since) => at - since >= Duration::days(idle_days.into()),
    }
}

impl Idle {
    /// The latest activity of the extension that `matches`.
    fn last(
        &self,
        key: ExtKey,
        matches: impl Fn(ActivityKind, Option<Device>) -> bool,
    ) -> Option<DateTime<Utc>> {
        self.activity
            .get(&key)?
            .iter()
            .filter(|(k, d, _)| matches(*k, *d))
            .map(|(_, _, at)| *at)
            .max()
    }

    fn idle(&self, key: ExtKey, last: Option<DateTime<Utc>>) -> bool {
        is_idle(
            last,
            self.handed_over.get(&key).copied(),
            self.at,
            self.idle_days,
        )
    }

    /// The idle copies of an extension held by an active member, by finding kind (one entry
    /// per copy): `phone_system` without a registration or call (idle_extension), every
    /// `license_center` copy without a Contact Center sign-in (idle_contact_center), every
    /// copy of a `device_*` add-on without a registration from that kind of device
    /// (idle_device).
    pub fn copies(&self, key: ExtKey, addons: &crate::Addons) -> Vec<(FindingKind, Vec<Code>)> {
        let mut out = Vec::new();
        let seen = self.last(key, |k, _| {
            matches!(k, ActivityKind::Registration | ActivityKind::Call)
        });
        if self.idle(key, seen) {
            out.push((FindingKind::IdleExtension, vec![Code::PhoneSystem]));
        }
        let center = addons.count(Code::LicenseCenter);
        if center > 0 {
            let signed_in = self.last(key, |k, _| k == ActivityKind::ContactCenterSignIn);
            if self.idle(key, signed_in) {
                out.push((
                    FindingKind::IdleContactCenter,
                    vec![Code::LicenseCenter; center as usize],
                ));
            }
        }
        let mut devices = Vec::new();
        for d in Device::ALL {
            let n = addons.count(d.code());
            if n == 0 {
                continue;
            }
            let registered = self.last(key, |k, dev| {
                k == ActivityKind::Registration && dev == Some(d)
            });
            if self.idle(key, registered) {
                devices.extend(std::iter::repeat_n(d.code(), n as usize));
            }
        }
        if !devices.is_empty() {
            devices.sort();
            out.push((FindingKind::IdleDevice, devices));
        }
        out
    }
}

/// Read a request's `at`: RFC 3339, at most 400 days after `now`; `now` when absent.
pub fn parse_at(at: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
    let Some(raw) = at.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(now);
    };
    let t = DateTime::parse_from_rfc3339(raw)
        .map_err(|_| {
            Error::new(
                ErrorCode::InvalidTime,
                format!(
                    "at: {raw:?} is not an RFC 3339 instant; write it like 2027-01-31T00:00:00Z"
                ),
            )
            .detail("field", "at")
            .detail("value", raw)
        })?
        .with_timezone(&Utc);
    if t - now > Duration::days(MAX_FORECAST_DAYS) {
        return Err(Error::new(
            ErrorCode::InvalidTime,
            format!(
                "at: {raw} is more than {MAX_FORECAST_DAYS} days ahead; forecast at most {MAX_FORECAST_DAYS} days from now"
            ),
        )
        .detail("field", "at")
        .detail("value", raw));
    }
    Ok(t)
}

/// Read a request's `idle_days`: 1 to 3650; 30 when absent.
pub fn parse_idle_days(days: Option<&str>) -> Result<u32, Error> {
    let Some(raw) = days.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(DEFAULT_IDLE_DAYS);
    };
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_IDLE_DAYS).contains(&n) => Ok(n),
        _ => Err(Error::new(
            ErrorCode::Malformed,
            format!("idle_days: {raw:?} is not a whole number of days from 1 to {MAX_IDLE_DAYS}; leave it out for {DEFAULT_IDLE_DAYS}"),
        )
        .detail("field", "idle_days")
        .detail("value", raw)),
    }
}
