//! Roles and CSRF: a member cannot reach admin pages, and no form works without its token.

use axum::http::StatusCode;

use crate::World;

#[tokio::test]
async fn a_member_sees_only_its_own_seat() {
    let w = World::new().await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let r = owner
        .post(
            "/ui/provision",
            "/ui/provision",
            &[("count", "2"), ("start", "1001")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = owner
        .post(
            "/ui/assign",
            "/ui/assign",
            &[("member", "alice@acme.test"), ("key", "1001")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let mut m = w.signed_in("alice@acme.test").await;
    for path in [
        "/ui/licenses",
        "/ui/provision",
        "/ui/assign",
        "/ui/extensions/1001",
        "/ui/members",
        "/ui/audit",
        "/ui/audit.csv",
    ] {
        let r = m.get(path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        r.assert_has("Not available to your role");
        assert!(!r.body.contains("bob@acme.test"), "{path} leaks members");
    }
    let me = m.get("/ui/me").await;
    assert_eq!(me.status, StatusCode::OK);
    me.assert_has("1001");
    me.assert_has("Agent");
    me.assert_has("Not ready");
    assert!(
        !me.body.contains("href=\"/ui/licenses\""),
        "no admin navigation"
    );
    assert!(!me.body.contains("bob@acme.test"));

    // Posting to an admin form with a valid token is refused too, and changes nothing.
    let r = m
        .post(
            "/ui/me",
            "/ui/provision",
            &[("count", "1"), ("start", "2001")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = m.post("/ui/me", "/ui/extensions/1001/unassign", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let ext = w
        .app
        .extension(&seatline_app::Ctx::operator(), &w.org, "1001")
        .await
        .unwrap();
    assert!(ext.member.is_some());
    assert!(w
        .app
        .extension(&seatline_app::Ctx::operator(), &w.org, "2001")
        .await
        .is_err());
}

#[tokio::test]
async fn forms_without_the_session_token_are_refused() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let missing = b
        .post_raw("/ui/provision", &[("count", "1"), ("start", "1001")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    missing.assert_has("This form has expired");
    let wrong = b
        .post_raw(
            "/ui/provision",
            &[("csrf", &"0".repeat(32)), ("count", "1"), ("start", "1001")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // Another session's token does not work either.
    let mut other = w.signed_in("adam@acme.test").await;
    let theirs = crate::csrf_of(&other.get("/ui/licenses").await.body);
    let r = b
        .post_raw(
            "/ui/provision",
            &[("csrf", &theirs), ("count", "1"), ("start", "1001")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post_raw(
            "/ui/members",
            &[("email", "x@acme.test"), ("role", "member")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.post_raw("/ui/sign-out", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(b.has_cookie("seatline_session"));
    let page = b.get("/ui/licenses").await;
    page.assert_has("No extensions yet.");
}

#[tokio::test]
async fn pages_send_security_headers_and_assets_are_embedded() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let r = b.get("/ui/licenses").await;
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers["cache-control"], "no-store");
    assert!(
        !r.body.contains("http://") && !r.body.contains("https://"),
        "no external assets"
    );
    let css = b.get("/ui/assets/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let js = b.get("/ui/assets/app.js").await;
    assert!(js.body.contains("provision-submit"));
}
