//! One-time sign-in links: who may make one for whom, single use (two tabs racing
//! included), expiry, the disabled, the new owner's link from organization creation, and the
//! audit log (who and until when, never the secret).

use seatline_app::hash_secret;
use seatline_domain::{ErrorCode, MemberId};

use crate::support::*;

#[tokio::test]
async fn owners_and_admins_make_links_for_those_below_them_only() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    // The owner: anyone but itself.
    assert!(app.sign_in_link(&o.owner, &o.id, &o.admin_id).await.is_ok());
    assert!(app
        .sign_in_link(&o.owner, &o.id, &o.member_id)
        .await
        .is_ok());
    let e = app
        .sign_in_link(&o.owner, &o.id, &o.owner_id)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::Forbidden));
    assert!(e.to_string().contains("My seat"), "{e}");
    // An admin: members only, not itself, not the owner.
    assert!(app
        .sign_in_link(&o.admin, &o.id, &o.member_id)
        .await
        .is_ok());
    for target in [&o.admin_id, &o.owner_id] {
        assert_eq!(
            code(app.sign_in_link(&o.admin, &o.id, target).await),
            ErrorCode::Forbidden
        );
    }
    // A member: nobody. The operator: only by creating the organization.
    for target in [&o.member_id, &o.admin_id] {
        assert_eq!(
            code(app.sign_in_link(&o.member, &o.id, target).await),
            ErrorCode::Forbidden
        );
    }
    assert_eq!(
        code(app.sign_in_link(&op(), &o.id, &o.member_id).await),
        ErrorCode::Forbidden
    );
    // Another organization's member is not found.
    let other = org(app, "other").await;
    assert_eq!(
        code(app.sign_in_link(&o.owner, &o.id, &other.member_id).await),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn a_disabled_member_gets_no_link_and_its_link_stops_working() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let link = app
        .sign_in_link(&o.owner, &o.id, &o.member_id)
        .await
        .unwrap();
    app.update_member(&o.owner, &o.id, &o.member_id, None, Some("disabled"))
        .await
        .unwrap();
    let e = app
        .sign_in_link(&o.owner, &o.id, &o.member_id)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::MemberDisabled));
    assert!(e.to_string().contains("enable it first"), "{e}");
    assert_eq!(
        code(app.sign_in_link_holder(&link.token).await),
        ErrorCode::SignInLinkInvalid
    );
    assert_eq!(
        code(app.use_sign_in_link(&link.token).await),
        ErrorCode::SignInLinkInvalid
    );
    // Enabling the member again does not revive the link: it was used up by the attempt.
    app.update_member(&o.owner, &o.id, &o.member_id, None, Some("active"))
        .await
        .unwrap();
    assert_eq!(
        code(app.use_sign_in_link(&link.token).await),
        ErrorCode::SignInLinkInvalid
    );
}

#[tokio::test]
async fn a_link_signs_in_once() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let link = app
        .sign_in_link(&o.owner, &o.id, &o.member_id)
        .await
        .unwrap();
    let holder = app.sign_in_link_holder(&link.token).await.unwrap();
    assert_eq!(holder.member.id.as_str(), o.member_id);
    assert_eq!(holder.org_name, "acme");
    let used = app.use_sign_in_link(&link.token).await.unwrap();
    assert_eq!(used.member.id.as_str(), o.member_id);
    assert_eq!(used.org, o.id);
    assert!(!used.has_password);
    // The epoch it answers starts a valid session.
    let ctx = app
        .session(&o.id, &MemberId(o.member_id.clone()), used.epoch)
        .await
        .unwrap();
    assert_eq!(ctx.member().map(|m| m.as_str()), Some(o.member_id.as_str()));

    assert_eq!(
        code(app.use_sign_in_link(&link.token).await),
        ErrorCode::SignInLinkInvalid
    );
    assert_eq!(
        code(app.sign_in_link_holder(&link.token).await),
        ErrorCode::SignInLinkInvalid
    );
    assert_eq!(
        code(app.use_sign_in_link("never-made").await),
        ErrorCode::SignInLinkInvalid
    );
}

/// Two tabs (or a link opened twice) using one link at once: exactly one signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_uses_one_wins() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    for _ in 0..5 {
        let link = app
            .sign_in_link(&o.owner, &o.id, &o.member_id)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            tokio::spawn({
                let (app, t) = (app.clone(), link.token.clone());
                async move { app.use_sign_in_link(&t).await }
            }),
            tokio::spawn({
                let (app, t) = (app.clone(), link.token.clone());
                async move { app.use_sign_in_link(&t).await }
            }),
        );
        let results = [a.unwrap(), b.unwrap()];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        for r in results.into_iter().filter(|r| r.is_err()) {
            assert_eq!(code(r), ErrorCode::SignInLinkInvalid);
        }
    }
    let signed_in = audit_log(app, &o.id)
        .await
        .into_iter()
        .filter(|e| e.action == "member.sign_in")
        .count();
    assert_eq!(signed_in, 5, "one sign-in audited per link");
}

