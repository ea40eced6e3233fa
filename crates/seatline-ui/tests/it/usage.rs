//! Usage: cost and waste with the server-drawn chart, the findings with their kind filter and
//! CSV, "Review cleanup plan" → the plan page → apply, and a stale cleanup plan.

use axum::http::StatusCode;
use seatline_domain::lifecycle::SubscriptionUpdate;

use crate::World;

/// Prices, and one unassigned extension with Contact Center: three findings.
async fn priced(w: &World) {
    let op = seatline_app::Ctx::operator();
    for (code, price) in [("phone_system", "12.50"), ("license_center", "30")] {
        let req = SubscriptionUpdate {
            unit_price: Some(Some(price.parse().unwrap())),
            currency: Some(Some("EUR".parse().unwrap())),
            ..Default::default()
        };
        w.app
            .set_subscription(&op, &w.org, code, req)
            .await
            .unwrap();
    }
    w.app.provision(&w.owner, &w.org, 2, "1001").await.unwrap();
    w.app
        .assign(&w.owner, &w.org, "1001", "alice@acme.test", false)
        .await
        .unwrap();
    w.app
        .set_addons(&w.owner, &w.org, "1002", &["license_center".to_owned()])
        .await
        .unwrap();
}

#[tokio::test]
async fn usage_shows_the_waste_and_a_reviewed_cleanup_removes_it() {
    let w = World::new().await;
    priced(&w).await;
    let mut b = w.signed_in("adam@acme.test").await;
    let page = b.get("/ui/usage").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_has("href=\"/ui/usage\" aria-current=\"page\"");
    // 8 Phone System at 12.50 = 100.00, one productive: 87.50 wasted; 2 Contact Center at
    // 30 = 60.00, none productive.
    page.assert_has("160.00");
    page.assert_has("147.50");
    page.assert_has("<svg id=\"usage-chart\"");
    page.assert_has("87.50 of 100.00 wasted");
    page.assert_has("data-kind=\"extension_unassigned\"");
    page.assert_has("data-kind=\"addon_on_unassigned_extension\"");
    page.assert_has("data-kind=\"contact_center_not_ready\"");

    let only = b.get("/ui/usage?kind=contact_center_not_ready").await;
    assert!(!only.body.contains("data-kind=\"extension_unassigned\""));
    only.assert_has("data-kind=\"contact_center_not_ready\"");
    let bad = b.get("/ui/usage?kind=nonsense").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_has("is not a finding kind");
    let csv = b.get("/ui/usage/findings.csv").await;
    assert!(
        csv.body.starts_with("kind,extension,member,codes"),
        "{}",
        csv.body
    );

    // Review: only the Contact Center finding.
    let r = b
        .post(
            "/ui/usage",
            "/ui/usage/plan",
            &[("kinds", "contact_center_not_ready")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan_url = r.location().to_owned();
    assert!(plan_url.starts_with("/ui/bulk/plans/plan_"), "{plan_url}");
    let plan = b.get(&plan_url).await;
    plan.assert_has("Cleanup plan: 1 row");
    plan.assert_has("data-action=\"remove_addons\"");
    plan.assert_has("Seats freed");
    let r = b.post(&plan_url, &format!("{plan_url}/apply"), &[]).await;
    assert_eq!(r.location(), plan_url);
    let done = b.follow(&r).await;
    done.assert_has("Applied the cleanup plan: 1 seat freed.");
    done.assert_has("Cleanup plan applied");
    let after = b.get("/ui/usage").await;
    assert!(!after
        .body
        .contains("data-kind=\"contact_center_not_ready\""));
    after.assert_has("data-kind=\"extension_unassigned\"");

    // No kind chosen: the page says so.
    let r = b.post("/ui/usage", "/ui/usage/plan", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_has("name at least one finding kind");
}

#[tokio::test]
async fn a_stale_cleanup_plan_is_shown_and_not_applied() {
    let w = World::new().await;
    priced(&w).await;
    let mut b = w.signed_in("owner@acme.test").await;
    let r = b
        .post(
            "/ui/usage",
            "/ui/usage/plan",
            &[("kinds", "extension_unassigned")],
        )
        .await;
    let plan_url = r.location().to_owned();
    b.get(&plan_url)
        .await
        .assert_has("data-action=\"deprovision\"");
    // Meanwhile 1002 gets a member.
    w.app
        .assign(&w.owner, &w.org, "1002", "bob@acme.test", false)
        .await
        .unwrap();
    let r = b.post(&plan_url, &format!("{plan_url}/apply"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    r.assert_has("Out of date");
    r.assert_has("now held by bob@acme.test");
    assert!(w.app.extension(&w.owner, &w.org, "1002").await.is_ok());
}

#[tokio::test]
async fn members_do_not_see_usage() {
    let w = World::new().await;
    let mut b = w.signed_in("alice@acme.test").await;
    let r = b.get("/ui/usage").await;
    assert_ne!(r.status, StatusCode::OK);
    let me = b.get("/ui/me").await;
    assert!(!me.body.contains("href=\"/ui/usage\""));
}
