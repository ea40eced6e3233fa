//! First sign-in without a shell: the owner of an organization created by `POST
//! /api/v1/orgs` signs in from the answer's link alone, sets its first password on My seat,
//! and the link then says it is used; an owner makes a link for a member from its page.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use seatline_app::App;
use seatline_store::Store;
use tower::ServiceExt;

use crate::{csrf_of, ui, Browser, World};

const OPERATOR: &str = "operator token for the first sign-in test";

#[tokio::test]
async fn an_owner_created_by_the_api_signs_in_from_the_link_alone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("first.db").display());
    let store: Arc<dyn Store> =
        Arc::new(seatline_sqlite::SqliteStore::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let app = App::new(store);
    // The API and the UI on one server, as `seatline serve` runs them.
    let router = seatline_http::router(
        app.clone(),
        seatline_http::Config {
            operator_token: Some(OPERATOR.to_owned()),
            bench_baseline: false,
        },
    )
    .merge(ui(app.clone()));

    let req = Request::post("/api/v1/orgs")
        .header("authorization", format!("Bearer {OPERATOR}"))
        .header("content-type", "application/json")
        .header("host", "seatline.example.com")
        .body(Body::from(
            r#"{"name": "Fresh Org", "owner": {"email": "first@fresh.test"}}"#,
        ))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let created: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let link = created["owner_sign_in_link"]["url"].as_str().unwrap();
    let path = link
        .strip_prefix("http://seatline.example.com")
        .unwrap_or_else(|| panic!("{link}"))
        .to_owned();
    assert!(path.starts_with("/ui/sign-in/link/"), "{path}");

    let browser = || Browser {
        router: router.clone(),
        jar: HashMap::new(),
    };
    // A link preview fetches the page: that does not use the link.
    let mut preview = browser();
    let page = preview.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_has("Sign in as <strong>first@fresh.test</strong> in Fresh Org");
    let preview_csrf = csrf_of(&page.body);

    let mut owner = browser();
    assert_eq!(owner.get("/ui/licenses").await.location(), "/ui/sign-in");
    let r = owner.post(&path, &path, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/ui/");
    let home = owner.follow(&r).await;
    assert_eq!(home.location(), "/ui/licenses");
    let licenses = owner.follow(&home).await;
    assert_eq!(licenses.status, StatusCode::OK, "{}", licenses.body);
    licenses.assert_has("Signed in as first@fresh.test. You have no password yet");

    // My seat sets the first password without asking for a current one.
    let me = owner.get("/ui/me").await;
    me.assert_has("Set your password");
    assert!(!me.body.contains("name=\"current\""), "{}", me.body);
    let r = owner
        .post(
            "/ui/me",
            "/ui/me/password",
            &[("password", "my first password")],
        )
        .await;
    assert_eq!(r.location(), "/ui/me", "{}", r.body);
    assert_eq!(owner.get("/ui/licenses").await.status, StatusCode::OK);
    let r = browser()
        .sign_in("first@fresh.test", "my first password")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Used once: opening it again, or posting the preview's form, says so.
    let again = browser().get(&path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    again.assert_has("used already");
    again.assert_has("ask an owner or admin for a new one");
    let late = preview.post_raw(&path, &[("csrf", &preview_csrf)]).await;
    assert_eq!(late.status, StatusCode::NOT_FOUND);
    late.assert_has("used already");
}

#[tokio::test]
async fn an_owner_makes_a_link_for_a_member_from_its_page() {
    let w = World::new().await;
    let alice = w
        .app
        .member(&seatline_app::Ctx::operator(), &w.org, "alice@acme.test")
        .await
        .unwrap()
        .id;
    let owner_id = w
        .app
        .member(&seatline_app::Ctx::operator(), &w.org, "owner@acme.test")
        .await
        .unwrap()
        .id;
    let mut owner = w.signed_in("owner@acme.test").await;
    let page = format!("/ui/members/{alice}");
    assert!(owner.get(&page).await.body.contains("/sign-in-link"));
    // Not on its own page, nor an admin's on the owner's.
    let own = owner.get(&format!("/ui/members/{owner_id}")).await;
    assert!(!own.body.contains("/sign-in-link"), "{}", own.body);
    let mut admin = w.signed_in("adam@acme.test").await;
    let r = admin
        .post(&page, &format!("/ui/members/{owner_id}/sign-in-link"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Without the form's token nothing is made.
    let r = owner.post_raw(&format!("{page}/sign-in-link"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    let r = owner
        .post(&page, &format!("{page}/sign-in-link"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.assert_has("This is the only time the link is shown.");
    r.assert_has(" UTC</time>");
    let at = r.body.find("http://").unwrap();
    let url = &r.body[at..];
    let url = &url[..url.find('<').unwrap()];
    let path = url
        .strip_prefix("http://localhost")
        .unwrap_or(url)
        .to_owned();
    assert!(path.starts_with("/ui/sign-in/link/"), "{url}");
    assert_eq!(path.len(), "/ui/sign-in/link/".len() + 64, "{url}");

    // Alice has a password: the link signs her in and says nothing about setting one.
    let mut b = w.browser();
    let r = b.post(&path, &path, &[]).await;
    let home = b.follow(&r).await;
    assert_eq!(home.location(), "/ui/me");
    let me = b.follow(&home).await;
    me.assert_has("Signed in as alice@acme.test.");
    assert!(!me.body.contains("no password yet"), "{}", me.body);
    me.assert_has("Change your password");

    let audit = owner.get("/ui/audit").await;
    audit.assert_has("Sign-in link made");
    audit.assert_has("Signed in");
}

#[tokio::test]
async fn an_expired_link_says_so() {
    let w = World::new().await;
    let bob = w
        .app
        .member(&seatline_app::Ctx::operator(), &w.org, "bob@acme.test")
        .await
        .unwrap()
        .id;
    let token = "cd".repeat(32);
    let mut tx = w.app.store().lock(&w.org).await.unwrap().unwrap();
    tx.insert_sign_in_link(
        &w.org,
        &seatline_domain::MemberId(bob),
        &seatline_app::hash_secret(&token),
        "2020-01-01T00:00:00.000Z",
        "2020-01-02T00:00:00.000Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = w.browser().get(&format!("/ui/sign-in/link/{token}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.assert_has("older than 24 hours");
}
