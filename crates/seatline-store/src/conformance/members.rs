//! Members: round trips and the session epoch.

use seatline_domain::{rules, Member, MemberId, OrgId, Role, Status};

use super::fixtures::*;

pub async fn members_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "m", "owner@m.example").await;

    let mut tx = read(s).await;
    let o = tx.org(&org).await.expect("org").expect("exists");
    assert_eq!(
        (o.id, o.name, o.created_at),
        (org.clone(), "Org m".into(), AT.into())
    );
    assert_eq!(
        tx.member(&org, &owner.id).await.expect("member"),
        Some(owner.clone())
    );
    assert_eq!(owner.role, Role::Owner);
    let by_email = tx
        .member_by_email(&org, &email("OWNER@m.example"))
        .await
        .expect("by email");
    assert_eq!(by_email, Some(owner.clone()));
    drop(tx);

    let b_ = add_member(s, &org, "mem_b", "b@m.example", Role::Admin).await;
    let c = add_member(s, &org, "mem_c", "c@m.example", Role::Member).await;
    let a = add_member(s, &org, "mem_a", "a@m.example", Role::Member).await;

    let mut tx = read(s).await;
    let all = tx.members(&org, None, 10).await.expect("members");
    let emails: Vec<&str> = all.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "a@m.example",
            "b@m.example",
            "c@m.example",
            "owner@m.example"
        ]
    );
    assert_eq!(all[1], b_);
    let ids = [c.id.clone(), MemberId("mem_none".into()), a.id.clone()];
    assert_eq!(
        tx.members_by_id(&org, &ids).await.expect("by id"),
        vec![a.clone(), c.clone()],
        "known ids only, ordered by email"
    );
    let page = tx
        .members(&org, Some("b@m.example"), 1)
        .await
        .expect("page");
    assert_eq!(page, vec![c.clone()]);
    assert_eq!(
        tx.members(&org, Some("owner@m.example"), 10)
            .await
            .expect("end"),
        vec![]
    );
    drop(tx);

    // Role change, disable, ownership transfer (demote first, then promote), delete.
    let mut tx = locked(s, &org).await;
    let d = merge([
        rules::change_role(&b_, Role::Member).expect("role"),
        rules::set_status(&c, Status::Disabled).expect("disable"),
        rules::transfer_ownership(&owner, &a).expect("transfer"),
    ]);
    commit(tx, &org, d).await.expect("commit");
    tx = read(s).await;
    let role = |m: Option<Member>| m.map(|m| (m.role, m.status));
    assert_eq!(
        role(tx.member(&org, &b_.id).await.unwrap()),
        Some((Role::Member, Status::Active))
    );
    assert_eq!(
        role(tx.member(&org, &c.id).await.unwrap()),
        Some((Role::Member, Status::Disabled))
    );
    assert_eq!(
        role(tx.member(&org, &a.id).await.unwrap()),
        Some((Role::Owner, Status::Active))
    );
    assert_eq!(
        role(tx.member(&org, &owner.id).await.unwrap()),
        Some((Role::Admin, Status::Active))
    );
    let c = tx.member(&org, &c.id).await.unwrap().expect("c");
    drop(tx);
    let d = rules::delete_member(&c, None).expect("delete");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("commit delete");
    let mut tx = read(s).await;
    assert_eq!(tx.member(&org, &c.id).await.expect("member"), None);
    assert_eq!(tx.members(&org, None, 10).await.expect("members").len(), 3);
    drop(tx);

    // Password hashes, and sign-in's lookup by email across organizations.
    let mut tx = locked(s, &org).await;
    tx.set_password_hash(&org, &a.id, Some("argon2id$h1"))
        .await
        .expect("set hash");
    tx.commit().await.expect("commit");
    let (other, other_owner) = create_org(s, "n", "a@m.example").await;
    let found = s
        .credentials_by_email(&email("A@m.example"))
        .await
        .expect("credentials");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((&found[0].org, &found[0].member.id), (&org, &a.id));
    assert_eq!(found[0].member.role, Role::Owner);
    assert_eq!(found[0].password_hash.as_deref(), Some("argon2id$h1"));
    assert_eq!((&found[1].org, &found[1].member), (&other, &other_owner));
    assert_eq!(found[1].password_hash, None);
    let mut tx = locked(s, &org).await;
    tx.set_password_hash(&org, &a.id, None)
        .await
        .expect("clear hash");
    tx.commit().await.expect("commit");
    let found = s.credentials_by_email(&a.email).await.expect("credentials");
    assert_eq!(found[0].password_hash, None);
    assert!(s
        .credentials_by_email(&email("nobody@m.example"))
        .await
        .expect("credentials")
        .is_empty());
}

/// A member's session epoch starts at 0, is read with the member, and is bumped by ending
/// its sessions and by any password change, only for that member of that organization, and
/// only when the transaction commits.
pub async fn session_epochs(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "se", "owner@se.example").await;
    let (other, other_owner) = create_org(s, "se2", "owner@se2.example").await;
    let agent = add_member(s, &org, "mem_se_agent", "agent@se.example", Role::Member).await;
    let epoch = |org: OrgId, id: MemberId| async move {
        read(s)
            .await
            .session_member(&org, &id)
            .await
            .expect("session member")
            .map(|(m, e)| {
                assert_eq!(m.id, id);
                e
            })
    };
    assert_eq!(epoch(org.clone(), owner.id.clone()).await, Some(0));
    let (m, _) = read(s)
        .await
        .session_member(&org, &agent.id)
        .await
        .expect("session member")
        .expect("agent exists");
    assert_eq!(m, agent);
    assert_eq!(
        epoch(other.clone(), agent.id.clone()).await,
        None,
        "another org's member"
    );

    let mut tx = locked(s, &org).await;
    assert_eq!(
        tx.end_sessions(&org, &owner.id).await.expect("end"),
        Some(1)
    );
    assert_eq!(
        tx.end_sessions(&org, &owner.id).await.expect("end"),
        Some(2)
    );
    assert_eq!(
        tx.end_sessions(&org, &other_owner.id).await.expect("end"),
        None,
        "a member of another organization is not touched"
    );
    tx.commit().await.expect("commit");
    assert_eq!(epoch(org.clone(), owner.id.clone()).await, Some(2));
    assert_eq!(epoch(org.clone(), agent.id.clone()).await, Some(0));
    assert_eq!(epoch(other.clone(), other_owner.id.clone()).await, Some(0));

    let mut tx = locked(s, &org).await;
    tx.end_sessions(&org, &agent.id).await.expect("end");
    drop(tx);
    assert_eq!(
        epoch(org.clone(), agent.id.clone()).await,
        Some(0),
        "rolled back"
    );

    let mut tx = locked(s, &org).await;
    tx.set_password_hash(&org, &agent.id, Some("$argon2id$x"))
        .await
        .expect("set hash");
    tx.set_password_hash(&org, &owner.id, None)
        .await
        .expect("clear hash");
    tx.commit().await.expect("commit");
    assert_eq!(epoch(org.clone(), agent.id.clone()).await, Some(1));
    assert_eq!(epoch(org.clone(), owner.id.clone()).await, Some(3));
}
