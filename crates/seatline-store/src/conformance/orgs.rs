//! Organizations: migrations, a missing organization, and isolation between organizations.

use serde_json::json;
use std::collections::BTreeSet;

use seatline_domain::{Change, Code, Extension, Member, Role};

use crate::{AuditEntry, AuditQuery, ExtensionQuery, PlanRow, TokenRow};

use super::fixtures::*;

pub async fn migrate_ping_and_missing_org(b: &impl Backend) {
    let store = b.store().await;
    store.migrate().await.expect("migrating twice is a no-op");
    store.ping().await.expect("ping");
    let nobody = org_id("missing");
    assert!(store.lock(&nobody).await.expect("lock").is_none());
    assert_eq!(read(&*store).await.org(&nobody).await.expect("org"), None);
}

/// Nothing of org A is visible through org B, and writes scoped by B cannot touch A, even
/// where both use the same extension key or the same email.
pub async fn tenant_isolation(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let (b_org, b_owner) = create_org(s, "b", "owner@b.example").await;
    for org in [&a, &b_org] {
        set_quantity(s, org, Code::PhoneSystem, 3).await;
        set_quantity(s, org, Code::LicenseNumber, 1).await;
    }
    set_quantity(s, &a, Code::LicenseCenter, 1).await;
    add_numbers(s, &a, &["+6531000001"]).await;
    let am = add_member(s, &a, "mem_a", "shared@x.example", Role::Member).await;
    let bm = add_member(s, &b_org, "mem_b", "shared@x.example", Role::Member).await;
    provision(s, &a, 2, 1001).await.expect("provision a");
    provision(s, &b_org, 1, 1001).await.expect("provision b");
    assign(s, &a, 1002, &am).await.expect("assign");
    set_addons(s, &a, 1002, &[Code::LicenseCenter, Code::LicenseNumber])
        .await
        .expect("addons");
    set_numbers(s, &a, 1002, &["+6531000001"])
        .await
        .expect("numbers");
    let mut tx = locked(s, &a).await;
    let a_token = TokenRow {
        id: "tok_a".into(),
        org: a.clone(),
        member: am.id.clone(),
        hash: "hash_a".into(),
        created_at: AT.into(),
        revoked: false,
    };
    tx.insert_token(&a_token).await.expect("token");
    let a_plan = PlanRow {
        id: "plan_a".into(),
        created_at: AT.into(),
        status: "planned".into(),
        body: "{}".into(),
    };
    tx.insert_plan(&a, &a_plan).await.expect("plan");
    tx.commit().await.expect("commit");
    let a_before = snapshot(s, &a).await;
    let a_audit = audit_page(s, &a, 1000).await;

    // Reads through B.
    let mut tx = read(s).await;
    let b = &b_org;
    assert_eq!(tx.member(b, &am.id).await.unwrap(), None);
    assert_eq!(
        tx.member_by_email(b, &email("owner@a.example"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.member_by_email(b, &am.email).await.unwrap(),
        Some(bm.clone())
    );
    assert_eq!(
        tx.members(b, None, 100).await.unwrap(),
        vec![b_owner.clone(), bm.clone()]
    );
    assert_eq!(tx.extension(b, key(1002)).await.unwrap(), None);
    assert_eq!(
        tx.extension(b, key(1001)).await.unwrap(),
        Some(Extension::new(key(1001)))
    );
    assert_eq!(tx.extension_of(b, &am.id).await.unwrap(), None);
    let everything = ExtensionQuery {
        limit: 100,
        ..ExtensionQuery::default()
    };
    assert_eq!(keys(&tx.extensions(b, &everything).await.unwrap()), [1001]);
    let of_a = ExtensionQuery {
        members: vec![am.id.clone()],
        ..everything.clone()
    };
    assert!(tx.extensions(b, &of_a).await.unwrap().is_empty());
    let center = ExtensionQuery {
        addon: Some(Code::LicenseCenter),
        ..everything.clone()
    };
    assert!(tx.extensions(b, &center).await.unwrap().is_empty());
    assert_eq!(tx.taken_keys(b).await.unwrap(), BTreeSet::from([1001]));
    let bs = tx.seats(b).await.unwrap();
    assert_eq!(bs.get(Code::PhoneSystem), seat(3, 1));
    assert_eq!(bs.get(Code::LicenseCenter), seat(0, 0));
    assert_eq!(bs.get(Code::LicenseNumber), seat(1, 0));
    assert_eq!(bs.assigned, 0);
    assert_eq!(tx.number(b, &e164("+6531000001")).await.unwrap(), None);
    assert!(tx.numbers(b, None, 100).await.unwrap().is_empty());
    let b_audit = tx
        .audit(
            b,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(b_audit
        .iter()
        .all(|e| !a_audit.iter().any(|x| x.id == e.id)));
    assert_eq!(
        b_audit.len(),
        5,
        "org.create, two quantities, member, provision: {b_audit:?}"
    );
    assert!(tx.tokens(b, &am.id).await.unwrap().is_empty());
    assert_eq!(tx.plan(b, "plan_a").await.unwrap(), None);
    let bsnap = tx.snapshot(b).await.unwrap();
    assert_eq!(
        (
            bsnap.members.len(),
            keys(&bsnap.extensions),
            bsnap.numbers.len()
        ),
        (2, vec![1001], 0)
    );
    drop(tx);

    // Writes scoped by B naming A's rows: no effect, or refused.
    let renamed = Member {
        name: "Hijacked".into(),
        role: Role::Admin,
        ..am.clone()
    };
    let harmless = [
        Change::UpdateMember(renamed),
        Change::DeleteMember(am.id.clone()),
        Change::SetExtensionMember {
            key: key(1002),
            member: None,
        },
        Change::DeleteExtension(key(1002)),
        Change::DeleteNumber(e164("+6531000001")),
    ];
    for change in harmless {
        force(s, b, vec![change.clone()])
            .await
            .unwrap_or_else(|e| panic!("{change:?}: {e}"));
    }
    let refused = [
        Change::SetAddons {
            key: key(1002),
            addons: addons(&[Code::TeamChat]),
        },
        Change::SetNumbers {
            key: key(1001),
            numbers: vec![e164("+6531000001")],
        },
        Change::SetExtensionMember {
            key: key(1001),
            member: Some(am.id.clone()),
        },
    ];
    for change in refused {
        assert!(
            is_constraint(force(s, b, vec![change.clone()]).await),
            "{change:?}"
        );
    }
    let mut tx = locked(s, b).await;
    assert!(!tx.revoke_token(b, &am.id, "tok_a").await.unwrap());
    tx.update_plan(
        b,
        &PlanRow {
            status: "applied".into(),
            ..a_plan.clone()
        },
    )
    .await
    .unwrap();
    tx.set_password_hash(b, &am.id, Some("stolen"))
        .await
        .unwrap();
    tx.append_audit(
        b,
        &[AuditEntry {
            id: 0,
            at: AT.into(),
            actor: "x".into(),
            action: "x".into(),
            target: "x".into(),
            before: json!(null),
            after: json!(null),
            request_id: None,
            teams: Vec::new(),
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A is exactly as it was.
    let a_after = snapshot(s, &a).await;
    assert_eq!(a_after.members, a_before.members);
    assert_eq!(a_after.extensions, a_before.extensions);
    assert_eq!(a_after.numbers, a_before.numbers);
    assert_eq!(a_after.seats, a_before.seats);
    let mut tx = read(s).await;
    assert_eq!(tx.plan(&a, "plan_a").await.unwrap(), Some(a_plan));
    assert_eq!(tx.tokens(&a, &am.id).await.unwrap(), vec![a_token]);
    assert_eq!(
        tx.audit(
            &a,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            }
        )
        .await
        .unwrap(),
        a_audit
    );
    let creds = s.credentials_by_email(&am.email).await.unwrap();
    let of_a: Vec<_> = creds.iter().filter(|c| c.org == a).collect();
    assert_eq!(of_a.len(), 1);
    assert_eq!((&of_a[0].member, &of_a[0].password_hash), (&am, &None));
}
