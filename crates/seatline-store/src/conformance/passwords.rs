//! Password reset links.

use seatline_domain::{Change, Role};

use crate::PasswordReset;

use super::fixtures::*;

/// A password reset link is found by its hash from any organization with its member, is
/// replaced by a newer link of the same member, is used up by taking it (only in its own
/// organization, only once, only when the transaction commits), and goes with its member.
pub async fn password_resets(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "pr", "owner@pr.example").await;
    let (other, _) = create_org(s, "pr2", "owner@pr2.example").await;
    let agent = add_member(s, &org, "mem_pr_agent", "agent@pr.example", Role::Member).await;
    let later = "2026-01-02T00:00:00.000Z";

    let mut tx = locked(s, &org).await;
    tx.insert_password_reset(&org, &agent.id, "hash-1", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(
        s.password_reset("hash-1").await.expect("read"),
        Some(PasswordReset {
            org: org.clone(),
            member: agent.clone(),
            created_at: AT.to_owned(),
            expires_at: later.to_owned(),
        })
    );
    assert_eq!(s.password_reset("no-such").await.expect("read"), None);

    // A newer link replaces the older one.
    let mut tx = locked(s, &org).await;
    tx.insert_password_reset(&org, &agent.id, "hash-2", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(s.password_reset("hash-1").await.expect("read"), None);
    assert!(s.password_reset("hash-2").await.expect("read").is_some());

    // Another organization cannot take it; a rolled-back take leaves it; a take uses it up.
    let mut tx = locked(s, &other).await;
    assert_eq!(
        tx.take_password_reset(&other, "hash-2")
            .await
            .expect("take"),
        None
    );
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert!(tx
        .take_password_reset(&org, "hash-2")
        .await
        .expect("take")
        .is_some());
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert_eq!(
        tx.take_password_reset(&org, "hash-2").await.expect("take"),
        Some((agent.id.clone(), later.to_owned()))
    );
    assert_eq!(
        tx.take_password_reset(&org, "hash-2").await.expect("take"),
        None,
        "used once"
    );
    tx.commit().await.expect("commit");
    assert_eq!(s.password_reset("hash-2").await.expect("read"), None);

    // Deleting the member deletes its link.
    let mut tx = locked(s, &org).await;
    tx.insert_password_reset(&org, &agent.id, "hash-3", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    force(s, &org, vec![Change::DeleteMember(agent.id.clone())])
        .await
        .expect("delete member");
    assert_eq!(s.password_reset("hash-3").await.expect("read"), None);
}
