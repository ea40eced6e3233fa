//! SCIM (product.md §9): the member query and the fields a SCIM User adds.

use seatline_domain::{rules, Change, MemberId, Role, Status};

use crate::ScimQuery;

use super::fixtures::*;

/// A SCIM member query of up to 100 rows, shaped by `f`.
fn scim_q(f: impl FnOnce(&mut ScimQuery)) -> ScimQuery {
    let mut q = ScimQuery {
        limit: 100,
        ..ScimQuery::default()
    };
    f(&mut q);
    q
}

/// SCIM member queries: filters, creation order, paging and totals; `externalId` and the
/// member times the database keeps.
pub async fn scim_members_query_and_fields(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "sm", "owner@sm.example").await;
    let (other, _) = create_org(s, "sm2", "owner@sm2.example").await;
    let ann = add_member(s, &org, "mem_sm_ann", "ann@sm.example", Role::Member).await;
    let bob = add_member(s, &org, "mem_sm_bob", "bob@sm.example", Role::Admin).await;
    add_member(s, &other, "mem_sm_x", "ann@sm.example", Role::Member).await;
    let run = |q: ScimQuery| {
        let org = org.clone();
        async move {
            read(s)
                .await
                .scim_members(&org, &q)
                .await
                .expect("scim members")
        }
    };
    let (total, all) = run(scim_q(|_| {})).await;
    assert_eq!(total, 3);
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|m| (m.created_at.as_str(), m.member.id.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "creation order, then id");
    let mut ids: Vec<&str> = order.iter().map(|(_, id)| *id).collect();
    ids.sort();
    assert_eq!(ids, ["mem_sm_ann", "mem_sm_bob", "own_sm"]);
    assert!(all.iter().all(|m| m.external_id.is_none()));
    assert!(all
        .iter()
        .all(|m| m.created_at.len() == AT.len() && m.created_at.ends_with('Z')));
    assert!(all.iter().any(|m| m.member == ann));
    let (total, page) = run(ScimQuery {
        offset: 1,
        limit: 1,
        ..scim_q(|_| {})
    })
    .await;
    assert_eq!((total, page.len()), (3, 1));
    assert_eq!(page[0].member.id, all[1].member.id);
    let (total, none) = run(ScimQuery {
        limit: 0,
        ..scim_q(|_| {})
    })
    .await;
    assert_eq!(
        (total, none.len()),
        (3, 0),
        "count 0 answers the total only"
    );
    let (total, found) = run(scim_q(|q| {
        q.email = Some("bob@sm.example".parse().unwrap())
    }))
    .await;
    assert_eq!((total, found[0].member.id.as_str()), (1, "mem_sm_bob"));
    let (total, _) = run(scim_q(|q| q.status = Some(Status::Disabled))).await;
    assert_eq!(total, 0);

    // SetScimFields stores the externalId and the last-modified time; a rule's member update
    // moves the time too (the database keeps it).
    let before = all[1].updated_at.clone();
    let mut tx = locked(s, &org).await;
    tx.apply(
        &org,
        &[Change::SetScimFields {
            member: ann.id.clone(),
            external_id: Some("entra-ann".into()),
            given_name: Some("Ann".into()),
            family_name: Some("Entra".into()),
            modified_at: "2999-01-01T00:00:00.000Z".into(),
        }],
    )
    .await
    .expect("set scim fields");
    tx.commit().await.expect("commit");
    let (total, found) = run(scim_q(|q| q.external_id = Some("entra-ann".into()))).await;
    assert_eq!(total, 1);
    assert_eq!(found[0].member.id, ann.id);
    assert_eq!(found[0].external_id.as_deref(), Some("entra-ann"));
    assert_eq!(
        (
            found[0].given_name.as_deref(),
            found[0].family_name.as_deref()
        ),
        (Some("Ann"), Some("Entra")),
        "the SCIM name parts as written"
    );
    assert_eq!(
        found[0].updated_at, "2999-01-01T00:00:00.000Z",
        "the write's own time"
    );
    assert_ne!(found[0].updated_at, before);
    let (total, _) = run(scim_q(|q| {
        q.id = Some(MemberId("mem_sm_bob".into()));
        q.status = Some(Status::Active);
    }))
    .await;
    assert_eq!(total, 1);
    let long_ago = "2000-01-01T00:00:00.000Z";
    let mut tx = locked(s, &org).await;
    let d = rules::set_status(&bob, Status::Disabled).expect("disable");
    let mut changes = vec![Change::SetScimFields {
        member: bob.id.clone(),
        external_id: None,
        given_name: None,
        family_name: None,
        modified_at: long_ago.into(),
    }];
    changes.extend(d.changes);
    tx.apply(&org, &changes).await.expect("apply");
    tx.commit().await.expect("commit");
    let (_, found) = run(scim_q(|q| q.id = Some(MemberId("mem_sm_bob".into())))).await;
    assert_eq!(found[0].member.status, Status::Disabled);
    assert!(
        found[0].updated_at.as_str() > long_ago,
        "a rule's change of the member moves its last-modified time: {}",
        found[0].updated_at
    );
    let bob_created = all
        .iter()
        .find(|m| m.member.id == bob.id)
        .map(|m| m.created_at.clone());
    assert_eq!(
        Some(found[0].created_at.clone()),
        bob_created,
        "created_at never moves"
    );
    let (_, found) = run(scim_q(|q| q.external_id = Some("entra-ann".into()))).await;
    assert_eq!(found.len(), 1);
    let (total, _) = read(s)
        .await
        .scim_members(
            &other,
            &scim_q(|q| q.external_id = Some("entra-ann".into())),
        )
        .await
        .expect("other org");
    assert_eq!(total, 0, "another organization's members are not found");
    let (_, found) = run(scim_q(|q| q.id = Some(owner.id.clone()))).await;
    assert_eq!(found[0].member, owner);
}
