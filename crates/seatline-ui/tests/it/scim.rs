//! SCIM settings: the owner sees the URL to paste into Entra ID or Okta, creates a token whose
//! secret is shown once, and revokes it; admins and members do not reach the page.

use axum::http::StatusCode;

use crate::World;

#[tokio::test]
async fn the_owner_creates_and_revokes_scim_tokens() {
    let w = World::new().await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let page = owner.get("/ui/scim").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("/scim/v2");
    page.assert_has("No SCIM token yet.");
    page.assert_has("href=\"/ui/scim\"");

    let r = owner
        .post("/ui/scim", "/ui/scim/tokens", &[("name", "Entra ID")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.assert_has("Token Entra ID created");
    let secret = r
        .body
        .split("id=\"scim-token-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the secret is on the page")
        .to_owned();
    assert!(secret.starts_with("scim_"), "{secret}");
    assert!(
        !r.headers.contains_key("set-cookie")
            || !r.headers["set-cookie"].to_str().unwrap().contains(&secret),
        "the secret never travels in a cookie"
    );
    assert!(w.app.scim_authenticate(&secret).await.is_ok());

    // Shown once: the page lists the token, never its secret again.
    let page = owner.get("/ui/scim").await;
    page.assert_has("Entra ID");
    assert!(!page.body.contains(&secret));
    let id = page
        .body
        .split("action=\"/ui/scim/tokens/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a revoke form")
        .to_owned();
    let r = owner
        .post("/ui/scim", &format!("/ui/scim/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.follow(&r).await;
    page.assert_has("is revoked");
    page.assert_has("revoked");
    assert!(w.app.scim_authenticate(&secret).await.is_err());

    for who in ["adam@acme.test", "alice@acme.test"] {
        let mut b = w.signed_in(who).await;
        let r = b.get("/ui/scim").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert!(
            !r.body.contains("href=\"/ui/scim\""),
            "no SCIM entry for {who}"
        );
    }
}

#[tokio::test]
async fn the_scim_page_links_a_setup_guide_served_by_seatline() {
    let w = World::new().await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let page = owner.get("/ui/scim").await;
    page.assert_has("href=\"/ui/docs/scim\"");
    assert!(
        !page.body.contains("README"),
        "a hosted admin has no README"
    );

    // The guide needs no account: whoever connects the identity provider may read it.
    let guide = w.browser().get("/ui/docs/scim").await;
    assert_eq!(guide.status, StatusCode::OK, "{}", guide.body);
    for text in [
        "Entra ID",
        "Okta",
        "http://localhost/scim/v2",
        "/ui/scim",
        "userName",
        "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:phoneSystem",
        "deviceMobileApp",
        "phoneNumber",
        "Groups",
        "teams",
    ] {
        guide.assert_has(text);
    }
}

/// The SCIM page shows the base URL the SCIM API itself uses in `meta.location`: one
/// function computes both, behind a proxy and without one.
#[tokio::test]
async fn the_scim_page_shows_the_base_url_the_scim_api_uses() {
    use axum::body::Body;
    use axum::http::Request;

    let w = World::new().await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let plain = owner.get("/ui/scim").await;
    plain.assert_has(">http://localhost/scim/v2<");
    let proxied = owner
        .send(
            Request::get("/ui/scim")
                .header("host", "10.0.0.7:8080")
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-host", "seatline.example.com, inner")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    proxied.assert_has(">https://seatline.example.com/scim/v2<");
    // The function the SCIM API writes `meta.location` with.
    let api = seatline_app::scim_url::base_url(|name| match name {
        "x-forwarded-proto" => Some("https"),
        "x-forwarded-host" => Some("seatline.example.com, inner"),
        "host" => Some("10.0.0.7:8080"),
        _ => None,
    });
    assert_eq!(api, "https://seatline.example.com/scim/v2");
    assert_eq!(
        seatline_app::scim_url::base_url(|_| None),
        "http://localhost/scim/v2"
    );
}
