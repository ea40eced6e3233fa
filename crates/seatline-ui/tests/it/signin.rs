//! Sign-in, the organization picker, sessions and sign-out.

use axum::http::StatusCode;
use seatline_app::Ctx;
use seatline_domain::OrgId;

use crate::{World, PASSWORD};

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_starts_no_session() {
    let w = World::new().await;
    let mut b = w.browser();
    let r = b.sign_in("owner@acme.test", "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    r.assert_has("do not match an active member");
    r.assert_has("value=\"owner@acme.test\"");
    assert!(!b.has_cookie("seatline_session"));
    let r = b.sign_in("nobody@acme.test", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A member without a password cannot sign in at all.
    let r = b.sign_in("bob@acme.test", "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_in_leads_an_admin_to_licenses_and_a_member_to_its_seat() {
    let w = World::new().await;
    let mut b = w.browser();
    let r = b.sign_in("OWNER@acme.test", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set: Vec<_> = r.headers.get_all("set-cookie").iter().collect();
    let session = set
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("seatline_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    let home = b.follow(&r).await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/ui/licenses");
    let page = b.follow(&home).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("Acme Support");
    page.assert_has("owner@acme.test");

    let mut m = w.signed_in("alice@acme.test").await;
    let home = m.get("/ui/").await;
    assert_eq!(home.location(), "/ui/me");
}

#[tokio::test]
async fn the_sign_in_form_needs_its_token() {
    let w = World::new().await;
    let mut b = w.browser();
    let r = b
        .post_raw(
            "/ui/sign-in",
            &[("email", "owner@acme.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    r.assert_has("This form has expired");
    assert!(!b.has_cookie("seatline_session"));
}

#[tokio::test]
async fn pages_need_a_session_and_sign_out_ends_it() {
    let w = World::new().await;
    let mut anon = w.browser();
    for path in ["/ui/licenses", "/ui/members", "/ui/audit", "/ui/me"] {
        let r = anon.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location(), "/ui/sign-in", "{path}");
    }
    let mut b = w.signed_in("owner@acme.test").await;
    assert_eq!(b.get("/ui/licenses").await.status, StatusCode::OK);
    let r = b.post("/ui/licenses", "/ui/sign-out", &[]).await;
    assert_eq!(r.location(), "/ui/sign-in");
    assert!(!b.has_cookie("seatline_session"));
    let page = b.follow(&r).await;
    page.assert_has("You are signed out.");
    assert_eq!(b.get("/ui/licenses").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_forged_session_cookie_is_refused() {
    let w = World::new().await;
    let mut b = w.browser();
    let forged = format!("{}|mem_x|0|{}|99999999999.00ff", w.org, "0".repeat(32));
    let r = b
        .send(
            axum::http::Request::get("/ui/licenses")
                .header("cookie", format!("seatline_session={forged}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/ui/sign-in");
}

#[tokio::test]
async fn a_disabled_member_is_signed_out_at_once() {
    let w = World::new().await;
    let mut b = w.signed_in("adam@acme.test").await;
    assert_eq!(b.get("/ui/licenses").await.status, StatusCode::OK);
    w.app
        .update_member(&w.owner, &w.org, "adam@acme.test", None, Some("disabled"))
        .await
        .unwrap();
    let r = b.get("/ui/licenses").await;
    assert_eq!(r.location(), "/ui/sign-in");
    assert!(!b.has_cookie("seatline_session"));
    assert_eq!(
        w.browser().sign_in("adam@acme.test", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn one_person_in_two_organizations_picks_one() {
    let w = World::new().await;
    let op = Ctx::operator();
    let other = w
        .app
        .create_org(&op, "Beta Sales", "owner@acme.test", "Olive")
        .await
        .unwrap();
    let other = OrgId(other.id);
    w.app
        .set_password(&op, &other, "owner@acme.test", PASSWORD)
        .await
        .unwrap();
    let mut b = w.browser();
    let r = b.sign_in("owner@acme.test", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_has("Choose an organization");
    r.assert_has("Acme Support");
    r.assert_has("Beta Sales");
    assert!(!b.has_cookie("seatline_session"));
    // Only an organization the password matched can be chosen.
    let token = crate::csrf_of(&r.body);
    let bad = b
        .post_raw(
            "/ui/sign-in/choose",
            &[("csrf", &token), ("org", "org_not_matched")],
        )
        .await;
    assert_eq!(bad.location(), "/ui/sign-in");
    assert!(!b.has_cookie("seatline_session"));
    let ok = b
        .post_raw(
            "/ui/sign-in/choose",
            &[("csrf", &token), ("org", other.as_str())],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = b.get("/ui/licenses").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("Beta Sales");
}

#[tokio::test]
async fn a_member_changes_its_own_password_knowing_the_current_one() {
    let w = World::new().await;
    let mut b = w.signed_in("alice@acme.test").await;
    let wrong = b
        .post(
            "/ui/me",
            "/ui/me/password",
            &[
                ("current", "wrong password"),
                ("password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_has("the current password is not right");
    let short = b
        .post(
            "/ui/me",
            "/ui/me/password",
            &[("current", PASSWORD), ("password", "short")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    short.assert_has("10 to 200 characters");
    let ok = b
        .post(
            "/ui/me",
            "/ui/me/password",
            &[("current", PASSWORD), ("password", "a brand new secret")],
        )
        .await;
    assert_eq!(ok.location(), "/ui/me");
    b.follow(&ok).await.assert_has("Your password is changed.");
    assert_eq!(
        w.browser()
            .sign_in("alice@acme.test", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = w
        .browser()
        .sign_in("alice@acme.test", "a brand new secret")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn ten_failures_hold_off_that_email_even_with_the_right_password() {
    let w = World::new().await;
    let mut b = w.browser();
    for _ in 0..10 {
        let r = b.sign_in("adam@acme.test", "guess guess guess").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = b.sign_in("ADAM@acme.test", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    r.assert_has("Too many failed sign-ins");
    assert!(!b.has_cookie("seatline_session"));
    // Other people are not held off.
    assert_eq!(
        b.sign_in("owner@acme.test", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

/// Whether a browser's session is honoured: it gets the page, not a redirect to sign in.
async fn signed_in(b: &mut crate::Browser, path: &str) -> bool {
    let r = b.get(path).await;
    match r.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER if r.location() == "/ui/sign-in" => false,
        other => panic!("{path} answered {other}: {}", r.body),
    }
}

#[tokio::test]
async fn a_copied_cookie_stops_working_after_sign_out_in_every_process() {
    let w = World::new().await;
    let other = w.other_process().await;
    let mut b = w.signed_in("adam@acme.test").await;
    let mut stolen = b.copy_to(&w.router);
    let mut stolen_elsewhere = b.copy_to(&other);
    let mut second_sign_in = w.signed_in("adam@acme.test").await;
    assert!(signed_in(&mut stolen, "/ui/licenses").await);
    assert!(signed_in(&mut stolen_elsewhere, "/ui/licenses").await);

    let r = b.post("/ui/licenses", "/ui/sign-out", &[]).await;
    assert_eq!(r.location(), "/ui/sign-in");
    assert!(!signed_in(&mut stolen, "/ui/licenses").await);
    assert!(!signed_in(&mut stolen_elsewhere, "/ui/licenses").await);
    assert!(
        !signed_in(&mut second_sign_in, "/ui/members").await,
        "sign-out ends every session of the member"
    );
    // A form posted with the old cookie is refused too, before it does anything.
    let mut replay = b.copy_to(&w.router);
    let r = replay
        .post_raw(
            "/ui/members",
            &[
                ("csrf", "0"),
                ("email", "eve@acme.test"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/ui/sign-in");

    // Signing in again starts a fresh session that works in both processes.
    let mut again = w.signed_in("adam@acme.test").await;
    assert!(signed_in(&mut again, "/ui/licenses").await);
    assert!(signed_in(&mut again.copy_to(&other), "/ui/licenses").await);
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_and_keeps_the_changers() {
    let w = World::new().await;
    let mut b = w.signed_in("alice@acme.test").await;
    let mut stolen = b.copy_to(&w.router);
    let ok = b
        .post(
            "/ui/me",
            "/ui/me/password",
            &[("current", PASSWORD), ("password", "a brand new secret")],
        )
        .await;
    assert_eq!(ok.location(), "/ui/me");
    b.follow(&ok)
        .await
        .assert_has("Other sign-ins of yours have ended.");
    assert!(!signed_in(&mut stolen, "/ui/me").await);
    assert!(signed_in(&mut b, "/ui/me").await, "the changer stays in");

    // A password set outside the UI (the operator's CLI) ends the UI sessions too.
    let mut adam = w.signed_in("adam@acme.test").await;
    w.app
        .set_password(
            &seatline_app::Ctx::operator(),
            &w.org,
            "adam@acme.test",
            "set by the operator",
        )
        .await
        .unwrap();
    assert!(!signed_in(&mut adam, "/ui/licenses").await);
}
