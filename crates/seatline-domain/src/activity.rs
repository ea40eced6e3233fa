//! Activity reported by the PBX and the contact center (product.md §14): what an item of a
//! report is, how each item is read (refused alone, never failing the batch), and which of a
//! batch's items can change what is kept (the latest `at` per extension, kind and device).

pub mod cdr;

use std::collections::HashMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::values::ExtKey;

/// Most items one report may carry; a larger report is refused whole (`too_large`).
pub const MAX_ITEMS: usize = 10_000;

/// How far ahead of the server's clock an item's `at` may be (clock skew between the PBX and
/// Seatline); anything later is refused for that item.
pub const MAX_AHEAD: Duration = Duration::minutes(5);

/// What was seen: the device registered, a call was made or taken, an agent signed in to the
/// contact center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActivityKind {
    Registration,
    Call,
    ContactCenterSignIn,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 3] = [
        ActivityKind::Registration,
        ActivityKind::Call,
        ActivityKind::ContactCenterSignIn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Registration => "registration",
            ActivityKind::Call => "call",
            ActivityKind::ContactCenterSignIn => "contact_center_sign_in",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The kind of device an activity came from; `None` on an item when the PBX cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Device {
    IpPhone,
    MobileApp,
    DesktopApp,
    WebRtc,
}

impl Device {
    pub const ALL: [Device; 4] = [
        Device::IpPhone,
        Device::MobileApp,
        Device::DesktopApp,
        Device::WebRtc,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Device::IpPhone => "ip_phone",
            Device::MobileApp => "mobile_app",
            Device::DesktopApp => "desktop_app",
            Device::WebRtc => "web_rtc",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
    /// The catalog's add-on for this kind of device (`device_ip_phone`, …).
    pub fn code(self) -> crate::Code {
        match self {
            Device::IpPhone => crate::Code::DeviceIpPhone,
            Device::MobileApp => crate::Code::DeviceMobileApp,
            Device::DesktopApp => crate::Code::DeviceDesktopApp,
            Device::WebRtc => crate::Code::DeviceWebRtc,
        }
    }
}

/// One activity: on this extension, of this kind, from this device, at this instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    pub extension: ExtKey,
    pub kind: ActivityKind,
    pub device: Option<Device>,
    pub at: DateTime<Utc>,
}

impl Activity {
    /// The instant as stored: RFC 3339, UTC, milliseconds, so that text order is time order.
    pub fn at_text(&self) -> String {
        stamp(self.at)
    }
}

/// An instant as stored and shown: RFC 3339, UTC, milliseconds (sorts as text).
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An item of a report that was not taken: its index in `items`, the field at fault, a
/// stable code and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub index: usize,
    pub field: &'static str,
    pub code: ErrorCode,
    pub message: String,
}

/// A report's items as read: the activities with their indexes, and the refused items.
pub type ReadItems = (Vec<(usize, Activity)>, Vec<Refusal>);

/// Read a report's items at `now`: the activities that are well formed, each with its index,
/// and a refusal for every other item (its first fault). A report of more than
/// [`MAX_ITEMS`] items is refused whole.
pub fn read_items(items: &[Value], now: DateTime<Utc>) -> Result<ReadItems, Error> {
    if items.len() > MAX_ITEMS {
        return Err(Error::new(
            ErrorCode::TooLarge,
            format!(
                "a report carries at most {MAX_ITEMS} items and this one has {}; send it in smaller batches",
                items.len()
            ),
        )
        .detail("limit", MAX_ITEMS)
        .detail("items", items.len()));
    }
    let (mut ok, mut refused) = (Vec::with_capacity(items.len()), Vec::new());
    for (index, item) in items.iter().enumerate() {
        match read_item(item, now) {
            Ok(a) => ok.push((index, a)),
            Err((field, code, message)) => refused.push(Refusal {
                index,
                field,
                code,
                message,
            }),
        }
    }
    Ok((ok, refused))
}

type Fault = (&'static str, ErrorCode, String);

fn read_item(item: &Value, now: DateTime<Utc>) -> Result<Activity, Fault> {
    let Some(obj) = item.as_object() else {
        return Err((
            "item",
            ErrorCode::Malformed,
            "an item is an object {extension, kind, device, at}".to_owned(),
        ));
    };
    if let Some(other) = obj
        .keys()
        .find(|k| !["extension", "kind", "device", "at"].contains(&k.as_str()))
    {
        return Err((
            "item",
            ErrorCode::Malformed,
            format!(
                "{other:?} is not a field of an activity item; send extension, kind, device and at"
            ),
        ));
    }
    let text = |field: &'static str| match obj.get(field) {
        Some(Value::String(s)) => Ok(s.as_str()),
        _ => Err((
            field,
            ErrorCode::Malformed,
            format!("{field} is required and is a string"),
        )),
    };
    let extension = text("extension")?
        .parse::<ExtKey>()
        .map_err(|e| ("extension", e.code, e.message))?;
    let kind = text("kind")?;
    let kind = ActivityKind::parse(kind).ok_or_else(|| {
        (
            "kind",
            ErrorCode::InvalidActivityKind,
            format!("kind {kind:?} is not registration, call or contact_center_sign_in"),
        )
    })?;
    let device = match obj.get("device") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(Device::parse(d).ok_or_else(|| {
            (
                "device",
                ErrorCode::InvalidDevice,
                format!("device {d:?} is not ip_phone, mobile_app, desktop_app, web_rtc or null"),
            )
        })?),
        Some(_) => {
            return Err((
                "device",
                ErrorCode::InvalidDevice,
                "device is a string (ip_phone, mobile_app, desktop_app, web_rtc) or null"
                    .to_owned(),
            ))
        }
    };
    let at = text("at")?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| {
            (
                "at",
                ErrorCode::InvalidTime,
                format!("at {at:?} is not an RFC 3339 instant such as 2026-12-07T09:30:00Z"),
            )
        })?
        .with_timezone(&Utc);
    if at > now + MAX_AHEAD {
        return Err((
            "at",
            ErrorCode::ActivityInFuture,
            format!(
                "at {} is more than 5 minutes after the server's clock ({}); check the PBX's clock",
                stamp(at),
                stamp(now)
            ),
        ));
    }
    Ok(Activity {
        extension,
        kind,
        device,
        at,
    })
}

