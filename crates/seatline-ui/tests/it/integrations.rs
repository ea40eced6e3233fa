//! Integration tokens: the owner lists, creates (the token shown once) and revokes them from
//! a page linked in the navigation's settings menu; admins and members do not reach it.

use axum::http::StatusCode;

use crate::World;

#[tokio::test]
async fn the_owner_creates_lists_and_revokes_integration_tokens() {
    let w = World::new().await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let licenses = owner.get("/ui/licenses").await;
    licenses.assert_has("href=\"/ui/integration-tokens\"");
    let page = owner.get("/ui/integration-tokens").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_has("No integration token yet.");

    // A name is required; the error names the field and the draft is empty again.
    let bad = owner
        .post(
            "/ui/integration-tokens",
            "/ui/integration-tokens",
            &[("name", "  ")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    bad.assert_has("Could not save:");
    bad.assert_has("name must be 1 to 200 characters");

    let r = owner
        .post(
            "/ui/integration-tokens",
            "/ui/integration-tokens",
            &[("name", "PBX")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.assert_has("Token PBX created");
    let secret = r
        .body
        .split("id=\"integration-token-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the token is on the page")
        .to_owned();
    assert!(secret.starts_with("stli_"), "{secret}");
    assert!(
        r.headers
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().contains(&secret)),
        "the token never travels in a cookie"
    );
    assert!(w.app.authenticate(&secret).await.is_ok());

    // Shown once: the list names the token, never its secret again.
    let page = owner.get("/ui/integration-tokens").await;
    page.assert_has("PBX");
    page.assert_has("Active");
    assert!(!page.body.contains(&secret));
    let id = page
        .body
        .split("action=\"/ui/integration-tokens/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a revoke form")
        .to_owned();
    let r = owner
        .post(
            "/ui/integration-tokens",
            &format!("/ui/integration-tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.follow(&r).await;
    page.assert_has("is revoked");
    page.assert_has("Revoked");
    assert!(w.app.authenticate(&secret).await.is_err());

    for who in ["adam@acme.test", "alice@acme.test"] {
        let mut b = w.signed_in(who).await;
        let r = b.get("/ui/integration-tokens").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert!(
            !r.body.contains("href=\"/ui/integration-tokens\""),
            "no entry for {who}"
        );
    }
}
