//! The Webhooks page: an endpoint's URL, types and description are edited, its secret rotated
//! (the new one shown once) and the endpoint deleted after a confirmation.

use axum::http::StatusCode;

use crate::{Browser, World};

/// Add an endpoint from the page and answer its id.
async fn add(b: &mut Browser, url: &str) -> String {
    let r = b
        .post(
            "/ui/webhooks",
            "/ui/webhooks",
            &[("url", url), ("types", ""), ("description", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .split("href=\"/ui/webhooks/wh")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|rest| format!("wh{rest}"))
        .expect("the endpoint is listed")
}

#[tokio::test]
async fn an_endpoint_is_edited_and_its_secret_rotated() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let id = add(&mut b, "https://93.184.216.34/hook").await;
    let page = format!("/ui/webhooks/{id}");
    let form = b.get(&page).await;
    form.assert_has(&format!("action=\"/ui/webhooks/{id}/edit\""));
    form.assert_has("value=\"https://93.184.216.34/hook\"");

    let r = b
        .post(
            &page,
            &format!("/ui/webhooks/{id}/edit"),
            &[
                ("url", "https://93.184.216.35/new"),
                ("types", "member.*, extension.provisioned"),
                ("description", "The PBX"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    b.follow(&r)
        .await
        .assert_has("Saved https://93.184.216.35/new.");
    let v = w.app.webhook(&w.owner, &w.org, &id).await.unwrap();
    assert_eq!(v.url, "https://93.184.216.35/new");
    assert_eq!(v.types, ["member.*", "extension.provisioned"]);
    assert_eq!(v.description, "The PBX");

    // A bad value names the field, keeps what was typed and changes nothing.
    let bad = b
        .post(
            &page,
            &format!("/ui/webhooks/{id}/edit"),
            &[("url", "ftp://x.test/"), ("types", ""), ("description", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    bad.assert_has("Could not save:");
    bad.assert_has("value=\"ftp://x.test/\"");
    let v = w.app.webhook(&w.owner, &w.org, &id).await.unwrap();
    assert_eq!(v.url, "https://93.184.216.35/new");

    let r = b
        .post(&page, &format!("/ui/webhooks/{id}/rotate"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.assert_has("New signing secret");
    let secret = r
        .body
        .split("id=\"rotated-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new secret is on the page")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let again = b.get(&page).await;
    assert!(!again.body.contains(&secret), "shown once");
    again.assert_has("Previous secret signs until");
}

#[tokio::test]
async fn an_endpoint_is_deleted_after_confirmation() {
    let w = World::new().await;
    let mut b = w.signed_in("adam@acme.test").await;
    let id = add(&mut b, "https://93.184.216.34/hook").await;
    let confirm = b.get(&format!("/ui/webhooks/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    confirm.assert_has("Delete https://93.184.216.34/hook?");
    confirm.assert_has(&format!("action=\"/ui/webhooks/{id}/delete\""));
    // The endpoint is still there until the confirmation is posted.
    assert!(w.app.webhook(&w.owner, &w.org, &id).await.is_ok());

    let r = b
        .post(
            &format!("/ui/webhooks/{id}/delete"),
            &format!("/ui/webhooks/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = b.follow(&r).await;
    list.assert_has("Deleted https://93.184.216.34/hook");
    list.assert_has("No endpoints yet.");
    assert!(w.app.webhook(&w.owner, &w.org, &id).await.is_err());

    // Members do not reach it.
    let mut alice = w.signed_in("alice@acme.test").await;
    let r = alice.get(&format!("/ui/webhooks/{id}/delete")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
