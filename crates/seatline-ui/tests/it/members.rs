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
    let page = admin.get(&format!("/ui/members/{alice}")).await;
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

    // Alice is an admin now: only the owner disables her; an admin disables members.
    let r = admin
        .post(
            "/ui/members",
            &format!("/ui/members/{alice}/status"),
            &[("status", "disabled")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    r.assert_has("only the owner");
    let bob = member_id(&w, "bob@acme.test").await;
    let r = admin
        .post(
            "/ui/members",
            &format!("/ui/members/{bob}/status"),
            &[("status", "disabled")],
        )
        .await;
    let page = admin.follow(&r).await;
    page.assert_has("bob@acme.test is now disabled.");
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
            &format!("/ui/members/{bob}/status"),
            &[("status", "active")],
        )
        .await;
    admin
        .follow(&r)
        .await
        .assert_has("bob@acme.test is now active.");
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

#[tokio::test]
async fn the_owner_transfers_ownership_after_confirming() {
    let w = World::new().await;
    let adam = member_id(&w, "adam@acme.test").await;
    let bob = member_id(&w, "bob@acme.test").await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let page = owner.get(&format!("/ui/members/{adam}")).await;
    page.assert_has(&format!("href=\"/ui/members/{adam}/transfer\""));

    // Only the owner is offered, or may take, the step.
    let mut admin = w.signed_in("adam@acme.test").await;
    assert!(!admin
        .get(&format!("/ui/members/{bob}"))
        .await
        .body
        .contains("/transfer\""));
    let r = admin.get(&format!("/ui/members/{bob}/transfer")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .post("/ui/members", &format!("/ui/members/{bob}/transfer"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A disabled member cannot be given ownership: said on the page, and refused if sent.
    owner
        .post(
            "/ui/members",
            &format!("/ui/members/{bob}/status"),
            &[("status", "disabled")],
        )
        .await;
    let page = owner.get(&format!("/ui/members/{bob}/transfer")).await;
    page.assert_has("bob@acme.test is disabled. Enable it first");
    let r = owner
        .post("/ui/members", &format!("/ui/members/{bob}/transfer"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    r.assert_has("role=\"alert\"");
    r.assert_has("bob@acme.test is disabled; enable it first");

    let page = owner.get(&format!("/ui/members/{adam}/transfer")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("Make adam@acme.test the owner?");
    page.assert_has("You become an admin.");
    let r = owner
        .post(
            &format!("/ui/members/{adam}/transfer"),
            &format!("/ui/members/{adam}/transfer"),
            &[],
        )
        .await;
    assert_eq!(r.location(), "/ui/members");
    owner
        .follow(&r)
        .await
        .assert_has("adam@acme.test is now the owner; you are an admin.");
    let op = seatline_app::Ctx::operator();
    let role = |email: &'static str| {
        let (app, org, op) = (w.app.clone(), w.org.clone(), op.clone());
        async move { app.member(&op, &org, email).await.unwrap().role }
    };
    assert_eq!(role("adam@acme.test").await, seatline_domain::Role::Owner);
    assert_eq!(role("owner@acme.test").await, seatline_domain::Role::Admin);
    // The former owner, now an admin, no longer sees the owner's steps.
    assert_eq!(
        owner
            .get(&format!("/ui/members/{bob}/transfer"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_owner_deletes_only_disabled_members_after_confirming() {
    let w = World::new().await;
    let alice = member_id(&w, "alice@acme.test").await;
    let mut owner = w.signed_in("owner@acme.test").await;
    // An active member is not offered for deletion, and the page says why.
    assert!(!owner
        .get(&format!("/ui/members/{alice}"))
        .await
        .body
        .contains(&format!("/ui/members/{alice}/delete")));
    let page = owner.get(&format!("/ui/members/{alice}/delete")).await;
    page.assert_has("alice@acme.test is active. Disable it first");
    let r = owner
        .post("/ui/members", &format!("/ui/members/{alice}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    r.assert_has("disable alice@acme.test before deleting it");

    // The owner itself cannot be deleted.
    let me = member_id(&w, "owner@acme.test").await;
    let r = owner
        .post("/ui/members", &format!("/ui/members/{me}/delete"), &[])
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    r.assert_has("the owner cannot be deleted");

    owner
        .post(
            "/ui/members",
            &format!("/ui/members/{alice}/status"),
            &[("status", "disabled")],
        )
        .await;
    owner
        .get(&format!("/ui/members/{alice}"))
        .await
        .assert_has(&format!("href=\"/ui/members/{alice}/delete\""));
    // Admins may disable but not delete.
    let mut admin = w.signed_in("adam@acme.test").await;
    let r = admin
        .post("/ui/members", &format!("/ui/members/{alice}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let page = owner.get(&format!("/ui/members/{alice}/delete")).await;
    page.assert_has("Delete alice@acme.test?");
    let r = owner
        .post(
            &format!("/ui/members/{alice}/delete"),
            &format!("/ui/members/{alice}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.location(), "/ui/members");
    let list = owner.follow(&r).await;
    list.assert_has("Deleted alice@acme.test.");
    assert!(!list.body.contains("data-email=\"alice@acme.test\""));
    let gone = w
        .app
        .member(&seatline_app::Ctx::operator(), &w.org, "alice@acme.test")
        .await;
    assert!(gone.is_err());
}

#[tokio::test]
async fn members_are_searched_by_email_or_name_and_paged() {
    let w = World::new().await;
    for i in 0..105 {
        w.app
            .create_member(
                &w.owner,
                &w.org,
                &format!("t{i:03}@acme.test"),
                &format!("Tester Number {i}"),
                "member",
            )
            .await
            .unwrap();
    }
    let mut b = w.signed_in("adam@acme.test").await;
    let rows = |body: &str| body.matches("<tr data-email=").count();

    let by_name = b.get("/ui/members?q=ALICE+agent").await;
    assert_eq!(by_name.status, StatusCode::OK);
    assert_eq!(rows(&by_name.body), 1, "{}", by_name.body);
    by_name.assert_has("data-email=\"alice@acme.test\"");
    by_name.assert_has("value=\"ALICE agent\"");

    let by_email = b.get("/ui/members?q=bob%40").await;
    assert_eq!(rows(&by_email.body), 1);
    by_email.assert_has("data-email=\"bob@acme.test\"");

    let none = b.get("/ui/members?q=zelda").await;
    assert_eq!(rows(&none.body), 0);
    none.assert_has("No member's email or name contains");

    // 105 testers: a page of 100, then the other 5, the search kept across pages.
    let first = b.get("/ui/members?q=tester").await;
    assert_eq!(rows(&first.body), 100);
    first.assert_has("data-email=\"t000@acme.test\"");
    first.assert_has("href=\"/ui/members?q=tester&amp;after=t099%40acme.test\"");
    let second = b.get("/ui/members?q=tester&after=t099%40acme.test").await;
    assert_eq!(rows(&second.body), 5, "{}", second.body);
    second.assert_has("data-email=\"t104@acme.test\"");
    assert!(!second.body.contains("rel=\"next\""));

    // Without a search, paging covers everyone: 109 members.
    let all = b.get("/ui/members").await;
    assert_eq!(rows(&all.body), 100);
    let next = all.body.split("rel=\"next\"").next().unwrap();
    let href = &next[next.rfind("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    assert_eq!(rows(&b.get(&href).await.body), 9);
}

#[tokio::test]
async fn members_list_says_in_words_what_each_member_needs() {
    let w = World::new().await;
    w.app.provision(&w.owner, &w.org, 1, "1001").await.unwrap();
    w.app
        .assign(&w.owner, &w.org, "1001", "alice@acme.test", false)
        .await
        .unwrap();
    let mut b = w.signed_in("adam@acme.test").await;
    let page = b.get("/ui/members").await;
    assert_eq!(page.status, StatusCode::OK);
    // Shown on the row itself, not only in a tooltip.
    page.assert_has(">needs: Contact Center license, a device<");
    page.assert_has(">needs: an extension<");
}
