//! Bearer tokens: members' API tokens, SCIM tokens and integration tokens.

use seatline_domain::{Member, OrgId, Role};

use crate::{IntegrationTokenRow, ScimTokenRow, TokenRow};

use super::fixtures::*;

pub async fn tokens_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "t", "owner@t.example").await;
    let m = add_member(s, &org, "mem_t", "m@t.example", Role::Member).await;
    let token = |id: &str, member: &Member, at: &str| TokenRow {
        id: id.to_owned(),
        org: org.clone(),
        member: member.id.clone(),
        hash: format!("hash_{id}"),
        created_at: at.to_owned(),
        revoked: false,
    };
    let t2 = token("tok_2", &m, "2026-01-02T00:00:00.000Z");
    let t1 = token("tok_1", &m, "2026-01-01T00:00:00.000Z");
    let t3 = token("tok_3", &owner, "2026-01-01T00:00:00.000Z");
    let mut tx = locked(s, &org).await;
    for t in [&t2, &t1, &t3] {
        tx.insert_token(t).await.expect("insert token");
    }
    tx.commit().await.expect("commit");

    assert_eq!(
        s.token_holder("hash_tok_1").await.unwrap().map(|(t, _)| t),
        Some(t1.clone())
    );
    assert_eq!(s.token_holder("nope").await.unwrap().map(|(t, _)| t), None);
    let (_, holder) = s.token_holder("hash_tok_1").await.unwrap().expect("held");
    assert_eq!(holder, m, "the token's holder comes with it");
    let mut tx = locked(s, &org).await;
    assert_eq!(
        tx.tokens(&org, &m.id).await.unwrap(),
        vec![t1.clone(), t2.clone()]
    );
    assert!(tx.revoke_token(&org, &m.id, "tok_1").await.unwrap());
    assert!(
        !tx.revoke_token(&org, &m.id, "tok_3").await.unwrap(),
        "another member's token"
    );
    assert!(!tx.revoke_token(&org, &m.id, "tok_9").await.unwrap());
    tx.commit().await.expect("commit");
    let revoked = s
        .token_holder("hash_tok_1")
        .await
        .unwrap()
        .map(|(t, _)| t)
        .expect("still stored");
    assert!(revoked.revoked);
    assert!(
        !s.token_holder("hash_tok_3")
            .await
            .unwrap()
            .map(|(t, _)| t)
            .expect("kept")
            .revoked
    );

    // A deleted member's tokens go with it.
    disable_and_delete(s, &org, &m).await;
    assert_eq!(
        s.token_holder("hash_tok_2").await.unwrap().map(|(t, _)| t),
        None
    );
    assert!(read(s).await.tokens(&org, &m.id).await.unwrap().is_empty());
}

/// SCIM tokens: found by hash whatever the organization, listed and revoked only in their own.
pub async fn scim_tokens_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "st", "owner@st.example").await;
    let (other, _) = create_org(s, "st2", "owner@st2.example").await;
    let token = |id: &str, org: &OrgId, at: &str| ScimTokenRow {
        id: id.to_owned(),
        org: org.clone(),
        name: format!("IdP {id}"),
        hash: format!("hash_{id}"),
        created_at: at.to_owned(),
        revoked: false,
    };
    let (a, b2, c) = (
        token("scim_a", &org, "2026-01-01T00:00:01.000Z"),
        token("scim_b", &org, "2026-01-01T00:00:02.000Z"),
        token("scim_c", &other, "2026-01-01T00:00:03.000Z"),
    );
    let mut tx = locked(s, &org).await;
    for t in [&b2, &a, &c] {
        tx.insert_scim_token(t).await.expect("insert token");
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        s.scim_token("hash_scim_a").await.expect("by hash"),
        Some(a.clone())
    );
    assert_eq!(
        s.scim_token("hash_scim_c").await.expect("by hash"),
        Some(c.clone())
    );
    assert_eq!(s.scim_token("nope").await.expect("by hash"), None);
    let listed = read(s).await.scim_tokens(&org).await.expect("list");
    assert_eq!(
        listed,
        vec![a.clone(), b2.clone()],
        "oldest first, own org only"
    );

    let mut tx = locked(s, &org).await;
    assert!(
        !tx.revoke_scim_token(&org, "scim_c").await.expect("revoke"),
        "another org's token"
    );
    assert!(tx.revoke_scim_token(&org, "scim_a").await.expect("revoke"));
    assert!(
        !tx.revoke_scim_token(&org, "scim_a").await.expect("revoke"),
        "already revoked"
    );
    tx.commit().await.expect("commit");
    assert!(
        s.scim_token("hash_scim_a")
            .await
            .expect("by hash")
            .expect("kept")
            .revoked
    );
    assert!(
        !s.scim_token("hash_scim_c")
            .await
            .expect("by hash")
            .expect("kept")
            .revoked
    );
    let mut tx = locked(s, &org).await;
    let dup = ScimTokenRow {
        hash: "hash_scim_b".into(),
        ..token("scim_d", &org, AT)
    };
    assert!(
        is_constraint(tx.insert_scim_token(&dup).await),
        "a hash is unique"
    );
}

pub async fn integration_tokens_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "it", "owner@it.example").await;
    let (other, _) = create_org(s, "io", "owner@io.example").await;
    let token = |id: &str, org: &OrgId, at: &str| IntegrationTokenRow {
        id: id.to_owned(),
        org: org.clone(),
        name: format!("PBX {id}"),
        hash: format!("hash_{id}"),
        created_at: at.to_owned(),
        revoked: false,
    };
    let (t1, t2) = (
        token("int_1", &org, "2026-01-01T00:00:00.000Z"),
        token("int_2", &org, "2026-01-02T00:00:00.000Z"),
    );
    let t3 = token("int_3", &other, AT);
    let mut tx = read(s).await;
    for t in [&t2, &t1, &t3] {
        tx.insert_integration_token(t).await.expect("insert");
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        read(s).await.integration_tokens(&org).await.expect("list"),
        [t1.clone(), t2.clone()]
    );
    assert_eq!(
        s.integration_token("hash_int_3").await.expect("get"),
        Some(t3)
    );
    assert_eq!(s.integration_token("hash_nope").await.expect("get"), None);
    let mut tx = read(s).await;
    assert!(
        !tx.revoke_integration_token(&other, "int_1")
            .await
            .expect("revoke"),
        "another org's token"
    );
    assert!(tx
        .revoke_integration_token(&org, "int_1")
        .await
        .expect("revoke"));
    tx.commit().await.expect("commit");
    let got = s
        .integration_token("hash_int_1")
        .await
        .expect("get")
        .expect("kept");
    assert!(got.revoked);
    let dup = token("int_4", &org, AT);
    let mut tx = read(s).await;
    assert!(is_constraint(
        tx.insert_integration_token(&IntegrationTokenRow {
            hash: t2.hash.clone(),
            ..dup
        })
        .await
    ));
}
