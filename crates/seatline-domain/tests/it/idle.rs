//! Idle copies (product.md §14) on a fake clock: the rules are pure functions of the activity
//! kept, the hand-overs and the instant judged at, so every case names its instants.

use chrono::{DateTime, Duration, TimeZone, Utc};
use seatline_domain::activity::{ActivityKind, Device};
use seatline_domain::idle::{self, is_idle, Idle};
use seatline_domain::reports::{findings, usage, OrgUsage};
use seatline_domain::{Code, ErrorCode, FindingKind, Role, Status};

use crate::support::*;

/// The fake clock's "now".
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
}

fn days_ago(n: i64) -> DateTime<Utc> {
    now() - Duration::days(n)
}

/// (last activity, handed over, at: days before now, idle_days, idle?)
type Case = (Option<i64>, Option<i64>, i64, u32, bool);

#[test]
fn idle_time_counts_from_the_later_of_activity_and_hand_over() {
    let cases: [Case; 10] = [
        (None, None, 0, 30, true),             // never used, hand-over unknown
        (None, Some(29), 0, 30, false),        // handed over 29 days ago: grace
        (None, Some(30), 0, 30, true),         // exactly idle_days: idle
        (Some(31), None, 0, 30, true),         // used 31 days ago
        (Some(5), None, 0, 30, false),         // used recently
        (Some(90), Some(10), 0, 30, false),    // old use, recent hand-over: the later wins
        (Some(10), Some(90), 0, 30, false),    // recent use, old hand-over
        (Some(10), Some(90), -25, 30, true),   // forecast 25 days ahead: 35 days idle
        (Some(10), Some(90), -19, 30, false),  // forecast 19 days ahead: 29 days idle
        (Some(100), Some(100), 0, 365, false), // a longer threshold
    ];
    for (i, (last, over, at, days, want)) in cases.into_iter().enumerate() {
        let got = is_idle(last.map(days_ago), over.map(days_ago), days_ago(at), days);
        assert_eq!(
            got, want,
            "case {i}: last {last:?}, handed over {over:?}, at {at}"
        );
    }
}

struct Org {
    members: Vec<seatline_domain::Member>,
    extensions: Vec<seatline_domain::Extension>,
    seats: seatline_domain::Seats,
}

/// 1001 ann: ip phone registered 40 days ago, called 2 days ago; desktop app never seen;
/// Contact Center signed in 31 days ago; handed over 100 days ago.
/// 1002 bob: handed over 10 days ago, never used (grace).
/// 1003 dis (disabled): never used: its own finding, never idle.
/// 1004: unassigned: never idle.
fn org() -> (Org, Idle) {
    use Code::*;
    let ann = active("ann", Role::Member);
    let bob = active("bob", Role::Member);
    let dis = member("dis", Role::Member, Status::Disabled);
    let extensions = vec![
        held_by(
            ext(1001, &[DeviceIpPhone, DeviceDesktopApp, LicenseCenter]),
            &ann,
        ),
        held_by(ext(1002, &[DeviceWebRtc]), &bob),
        held_by(ext(1003, &[DeviceWebRtc]), &dis),
        ext(1004, &[DeviceWebRtc]),
    ];
    let seats = seats(&[
        (PhoneSystem, 10, 0),
        (DeviceIpPhone, 5, 0),
        (DeviceDesktopApp, 5, 0),
        (DeviceWebRtc, 5, 0),
        (LicenseCenter, 5, 0),
    ]);
    let mut idle = Idle {
        at: now(),
        idle_days: 30,
        ..Idle::default()
    };
    idle.activity.insert(
        key(1001),
        vec![
            (
                ActivityKind::Registration,
                Some(Device::IpPhone),
                days_ago(40),
            ),
            (ActivityKind::Call, None, days_ago(2)),
            (ActivityKind::ContactCenterSignIn, None, days_ago(31)),
        ],
    );
    idle.handed_over.insert(key(1001), days_ago(100));
    idle.handed_over.insert(key(1002), days_ago(10));
    (
        Org {
            members: vec![ann, bob, dis],
            extensions,
            seats,
        },
        idle,
    )
}

fn kinds_at(o: &Org, idle: &Idle) -> Vec<(u32, FindingKind, Vec<Code>)> {
    let u = OrgUsage::new(&o.members, &o.extensions, &o.seats, &[]).with_idle(idle);
    findings(&u, None)
        .into_iter()
        .filter(|f| f.kind.is_idle())
        .map(|f| (f.extension.unwrap().get(), f.kind, f.codes))
        .collect()
}