/// No clock seam in the app: an expired link is written through the store, as the app
/// would have stored it 24 hours ago.
#[tokio::test]
async fn an_expired_link_does_not_work_and_is_gone_once_tried() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let token = "an-expired-link-secret";
    let hash = hash_secret(token);
    let mut tx = app.store().lock(&o.id).await.unwrap().unwrap();
    tx.insert_sign_in_link(
        &o.id,
        &MemberId(o.member_id.clone()),
        &hash,
        "2026-01-01T00:00:00.000Z",
        "2026-01-02T00:00:00.000Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(app.store().sign_in_link(&hash).await.unwrap().is_some());
    assert_eq!(
        code(app.sign_in_link_holder(token).await),
        ErrorCode::SignInLinkInvalid
    );
    let e = app.use_sign_in_link(token).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::SignInLinkInvalid));
    assert!(e.to_string().contains("older than 24 hours"), "{e}");
    assert_eq!(app.store().sign_in_link(&hash).await.unwrap(), None);
    assert!(audit_log(app, &o.id)
        .await
        .iter()
        .all(|e| e.action != "member.sign_in"));
}

#[tokio::test]
async fn a_newer_link_replaces_the_older_one() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let first = app
        .sign_in_link(&o.owner, &o.id, &o.member_id)
        .await
        .unwrap();
    let second = app
        .sign_in_link(&o.admin, &o.id, &o.member_id)
        .await
        .unwrap();
    assert_eq!(
        code(app.use_sign_in_link(&first.token).await),
        ErrorCode::SignInLinkInvalid
    );
    assert!(app.use_sign_in_link(&second.token).await.is_ok());
}

/// Unlike a reset link, a sign-in link leaves the password and the sessions alone.
#[tokio::test]
async fn a_link_keeps_the_password_and_the_sessions() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let member = MemberId(o.member_id.clone());
    app.set_password(&o.owner, &o.id, &o.member_id, "a first password")
        .await
        .unwrap();
    let epoch = app.start_session(&o.id, &member).await.unwrap();
    let link = app
        .sign_in_link(&o.owner, &o.id, &o.member_id)
        .await
        .unwrap();
    assert!(app.session(&o.id, &member, epoch).await.is_ok());
    let used = app.use_sign_in_link(&link.token).await.unwrap();
    assert!(used.has_password);
    assert_eq!(used.epoch, epoch, "the earlier session still works");
    assert!(app.session(&o.id, &member, epoch).await.is_ok());
    assert_eq!(
        app.sign_in("member@acme.example", "a first password")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_new_owner_signs_in_with_the_link_of_its_organization() {
    let w = world().await;
    let app = &w.app;
    let created = app
        .create_org(&op(), "fresh", "owner@fresh.example", "Owner")
        .await
        .unwrap();
    let link = &created.owner_link;
    assert_eq!(link.member.id.as_str(), created.owner.id);
    let used = app.use_sign_in_link(&link.token).await.unwrap();
    assert_eq!(used.org.as_str(), created.id);
    assert_eq!(used.member.id.as_str(), created.owner.id);
    assert!(!used.has_password);
    // The organization's creation audited the link with it, by the operator.
    let org = used.org.clone();
    let log = audit_log(app, &org).await;
    let made = log
        .iter()
        .find(|e| e.action == "member.sign_in_link")
        .expect("the link is audited");
    assert_eq!(made.actor, "operator");
    assert_eq!(made.target, format!("member:{}", created.owner.id));
}

#[tokio::test]
async fn the_audit_log_says_who_and_until_when_never_the_secret() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let link = app
        .sign_in_link(&o.admin, &o.id, &o.member_id)
        .await
        .unwrap();
    app.use_sign_in_link(&link.token).await.unwrap();
    let log = audit_log(app, &o.id).await;
    let made = log
        .iter()
        .find(|e| e.action == "member.sign_in_link" && e.actor == format!("member:{}", o.admin_id))
        .expect("made");
    assert_eq!(made.target, format!("member:{}", o.member_id));
    assert_eq!(made.after["link_expires_at"], link.expires_at.as_str());
    let used = log
        .iter()
        .find(|e| e.action == "member.sign_in")
        .expect("used");
    assert_eq!(used.actor, format!("member:{}", o.member_id));
    assert_eq!(used.after, serde_json::json!({"via": "link"}));
    let all = serde_json::to_string(&log).unwrap();
    assert!(!all.contains(&link.token), "the secret is never audited");
    assert!(!all.contains(&hash_secret(&link.token)));
}

/// The shell on the server may make a link for the owner itself, audited as the operator.
#[tokio::test]
async fn the_server_makes_a_link_for_anyone_active() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let link = app
        .sign_in_link_on_server(&o.id, "owner@acme.example")
        .await
        .unwrap();
    assert_eq!(link.member.id.as_str(), o.owner_id);
    assert!(app.use_sign_in_link(&link.token).await.is_ok());
    app.update_member(&o.owner, &o.id, &o.member_id, None, Some("disabled"))
        .await
        .unwrap();
    assert_eq!(
        code(app.sign_in_link_on_server(&o.id, &o.member_id).await),
        ErrorCode::MemberDisabled
    );
}
