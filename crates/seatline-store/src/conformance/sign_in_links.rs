//! Conformance of sign-in links: stored by hash, replaced by a newer link of the same
//! member, taken once and only by their organization, gone with their member.

use seatline_domain::{Change, Role};

use super::fixtures::{add_member, create_org, force, locked, Backend, AT};
use crate::SignInLinkRow;

pub async fn sign_in_links(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "sil", "owner@sil.example").await;
    let (other, _) = create_org(s, "sil2", "owner@sil2.example").await;
    let agent = add_member(s, &org, "mem_sil_agent", "agent@sil.example", Role::Member).await;
    let later = "2026-01-02T00:00:00.000Z";

    let mut tx = locked(s, &org).await;
    tx.insert_sign_in_link(&org, &owner.id, "link-1", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(
        s.sign_in_link("link-1").await.expect("read"),
        Some(SignInLinkRow {
            org: org.clone(),
            member: owner.clone(),
            created_at: AT.to_owned(),
            expires_at: later.to_owned(),
        })
    );
    assert_eq!(s.sign_in_link("no-such").await.expect("read"), None);
    // A password reset link is another table: the same hash is no reset link.
    assert_eq!(s.password_reset("link-1").await.expect("read"), None);

    // A newer link replaces the member's older one; another member's link stays.
    let mut tx = locked(s, &org).await;
    tx.insert_sign_in_link(&org, &agent.id, "agent-1", AT, later)
        .await
        .expect("insert");
    tx.insert_sign_in_link(&org, &owner.id, "link-2", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(s.sign_in_link("link-1").await.expect("read"), None);
    assert!(s.sign_in_link("link-2").await.expect("read").is_some());
    assert!(s.sign_in_link("agent-1").await.expect("read").is_some());

    // Another organization cannot take it; a rolled-back take leaves it; a take uses it up.
    let mut tx = locked(s, &other).await;
    assert_eq!(
        tx.take_sign_in_link(&other, "link-2").await.expect("take"),
        None
    );
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert!(tx
        .take_sign_in_link(&org, "link-2")
        .await
        .expect("take")
        .is_some());
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert_eq!(
        tx.take_sign_in_link(&org, "link-2").await.expect("take"),
        Some((owner.id.clone(), later.to_owned()))
    );
    assert_eq!(
        tx.take_sign_in_link(&org, "link-2").await.expect("take"),
        None,
        "used once"
    );
    tx.commit().await.expect("commit");
    assert_eq!(s.sign_in_link("link-2").await.expect("read"), None);

    // Deleting the member deletes its link.
    force(s, &org, vec![Change::DeleteMember(agent.id.clone())])
        .await
        .expect("delete member");
    assert_eq!(s.sign_in_link("agent-1").await.expect("read"), None);
}