#[test]
fn idle_findings_today() {
    let (o, idle) = org();
    assert_eq!(
        kinds_at(&o, &idle),
        vec![
            // A call 2 days ago keeps the extension; 31 days without a sign-in idles the
            // Contact Center; the ip phone (40 days) and the never-seen desktop app idle.
            (
                1001,
                FindingKind::IdleContactCenter,
                vec![Code::LicenseCenter]
            ),
            (
                1001,
                FindingKind::IdleDevice,
                vec![Code::DeviceIpPhone, Code::DeviceDesktopApp]
            ),
        ]
    );
    // A call is no registration: the ip phone stays idle by its own registration only.
    let u = OrgUsage::new(&o.members, &o.extensions, &o.seats, &[]).with_idle(&idle);
    let f = findings(&u, Some(FindingKind::IdleExtension));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn idle_findings_forecast_at_renewal() {
    let (o, mut idle) = org();
    // 25 days ahead: the call is 27 days old (not yet), bob's grace of 10 days is over.
    idle.at = now() + Duration::days(25);
    let got = kinds_at(&o, &idle);
    assert!(got.contains(&(1002, FindingKind::IdleExtension, vec![Code::PhoneSystem])));
    assert!(got.contains(&(1002, FindingKind::IdleDevice, vec![Code::DeviceWebRtc])));
    assert!(!got
        .iter()
        .any(|(k, kind, _)| *k == 1001 && *kind == FindingKind::IdleExtension));
    // 30 days ahead: 1001's call is 32 days old.
    idle.at = now() + Duration::days(30);
    let got = kinds_at(&o, &idle);
    assert!(got.contains(&(1001, FindingKind::IdleExtension, vec![Code::PhoneSystem])));
    // Neither the disabled holder's nor the unassigned extension's copies are ever idle.
    assert!(
        !got.iter().any(|(k, _, _)| *k == 1003 || *k == 1004),
        "{got:?}"
    );
}

#[test]
fn usage_counts_idle_copies_as_not_productive() {
    let (o, idle) = org();
    let u = OrgUsage::new(&o.members, &o.extensions, &o.seats, &[]).with_idle(&idle);
    let r = usage(&u);
    let line = |c: Code| r.items.iter().find(|i| i.code == c).unwrap().clone();
    // phone_system: 1001 and 1002 productive (1002 in its grace), 1003 disabled.
    assert_eq!(
        (
            line(Code::PhoneSystem).productive,
            line(Code::PhoneSystem).idle
        ),
        (2, 0)
    );
    assert_eq!(
        (
            line(Code::DeviceIpPhone).productive,
            line(Code::DeviceIpPhone).idle
        ),
        (0, 1)
    );
    assert_eq!(
        (
            line(Code::LicenseCenter).productive,
            line(Code::LicenseCenter).idle
        ),
        (0, 1)
    );
    assert_eq!(
        (
            line(Code::DeviceWebRtc).productive,
            line(Code::DeviceWebRtc).idle
        ),
        (1, 0)
    );
    // Without activity data nothing is judged idle.
    let plain = usage(&OrgUsage::new(&o.members, &o.extensions, &o.seats, &[]));
    assert!(plain.items.iter().all(|i| i.idle == 0));
}

#[test]
fn at_and_idle_days_are_checked() {
    assert_eq!(idle::parse_at(None, now()).unwrap(), now());
    let t = idle::parse_at(Some("2027-12-01T00:00:00+01:00"), now()).unwrap();
    assert_eq!(t, Utc.with_ymd_and_hms(2027, 11, 30, 23, 0, 0).unwrap());
    let far = idle::parse_at(Some("2028-01-10T00:00:00Z"), now()).unwrap_err();
    assert_eq!(far.code, ErrorCode::InvalidTime);
    assert!(far.message.starts_with("at: ") && far.message.contains("400 days"));
    let bad = idle::parse_at(Some("tomorrow"), now()).unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidTime);
    assert_eq!(bad.details["field"], "at");
    assert_eq!(idle::parse_idle_days(None).unwrap(), 30);
    assert_eq!(idle::parse_idle_days(Some("90")).unwrap(), 90);
    for wrong in ["0", "-3", "3651", "ten"] {
        let e = idle::parse_idle_days(Some(wrong)).unwrap_err();
        assert_eq!(e.details["field"], "idle_days", "{wrong}");
    }
}

#[test]
fn cleanup_plans_refuse_the_idle_kinds() {
    for k in ["idle_extension", "idle_contact_center", "idle_device"] {
        let e = seatline_domain::cleanup::parse_kinds(["not_effective", k]).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidFindingKind);
        assert_eq!(e.details["field"], "kinds");
        assert!(e.message.contains(k) && e.message.contains("remove it from kinds"));
    }
}
