//! Extensions with their add-ons and numbers: round trips and filtered pages.

use std::collections::BTreeSet;

use seatline_domain::{rules, Change, Code, Extension, MemberId, NumberRow, Role};

use crate::ExtensionQuery;

use super::fixtures::*;

pub async fn extensions_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "x", "owner@x.example").await;
    // Set, then changed below: the purchase is replaced, not added to.
    set_quantity(s, &org, Code::PhoneSystem, 9).await;
    for (code, q) in [
        (Code::PhoneSystem, 5),
        (Code::DeviceIpPhone, 5),
        (Code::LicenseCenter, 2),
        (Code::LicenseNumber, 4),
        (Code::DeviceMobileApp, 2),
    ] {
        set_quantity(s, &org, code, q).await;
    }
    add_numbers(
        s,
        &org,
        &["+6531000001", "+6531000002", "+6531000003", "+6531000004"],
    )
    .await;
    let m = add_member(s, &org, "mem_x", "m@x.example", Role::Member).await;

    provision(s, &org, 3, 1001).await.expect("provision");
    let mut tx = read(s).await;
    assert_eq!(
        tx.taken_keys(&org).await.expect("taken"),
        BTreeSet::from([1001, 1002, 1003])
    );
    let seats0 = tx.seats(&org).await.expect("seats");
    assert_eq!(seats0.get(Code::PhoneSystem), seat(5, 3));
    assert_eq!(seats0.get(Code::LicenseCenter), seat(2, 0));
    assert_eq!(seats0.get(Code::TeamChat), seat(0, 0));
    assert_eq!(seats0.assigned, 0);
    assert_eq!(
        tx.extension(&org, key(1002)).await.unwrap(),
        Some(Extension::new(key(1002)))
    );
    assert_eq!(tx.extension(&org, key(1004)).await.unwrap(), None);
    drop(tx);

    assign(s, &org, 1002, &m).await.expect("assign");
    use Code::*;
    let codes = [DeviceIpPhone, LicenseCenter, LicenseNumber, LicenseNumber];
    set_addons(s, &org, 1002, &codes).await.expect("addons");
    set_numbers(s, &org, 1002, &["+6531000002", "+6531000001"])
        .await
        .expect("numbers");

    let want = Extension {
        key: key(1002),
        member: Some(m.id.clone()),
        addons: addons(&codes),
        numbers: vec![e164("+6531000001"), e164("+6531000002")],
    };
    let mut tx = read(s).await;
    assert_eq!(
        tx.extension(&org, key(1002)).await.unwrap(),
        Some(want.clone())
    );
    assert_eq!(
        tx.extension_of(&org, &m.id).await.unwrap(),
        Some(want.clone())
    );
    assert_eq!(tx.extension_of(&org, &owner.id).await.unwrap(), None);
    let seats1 = tx.seats(&org).await.expect("seats");
    assert_eq!(seats1.get(PhoneSystem), seat(5, 3));
    assert_eq!(seats1.get(DeviceIpPhone), seat(5, 1));
    assert_eq!(seats1.get(LicenseCenter), seat(2, 1));
    assert_eq!(seats1.get(LicenseNumber), seat(4, 2));
    assert_eq!(seats1.assigned, 1);

    let q = |f: fn(&mut ExtensionQuery)| {
        let mut q = ExtensionQuery {
            limit: 10,
            ..ExtensionQuery::default()
        };
        f(&mut q);
        q
    };
    let all = tx.extensions(&org, &q(|_| {})).await.expect("all");
    assert_eq!(keys(&all), [1001, 1002, 1003]);
    assert_eq!(all[1], want);
    let cases: [QueryCase; 8] = [
        (|q| q.after = Some(1001), &[1002, 1003]),
        (|q| q.limit = 1, &[1001]),
        (|q| q.members = vec![MemberId("mem_x".into())], &[1002]),
        (|q| q.members = vec![MemberId("own_x".into())], &[]),
        (|q| q.unassigned = true, &[1001, 1003]),
        (|q| q.addon = Some(Code::LicenseCenter), &[1002]),
        (|q| q.key_prefix = Some("1003".into()), &[1003]),
        (|q| q.key_prefix = Some("2".into()), &[]),
    ];
    for (i, (f, want_keys)) in cases.into_iter().enumerate() {
        let got = tx.extensions(&org, &q(f)).await.expect("query");
        assert_eq!(keys(&got), want_keys, "extension query #{i}");
    }
    let only = tx
        .extensions(&org, &q(|q| q.addon = Some(Code::LicenseNumber)))
        .await
        .expect("by addon");
    assert_eq!(
        only,
        vec![want.clone()],
        "a filtered extension comes complete"
    );
    drop(tx);

    // A sparse page (keys far apart) still comes complete, and only with its own parts.
    provision(s, &org, 1, 5000)
        .await
        .expect("provision far key");
    set_addons(s, &org, 5000, &[DeviceIpPhone])
        .await
        .expect("addons");
    let mut tx = read(s).await;
    let phones = tx
        .extensions(&org, &q(|q| q.addon = Some(DeviceIpPhone)))
        .await
        .expect("by addon");
    assert_eq!(keys(&phones), [1002, 5000]);
    assert_eq!(phones[0], want, "sparse page: 1002 complete");
    assert_eq!(
        phones[1].addons,
        addons(&[DeviceIpPhone]),
        "sparse page: 5000 complete"
    );
    drop(tx);
    on_extension(s, &org, 5000, |ext, _| rules::deprovision(ext, None))
        .await
        .expect("deprovision far key");

    // Extensions inserted with member, add-ons and numbers at once (the bulk shape).
    let bulk = Extension {
        key: key(2001),
        member: None,
        addons: addons(&[DeviceMobileApp, DeviceMobileApp, LicenseNumber]),
        numbers: vec![e164("+6531000003")],
    };
    force(s, &org, vec![Change::InsertExtensions(vec![bulk.clone()])])
        .await
        .expect("insert with parts");
    assert_eq!(extension(s, &org, 2001).await, Some(bulk.clone()));
    assert_eq!(seats(s, &org).await.get(DeviceMobileApp), seat(2, 2));

    // Replacing numbers frees the ones dropped.
    set_numbers(s, &org, 1002, &["+6531000004"])
        .await
        .expect("replace numbers");
    let mut tx = read(s).await;
    let number = |n: &str, k: Option<u32>| NumberRow {
        number: e164(n),
        extension: k.map(key),
    };
    assert_eq!(
        tx.number(&org, &e164("+6531000001")).await.unwrap(),
        Some(number("+6531000001", None))
    );
    assert_eq!(
        tx.number(&org, &e164("+6531000004")).await.unwrap(),
        Some(number("+6531000004", Some(1002)))
    );
    drop(tx);

    // Unassign keeps add-ons and numbers; deprovision returns seats and numbers.
    on_extension(s, &org, 1002, |ext, _| Ok(rules::unassign(ext)))
        .await
        .expect("unassign");
    let unassigned = extension(s, &org, 1002).await.expect("still there");
    assert_eq!(
        (unassigned.member, unassigned.addons.clone()),
        (None, want.addons.clone())
    );
    on_extension(s, &org, 1002, |ext, _| rules::deprovision(ext, None))
        .await
        .expect("deprovision");
    assert_eq!(extension(s, &org, 1002).await, None);
    let seats2 = seats(s, &org).await;
    assert_eq!(seats2.get(PhoneSystem), seat(5, 3));
    assert_eq!(seats2.get(LicenseCenter), seat(2, 0));
    assert_eq!(seats2.get(LicenseNumber), seat(4, 1));
    assert_eq!(seats2.assigned, 0);

    let snap = snapshot(s, &org).await;
    assert_eq!(keys(&snap.extensions), [1001, 1003, 2001]);
    assert_eq!(snap.extensions[2], bulk);
    assert_eq!(snap.members.len(), 2);
    assert_eq!(
        snap.numbers,
        vec![
            number("+6531000001", None),
            number("+6531000002", None),
            number("+6531000003", Some(2001)),
            number("+6531000004", None),
        ]
    );
    assert_eq!(snap.seats, seats2);
}
