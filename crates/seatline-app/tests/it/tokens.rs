//! Bearer tokens: shown once, stored only as a hash, and dead once the member is disabled.

use seatline_app::hash_secret;
use seatline_domain::permissions::Actor;
use seatline_domain::{ErrorCode, Role};

use crate::support::*;

#[tokio::test]
async fn a_token_authenticates_as_its_member_in_its_org() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let t = app.issue_token(&o.owner, &o.id, &o.admin_id).await.unwrap();
    assert_eq!(t.member_id, o.admin_id);
    let ctx = app.authenticate(&t.token).await.unwrap();
    assert_eq!(ctx.org.as_ref(), Some(&o.id));
    match ctx.actor {
        Actor::Member { id, role, .. } => assert_eq!((id.0, role), (o.admin_id, Role::Admin)),
        other => panic!("a member token authenticated as {other:?}"),
    }
}

#[tokio::test]
async fn a_disabled_members_token_stops_authenticating() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let t = app.issue_token(&op(), &o.id, &o.member_id).await.unwrap();
    assert!(app.authenticate(&t.token).await.is_ok());

    app.update_member(&o.admin, &o.id, &o.member_id, None, Some("disabled"))
        .await
        .unwrap();
    assert_eq!(
        code(app.authenticate(&t.token).await),
        ErrorCode::Unauthenticated
    );
    // Nor can a disabled member be given a new token.
    assert_eq!(
        code(app.issue_token(&op(), &o.id, &o.member_id).await),
        ErrorCode::MemberDisabled
    );

    // Deleting the member kills the token for good.
    app.delete_member(&o.owner, &o.id, &o.member_id)
        .await
        .unwrap();
    assert_eq!(
        code(app.authenticate(&t.token).await),
        ErrorCode::Unauthenticated
    );
}

/// Enabling a member again does not revive what it held before the disable: its tokens and
/// admin UI sessions stay dead; a new token works.
#[tokio::test]
async fn reenabling_does_not_revive_old_tokens_or_sessions() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let member = seatline_domain::MemberId(o.member_id.clone());
    let t = app.issue_token(&op(), &o.id, &o.member_id).await.unwrap();
    app.set_password(&op(), &o.id, &o.member_id, "a-long-password")
        .await
        .unwrap();
    let epoch = app.start_session(&o.id, &member).await.unwrap();
    assert!(app.session(&o.id, &member, epoch).await.is_ok());
    for status in ["disabled", "active"] {
        app.update_member(&o.admin, &o.id, &o.member_id, None, Some(status))
            .await
            .unwrap();
    }
    assert_eq!(
        code(app.authenticate(&t.token).await),
        ErrorCode::Unauthenticated
    );
    assert!(app.session(&o.id, &member, epoch).await.is_err());
    let fresh = app.issue_token(&op(), &o.id, &o.member_id).await.unwrap();
    assert!(app.authenticate(&fresh.token).await.is_ok());
}

#[tokio::test]
async fn revoked_and_unknown_tokens_do_not_authenticate() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let t = app
        .issue_token(&o.member, &o.id, &o.member_id)
        .await
        .unwrap();
    let other = app
        .issue_token(&o.member, &o.id, &o.member_id)
        .await
        .unwrap();
    app.revoke_token(&o.member, &o.id, &o.member_id, &t.id)
        .await
        .unwrap();
    assert_eq!(
        code(app.authenticate(&t.token).await),
        ErrorCode::Unauthenticated
    );
    assert!(
        app.authenticate(&other.token).await.is_ok(),
        "only that token is revoked"
    );
    for bogus in ["", "stl_0000", &t.token[..t.token.len() - 1]] {
        assert_eq!(
            code(app.authenticate(bogus).await),
            ErrorCode::Unauthenticated
        );
    }
    // The hash itself is not a credential.
    assert_eq!(
        code(app.authenticate(&hash_secret(&other.token)).await),
        ErrorCode::Unauthenticated
    );
}

#[tokio::test]
async fn tokens_are_stored_only_hashed() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let t = app
        .issue_token(&o.owner, &o.id, &o.member_id)
        .await
        .unwrap();
    assert!(t.token.len() >= 32, "a guessable secret: {}", t.token);

    // Everything SQLite wrote: the database file and its WAL.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(w.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        // The `-boots/` folder holds this process's liveness lock file, no data.
        if path.is_file() {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(w.path.exists());
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains(&hash_secret(&t.token)),
        "the hash is where the data lives"
    );
    assert!(!contains(&t.token), "the secret itself is in the database");
    // Not even the random part without its prefix.
    assert!(!contains(t.token.trim_start_matches("stl_")));
}
