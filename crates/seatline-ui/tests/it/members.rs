//! The Members page: add, change role (owner only), disable/enable, initial passwords.

use axum::http::StatusCode;

use crate::{World, PASSWORD};

async fn member_id(w: &World, email: &str) -> String {
    w.app
        .member(&seatline_app::Ctx::operator(), &w.org, email)
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn members_list_shows_roles_status_and_contact_center_readiness() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let page = b.get("/ui/members").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "adam@acme.test",
        "Admin",
        "Supervisor",
        "Agent",
        "Not ready",
        "no extension",
    ] {
        page.assert_has(text);
    }
}

#[tokio::test]
async fn adding_a_member_and_its_errors() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let r = b
        .post(
            "/ui/members",
            "/ui/members",
            &[
                ("email", "carol@acme.test"),
                ("name", "Carol"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/ui/members");
    b.follow(&r)
        .await
        .assert_has("Added carol@acme.test as admin.");

    let dup = b
        .post(
            "/ui/members",
            "/ui/members",
            &[
                ("email", "CAROL@acme.test"),
                ("name", "Again"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    dup.assert_has("role=\"alert\"");
    dup.assert_has("value=\"CAROL@acme.test\"");

    let bad = b
        .post(
            "/ui/members",
            "/ui/members",
            &[("email", "not-an-email"), ("role", "member")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_has("is not a valid email address");

    // An admin may add members but not admins, and is not offered the choice.
    let mut admin = w.signed_in("adam@acme.test").await;
    let page = admin.get("/ui/members").await;
    assert!(!page.body.contains("<option value=\"admin\""));
    let r = admin
        .post(
            "/ui/members",
            "/ui/members",
            &[("email", "dan@acme.test"), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_owner_changes_roles_and_admins_disable_members() {
    let w = World::new().await;
    let alice = member_id(&w, "alice@acme.test").await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let r = owner
        .post(
            "/ui/members",
            &format!("/ui/members/{alice}/role"),
            &[("role", "admin")],
        )
        .await;
    owner
        .follow(&r)
        .await
        .assert_has("alice@acme.test is now admin.");

    let mut admin = w.signed_in("adam@acme.test").await;
    let page = admin.get("/ui/members").await;
    assert!(
        !page.body.contains("Change role"),
        "only the owner changes roles"
    );
    let r = admin
        .post(
            "/ui/members",
            &format!("/ui/members/{alice}/role"),
            &[("role", "member")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = admin
        .post(
            "/ui/members",
            &format!("/ui/members/{alice}/status"),
            &[("status", "disabled")],
        )
        .await;
    let page = admin.follow(&r).await;
    page.assert_has("alice@acme.test is now disabled.");
    page.assert_has("member is disabled");
    let owner_id = member_id(&w, "owner@acme.test").await;
    let r = admin
        .post(
            "/ui/members",
            &format!("/ui/members/{owner_id}/status"),
            &[("status", "disabled")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    r.assert_has("owner");
    let r = admin
        .post(
            "/ui/members",
            &format!("/ui/members/{alice}/status"),
            &[("status", "active")],
        )
        .await;
    admin
        .follow(&r)
        .await
        .assert_has("alice@acme.test is now active.");
}

#[tokio::test]
async fn the_owner_sets_an_initial_password_only_once() {
    let w = World::new().await;
    let bob = member_id(&w, "bob@acme.test").await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let path = format!("/ui/members/{bob}/password");
    let short = owner.post(&path, &path, &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = owner.post(&path, &path, &[("password", PASSWORD)]).await;
    owner
        .follow(&r)
        .await
        .assert_has("Set the initial password of bob@acme.test.");
    w.signed_in("bob@acme.test").await;
    let again = owner
        .post(&path, &path, &[("password", "another password")])
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    again.assert_has("already has a password");

    let mut admin = w.signed_in("adam@acme.test").await;
    assert_eq!(admin.get(&path).await.status, StatusCode::FORBIDDEN);
}
