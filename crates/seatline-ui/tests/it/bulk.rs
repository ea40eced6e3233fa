//! Bulk Assignment: sample, upload, plan preview with row errors, apply, result, export.

use axum::http::StatusCode;

use crate::World;

const BAD: &str = "Ext key,Number,User,Addon license,Addon license\r\n\
2001,,alice@acme.test,license_center,device_web_rtc\r\n\
2002,,bob@acme.test,device_fax,\r\n";

const GOOD: &str = "Ext key,Number,User,Addon license,Addon license\r\n\
2001,,alice@acme.test,license_center,device_web_rtc\r\n\
2002,,bob@acme.test,device_mobile_app,\r\n";

#[tokio::test]
async fn a_bad_row_is_shown_with_its_column_then_the_fixed_file_applies() {
    let w = World::new().await;
    let mut b = w.signed_in("adam@acme.test").await;
    let page = b.get("/ui/bulk").await;
    page.assert_has("Download sample");
    page.assert_has("license_dnc_checking_enabled");

    let sample = b.get("/ui/bulk/sample.csv").await;
    assert_eq!(sample.status, StatusCode::OK);
    assert!(sample
        .body
        .starts_with("Ext key,Number,User,Addon license,Addon license"));
    assert!(sample.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));

    let r = b
        .upload("/ui/bulk", "/ui/bulk/plans", "bad.csv", BAD.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan_url = r.location().to_owned();
    let plan = b.get(&plan_url).await;
    plan.assert_has("Has errors");
    plan.assert_has("id=\"apply-submit\" type=\"submit\" disabled");
    let bad_row = crate::firstuse::row_of(&plan.body, "data-row=\"3\"");
    assert!(bad_row.contains("row-bad"), "{bad_row}");
    assert!(
        bad_row.contains("Addon license") && bad_row.contains("device_fax"),
        "{bad_row}"
    );
    let good_row = crate::firstuse::row_of(&plan.body, "data-row=\"2\"");
    assert!(!good_row.contains("row-bad"), "{good_row}");

    // Applying an invalid plan anyway is refused and changes nothing.
    let refused = b.post(&plan_url, &format!("{plan_url}/apply"), &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    refused.assert_has("cannot be applied");

    let r = b
        .upload(&plan_url, "/ui/bulk/plans", "good.csv", GOOD.as_bytes())
        .await;
    let plan_url = r.location().to_owned();
    let plan = b.get(&plan_url).await;
    plan.assert_has("Ready to apply");
    plan.assert_has("Seat changes");
    assert!(!plan.body.contains("row-bad"));
    let r = b.post(&plan_url, &format!("{plan_url}/apply"), &[]).await;
    assert_eq!(r.location(), plan_url);
    let done = b.follow(&r).await;
    done.assert_has("Applied the plan: 2 extensions created.");
    done.assert_has("Bulk plan applied");
    // Applying again does not apply twice.
    let again = b.post(&plan_url, &format!("{plan_url}/apply"), &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let list = b.get("/ui/licenses").await;
    list.assert_has("2 of 8 Phone System licenses provisioned");
    let members = b.get("/ui/members").await;
    let row = &members.body[members.body.find("data-email=\"alice@acme.test\"").unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains("Ready"));

    let export = b.get("/ui/bulk/export.csv").await;
    assert!(
        export.body.contains("2001,,alice@acme.test"),
        "{}",
        export.body
    );
}

#[tokio::test]
async fn uploads_need_the_token_and_a_readable_file() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let r = b
        .upload("", "/ui/bulk/plans", "x.csv", GOOD.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.upload("/ui/bulk", "/ui/bulk/plans", "x.csv", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_has("choose a CSV or XLSX file");
    let r = b
        .upload(
            "/ui/bulk",
            "/ui/bulk/plans",
            "x.xlsx",
            b"PK\x03\x04 not really a zip",
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    r.assert_has("role=\"alert\"");
    let mut m = w.signed_in("alice@acme.test").await;
    assert_eq!(m.get("/ui/bulk").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        m.get("/ui/bulk/export.csv").await.status,
        StatusCode::FORBIDDEN
    );
}