/// The latest activity per extension, kind and device among `items`: what a batch can change
/// at most, each key once (a set-based upsert may touch a row only once per statement).
pub fn latest(items: impl IntoIterator<Item = Activity>) -> Vec<Activity> {
    let mut by_key: HashMap<(ExtKey, ActivityKind, Option<Device>), Activity> = HashMap::new();
    for a in items {
        by_key
            .entry((a.extension, a.kind, a.device))
            .and_modify(|kept| {
                if a.at > kept.at {
                    *kept = a;
                }
            })
            .or_insert(a);
    }
    let mut out: Vec<Activity> = by_key.into_values().collect();
    out.sort_by_key(|a| (a.extension, a.kind, a.device));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn each_bad_item_is_refused_alone_naming_its_field() {
        let items = vec![
            json!({"extension": "1001", "kind": "call", "device": null, "at": "2026-12-07T11:00:00Z"}),
            json!({"extension": "01", "kind": "call", "at": "2026-12-07T11:00:00Z"}),
            json!({"extension": "1001", "kind": "ring", "at": "2026-12-07T11:00:00Z"}),
            json!({"extension": "1001", "kind": "call", "device": "fax", "at": "2026-12-07T11:00:00Z"}),
            json!({"extension": "1001", "kind": "call", "at": "yesterday"}),
            json!({"extension": "1001", "kind": "call", "at": "2026-12-07T12:05:01Z"}),
            json!({"extension": "1001", "kind": "call", "at": "2026-12-07T12:05:00Z"}),
            json!("1001"),
            json!({"extension": "1001", "kind": "call", "at": "2026-12-07T11:00:00Z", "x": 1}),
        ];
        let (ok, refused) = read_items(&items, now()).unwrap();
        assert_eq!(ok.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0, 6]);
        let faults: Vec<_> = refused
            .iter()
            .map(|r| (r.index, r.field, r.code.as_str()))
            .collect();
        assert_eq!(
            faults,
            vec![
                (1, "extension", "invalid_ext_key"),
                (2, "kind", "invalid_activity_kind"),
                (3, "device", "invalid_device"),
                (4, "at", "invalid_time"),
                (5, "at", "activity_in_future"),
                (7, "item", "malformed"),
                (8, "item", "malformed"),
            ]
        );
    }

    #[test]
    fn a_report_over_the_limit_is_refused_whole() {
        let items = vec![json!({}); MAX_ITEMS + 1];
        assert_eq!(
            read_items(&items, now()).unwrap_err().code,
            ErrorCode::TooLarge
        );
        let items = vec![json!({}); MAX_ITEMS];
        assert_eq!(read_items(&items, now()).unwrap().1.len(), MAX_ITEMS);
    }

    #[test]
    fn latest_keeps_one_per_extension_kind_and_device() {
        let a = |key: u32, kind, device, h: i64| Activity {
            extension: ExtKey::new(key).unwrap(),
            kind,
            device,
            at: now() - Duration::hours(h),
        };
        let got = latest([
            a(1001, ActivityKind::Call, None, 5),
            a(1001, ActivityKind::Call, None, 1),
            a(1001, ActivityKind::Call, None, 3),
            a(1001, ActivityKind::Registration, Some(Device::IpPhone), 2),
            a(1001, ActivityKind::Registration, None, 4),
            a(1002, ActivityKind::Call, None, 9),
        ]);
        assert_eq!(
            got,
            vec![
                a(1001, ActivityKind::Registration, None, 4),
                a(1001, ActivityKind::Registration, Some(Device::IpPhone), 2),
                a(1001, ActivityKind::Call, None, 1),
                a(1002, ActivityKind::Call, None, 9),
            ]
        );
    }

    #[test]
    fn offsets_are_read_as_the_same_instant_in_utc() {
        let items =
            vec![json!({"extension": "1001", "kind": "call", "at": "2026-12-07T13:00:00+02:00"})];
        let (ok, _) = read_items(&items, now()).unwrap();
        assert_eq!(ok[0].1.at_text(), "2026-12-07T11:00:00.000Z");
    }
}
