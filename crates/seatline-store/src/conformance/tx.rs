//! Transactions: one snapshot per read, nothing left by a rollback, the schema's keys behind
//! the rules, and seat limits under 32 concurrent writers (from one pool and from two).

use std::sync::Arc;
use tokio::sync::Barrier;

use seatline_domain::{rules, Change, Code, ErrorCode, Extension, Member, MemberId, Role, Status};

use crate::{ExtensionQuery, Store, TokenRow};

use super::fixtures::*;

/// Every read of a read transaction sees the state of its first read, whatever commits since.
pub async fn read_sees_one_snapshot(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "s", "owner@s.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 5).await;
    let mut reader = read(s).await;
    let before = reader.seats(&org).await.expect("seats");
    provision(s, &org, 2, 1001)
        .await
        .expect("a writer commits meanwhile");
    assert!(reader.taken_keys(&org).await.unwrap().is_empty());
    assert_eq!(reader.seats(&org).await.unwrap(), before);
    let exts = reader
        .extensions(
            &org,
            &ExtensionQuery {
                limit: 10,
                ..ExtensionQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(exts.is_empty());
    drop(reader);
    assert_eq!(seats(s, &org).await.get(Code::PhoneSystem), seat(5, 2));
}

/// A transaction that applied changes and audit entries and then failed, or was dropped
/// without commit, leaves no rows and no audit entry, and releases the organization's lock.
pub async fn rollback_leaves_no_trace(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "r", "owner@r.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    let before = snapshot(s, &org).await;
    let audit_before = audit_page(s, &org, 100).await;

    let o = &org;
    let provision_then = |failing: Option<Change>| async move {
        let (org, mut tx) = (o, locked(s, o).await);
        let taken = tx.taken_keys(org).await.unwrap();
        let seats = tx.seats(org).await.unwrap();
        let d = rules::provision(3, key(1001), &taken, &seats).expect("allowed");
        tx.apply(org, &d.changes).await.expect("apply");
        tx.append_audit(org, &audit_entries(&d))
            .await
            .expect("audit");
        // Inside the transaction the changes are visible.
        assert_eq!(tx.taken_keys(org).await.unwrap().len(), 3);
        if let Some(change) = failing {
            assert!(is_constraint(tx.apply(org, &[change]).await));
        }
        // Dropped without commit.
    };
    let dup = rules::new_member(
        MemberId("mem_dup".into()),
        owner.email.clone(),
        "Dup",
        Role::Member,
    )
    .unwrap();
    provision_then(Some(Change::InsertMember(dup))).await;
    provision_then(Some(Change::InsertExtensions(vec![Extension::new(key(
        1001,
    ))])))
    .await;
    provision_then(None).await;
    // A failure inside a bulk insert (a number not in the inventory) rolls back the rest.
    let mut tx = locked(s, &org).await;
    let ext = Extension {
        numbers: vec![e164("+6531000009")],
        ..Extension::new(key(1005))
    };
    assert!(is_constraint(
        tx.apply(
            &org,
            &[Change::InsertExtensions(vec![
                Extension::new(key(1004)),
                ext
            ])]
        )
        .await
    ));
    drop(tx);

    let after = snapshot(s, &org).await;
    assert!(after.extensions.is_empty(), "{:?}", after.extensions);
    assert_eq!(after.members, before.members);
    assert_eq!(after.seats, before.seats);
    let audit_after = audit_page(s, &org, 100).await;
    assert_eq!(audit_after, audit_before);
    // The lock was released: the same provision now commits.
    provision(s, &org, 3, 1001)
        .await
        .expect("provision after rollbacks");
    assert_eq!(audit_of(s, &org, "extension.provision").await.len(), 3);
}

/// The schema's keys refuse what the rules would refuse, should a change get past them.
pub async fn constraints_back_the_rules(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "c", "owner@c.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    set_quantity(s, &org, Code::LicenseNumber, 10).await;
    add_numbers(s, &org, &["+6531000001"]).await;
    let m = add_member(s, &org, "mem_c", "m@c.example", Role::Member).await;
    provision(s, &org, 2, 1001).await.expect("provision");
    assign(s, &org, 1001, &m).await.expect("assign");
    set_addons(s, &org, 1001, &[Code::LicenseNumber])
        .await
        .expect("addons");
    set_addons(s, &org, 1002, &[Code::LicenseNumber])
        .await
        .expect("addons");
    set_numbers(s, &org, 1001, &["+6531000001"])
        .await
        .expect("numbers");
    let before = snapshot(s, &org).await;

    let member = |id: &str, mail: &str, role| Member {
        id: MemberId(id.into()),
        email: email(mail),
        name: id.into(),
        role,
        status: Status::Active,
    };
    let refused: Vec<(&str, Change)> = vec![
        (
            "extension key per org",
            Change::InsertExtensions(vec![Extension::new(key(1002))]),
        ),
        (
            "one extension per member",
            Change::SetExtensionMember {
                key: key(1002),
                member: Some(m.id.clone()),
            },
        ),
        (
            "extension of an unknown member",
            Change::SetExtensionMember {
                key: key(1002),
                member: Some(MemberId("mem_none".into())),
            },
        ),
        (
            "one owner per org",
            Change::InsertMember(member("mem_o2", "o2@c.example", Role::Owner)),
        ),
        (
            "a second owner by update",
            Change::UpdateMember(Member {
                role: Role::Owner,
                ..m.clone()
            }),
        ),
        (
            "email per org",
            Change::InsertMember(member("mem_x", "owner@c.example", Role::Member)),
        ),
        (
            "member id per org",
            Change::InsertMember(member(owner.id.as_str(), "new@c.example", Role::Member)),
        ),
        ("number per org", Change::InsertNumber(e164("+6531000001"))),
        (
            "one extension per number",
            Change::SetNumbers {
                key: key(1002),
                numbers: vec![e164("+6531000001")],
            },
        ),
        (
            "number not in the inventory",
            Change::SetNumbers {
                key: key(1002),
                numbers: vec![e164("+6531000002")],
            },
        ),
        (
            "a member holding an extension",
            Change::DeleteMember(m.id.clone()),
        ),
        (
            "add-ons of a missing extension",
            Change::SetAddons {
                key: key(1003),
                addons: addons(&[Code::TeamChat]),
            },
        ),
    ];
    for (why, change) in refused {
        let r = force(s, &org, vec![change]).await;
        assert!(is_constraint(r), "{why}: expected a constraint violation");
    }
    let mut tx = locked(s, &org).await;
    let dup = TokenRow {
        id: "tok_1".into(),
        org: org.clone(),
        member: m.id.clone(),
        hash: "h".into(),
        created_at: AT.into(),
        revoked: false,
    };
    tx.insert_token(&dup).await.expect("token");
    tx.commit().await.expect("commit");
    let mut tx = locked(s, &org).await;
    let same_hash = TokenRow {
        id: "tok_2".into(),
        ..dup
    };
    assert!(
        is_constraint(tx.insert_token(&same_hash).await),
        "token hashes are unique"
    );
    drop(tx);

    let after = snapshot(s, &org).await;
    assert_eq!(
        (after.members, after.extensions, after.numbers),
        (before.members, before.extensions, before.numbers)
    );
}

/// What each racer tries: a new extension, or `license_center` on its own extension.
#[derive(Clone, Copy)]
enum Contest {
    Provision,
    Addon,
}

const RACERS: u32 = 32;
const SEATS: i64 = 10;

/// 32 writers at once, spread over `pools` stores, against 10 seats: exactly 10 are granted,
/// the rest are refused with `seats_exhausted`, and the stored seats agree.
async fn race(b: &impl Backend, contest: Contest, pools: usize) {
    let stores: Vec<Arc<dyn Store>> = {
        let mut v = Vec::new();
        for _ in 0..pools {
            v.push(b.store().await);
        }
        v
    };
    let s = &*stores[0];
    let (org, _) = create_org(s, "race", "owner@race.example").await;
    let (code, action) = match contest {
        Contest::Provision => {
            set_quantity(s, &org, Code::PhoneSystem, SEATS).await;
            (Code::PhoneSystem, "extension.provision")
        }
        Contest::Addon => {
            set_quantity(s, &org, Code::PhoneSystem, RACERS.into()).await;
            set_quantity(s, &org, Code::LicenseCenter, SEATS).await;
            provision(s, &org, RACERS.into(), 3000)
                .await
                .expect("extensions to race on");
            (Code::LicenseCenter, "extension.addons")
        }
    };
    let start = Arc::new(Barrier::new(RACERS as usize));
    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = stores[i as usize % pools].clone();
            let (org, start) = (org.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let s = &*store;
                match contest {
                    Contest::Provision => provision(s, &org, 1, 2000 + i).await,
                    Contest::Addon => {
                        on_extension(s, &org, 3000 + i, |ext, seats| {
                            let mut more = ext.addons.clone();
                            more.add(Code::LicenseCenter, 1);
                            rules::set_addons(ext, more, seats)
                        })
                        .await
                    }
                }
            })
        })
        .collect();
    let mut granted = 0;
    for r in racers {
        match r.await.expect("racer panicked") {
            Ok(()) => granted += 1,
            Err(Failure::Rule(e)) if e.code == ErrorCode::SeatsExhausted => {}
            Err(Failure::Rule(e)) => panic!(
                "a racer was refused with {}: {}",
                e.code.as_str(),
                e.message
            ),
            Err(Failure::Store(e)) => panic!("a racer failed in the store: {e}"),
        }
    }
    assert_eq!(granted, SEATS, "granted writers");
    assert_eq!(
        seats(s, &org).await.get(code),
        seat(SEATS as u32, SEATS as u32)
    );
    assert_eq!(audit_of(s, &org, action).await.len(), SEATS as usize);
}

pub async fn race_provision(b: &impl Backend) {
    race(b, Contest::Provision, 1).await;
}

pub async fn race_provision_two_pools(b: &impl Backend) {
    race(b, Contest::Provision, 2).await;
}

pub async fn race_addons(b: &impl Backend) {
    race(b, Contest::Addon, 1).await;
}

pub async fn race_addons_two_pools(b: &impl Backend) {
    race(b, Contest::Addon, 2).await;
}
