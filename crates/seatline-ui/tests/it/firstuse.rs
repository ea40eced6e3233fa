//! What a new admin tripped over in a first real use (issue 9), each checked on the pages.

use axum::http::StatusCode;

use crate::World;

#[tokio::test]
async fn favicon_answers_and_guessed_sign_in_paths_lead_to_sign_in() {
    let w = World::new().await;
    let mut b = w.browser();
    let icon = b.get("/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert!(icon.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/"));
    for path in [
        "/login",
        "/signin",
        "/sign-in",
        "/admin",
        "/ui/login",
        "/ui/signin",
        "/ui/admin",
    ] {
        let r = b.get(path).await;
        assert!(r.status.is_redirection(), "{path}: {}", r.status);
        assert_eq!(r.location(), "/ui/sign-in", "{path}");
    }
}

#[tokio::test]
async fn my_seat_never_says_not_ready_and_ready_at_once() {
    let w = World::new().await;
    let mut b = w.signed_in("alice@acme.test").await;
    let page = b.get("/ui/me").await;
    page.assert_has("Not ready");
    assert!(!page.body.contains("You are ready"), "{}", page.body);
    assert!(!page.body.contains("You can take Contact Center calls"));

    // Ready: an extension with Contact Center and a device.
    let k = w.app.provision(&w.owner, &w.org, 1, "1001").await.unwrap();
    let key = &k[0].key;
    w.app
        .assign(&w.owner, &w.org, key, "alice@acme.test", false)
        .await
        .unwrap();
    w.app
        .set_addons(
            &w.owner,
            &w.org,
            key,
            &["license_center".into(), "device_web_rtc".into()],
        )
        .await
        .unwrap();
    let page = b.get("/ui/me").await;
    page.assert_has("You can take Contact Center calls");
    assert!(!page.body.contains("Not ready"), "{}", page.body);
}

async fn member_id(w: &World, email: &str) -> String {
    w.app
        .member(&seatline_app::Ctx::operator(), &w.org, email)
        .await
        .unwrap()
        .id
}

/// The `<tr>` of the list row holding `needle`.
pub fn row_of<'a>(body: &'a str, needle: &str) -> &'a str {
    let at = body
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in:\n{body}"));
    let start = body[..at].rfind("<tr").unwrap();
    let end = at + body[at..].find("</tr>").unwrap();
    &body[start..end]
}

#[tokio::test]
async fn members_are_compact_rows_owner_first_with_actions_on_their_own_page() {
    let w = World::new().await;
    let alice = member_id(&w, "alice@acme.test").await;
    let mut b = w.signed_in("adam@acme.test").await;
    let list = b.get("/ui/members").await;
    // adam@ sorts before owner@, yet the owner heads the list.
    let first = list.body.find("<tr data-email=").unwrap();
    assert!(
        list.body[first..].starts_with("<tr data-email=\"owner@acme.test\""),
        "{}",
        list.body
    );
    let row = row_of(&list.body, "data-email=\"alice@acme.test\"");
    for absent in ["<form", "Disable", "Change role"] {
        assert!(!row.contains(absent), "{absent} in the row: {row}");
    }
    assert!(
        row.contains(&format!("href=\"/ui/members/{alice}\"")),
        "{row}"
    );
    assert!(row.contains("Not ready"), "{row}");
    list.assert_has("4 members on this page");

    // The member's page holds what it is missing and the actions.
    let page = b.get(&format!("/ui/members/{alice}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("Missing: no extension");
    page.assert_has(&format!("href=\"/ui/members/{alice}/disable\""));
    page.assert_has("Reset password");

    // Disabling asks first, and only the confirmation disables.
    let confirm = b.get(&format!("/ui/members/{alice}/disable")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    confirm.assert_has("Disable alice@acme.test?");
    confirm.assert_has("id=\"confirm-disable\"");
    let still = w
        .app
        .member(&w.owner, &w.org, "alice@acme.test")
        .await
        .unwrap();
    assert_eq!(still.status, seatline_domain::Status::Active);
    let r = b
        .post(
            &format!("/ui/members/{alice}/disable"),
            &format!("/ui/members/{alice}/status"),
            &[("status", "disabled")],
        )
        .await;
    assert_eq!(r.location(), format!("/ui/members/{alice}"));
    let page = b.follow(&r).await;
    page.assert_has("alice@acme.test is now disabled.");
    page.assert_has("id=\"enable\"");
}

#[tokio::test]
async fn a_reset_link_is_shown_once_ends_sessions_and_sets_a_password_once() {
    let w = World::new().await;
    let alice = member_id(&w, "alice@acme.test").await;
    let mut alice_browser = w.signed_in("alice@acme.test").await;
    let mut admin = w.signed_in("adam@acme.test").await;
    let member_page = format!("/ui/members/{alice}");
    let r = admin
        .post(&member_page, &format!("{member_page}/reset-link"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.assert_has("This is the only time the link is shown.");
    r.assert_has(" UTC</time>");
    let at = r.body.find("/ui/reset/").unwrap();
    let link = &r.body[at..];
    let link = link[..link.find('<').unwrap()].to_owned();
    assert_eq!(link.len(), "/ui/reset/".len() + 64, "{link}");
    // Only the hash is kept: the member's page does not show the link again.
    assert!(!admin.get(&member_page).await.body.contains(&link));

    // Alice's session ended and her old password no longer works.
    let r = alice_browser.get("/ui/me").await;
    assert_eq!(r.location(), "/ui/sign-in");
    let mut other = w.browser();
    let r = other.sign_in("alice@acme.test", crate::PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The link opens a form naming her; a short password is refused and the link stays.
    let mut visitor = w.browser();
    let form = visitor.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_has("alice@acme.test");
    let short = visitor.post(&link, &link, &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    short.assert_has("id=\"reset-error\"");
    let r = visitor
        .post(&link, &link, &[("password", "a brand new password")])
        .await;
    assert_eq!(r.location(), "/ui/sign-in");
    visitor
        .follow(&r)
        .await
        .assert_has("Your new password is set.");
    let r = w
        .browser()
        .sign_in("alice@acme.test", "a brand new password")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Used once.
    let again = w.browser().get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    again.assert_has("ask an owner or admin for a new one");
    let audit = w.signed_in("owner@acme.test").await.get("/ui/audit").await;
    audit.assert_has("Password reset link made");
}

#[tokio::test]
async fn only_the_owner_resets_an_admin_and_an_old_link_expires() {
    let w = World::new().await;
    let owner_id = member_id(&w, "owner@acme.test").await;
    let adam = member_id(&w, "adam@acme.test").await;
    let bob = member_id(&w, "bob@acme.test").await;
    let mut admin = w.signed_in("adam@acme.test").await;
    // An admin is not offered, and may not make, a link for the owner or for itself.
    for id in [&owner_id, &adam] {
        let page = admin.get(&format!("/ui/members/{id}")).await;
        assert!(!page.body.contains("/reset-link"), "{}", page.body);
        let r = admin
            .post(
                &format!("/ui/members/{bob}"),
                &format!("/ui/members/{id}/reset-link"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    // The owner may reset an admin.
    let mut owner = w.signed_in("owner@acme.test").await;
    let r = owner
        .post(
            &format!("/ui/members/{adam}"),
            &format!("/ui/members/{adam}/reset-link"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A link past its expiry does not open.
    let token = "ab".repeat(32);
    let org = w.org.clone();
    let mut tx = w.app.store().lock(&org).await.unwrap().unwrap();
    tx.insert_password_reset(
        &org,
        &seatline_domain::MemberId(bob.clone()),
        &seatline_app::hash_secret(&token),
        "2020-01-01T00:00:00.000Z",
        "2020-01-02T00:00:00.000Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = w.browser().get(&format!("/ui/reset/{token}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.assert_has("older than 24 hours");
}

#[tokio::test]
async fn provision_preview_checks_taken_keys_and_offers_the_next_free_start() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let r = b
        .post(
            "/ui/provision",
            "/ui/provision",
            &[("count", "1"), ("start", "1001")],
        )
        .await;
    b.follow(&r)
        .await
        .assert_has("Provisioned 1 extension: 1001.");
    let check = b.get("/ui/provision/check?count=3&start=1000").await;
    assert_eq!(check.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&check.body).unwrap();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["field"], "start");
    assert_eq!(v["next_free_start"], "1002");
    assert!(v["message"].as_str().unwrap().contains("1001"), "{v}");
    let ok = b.get("/ui/provision/check?count=3&start=1002").await;
    let v: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["message"], "Creates extensions 1002–1004.");
    let seats = b.get("/ui/provision/check?count=9&start=2000").await;
    let v: serde_json::Value = serde_json::from_str(&seats.body).unwrap();
    assert_eq!(v["field"], "count", "{v}");
    // A refused form shows no preview under its error.
    let refused = b
        .post(
            "/ui/provision",
            "/ui/provision",
            &[("count", "3"), ("start", "1000")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    refused.assert_has("id=\"provision-preview\" aria-live=\"polite\"></p>");
    let mut member = w.signed_in("alice@acme.test").await;
    assert_eq!(
        member
            .get("/ui/provision/check?count=1&start=1005")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_plan_page_shows_header_and_seat_errors_rows_in_file_order_and_users_as_typed() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    // Row 3 names a member who does not exist; three Contact Center add-ons for two seats;
    // a header nobody knows.
    let file = "Ext key,Number,User,Addon license,Colour\r\n\
        2001,,alice@acme.test,license_center,\r\n\
        2002,,bobb@acme.test,license_center,\r\n\
        2003,,,license_center,\r\n";
    let r = b
        .upload("/ui/bulk", "/ui/bulk/plans", "team.csv", file.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan_url = r.location().to_owned();
    let plan = b.get(&plan_url).await;
    let file_errors = &plan.body[plan.body.find("id=\"file-errors\"").expect("file errors")..];
    let file_errors = &file_errors[..file_errors.find("</section>").unwrap()];
    assert!(
        file_errors.contains("Header (row 1)") && file_errors.contains("Colour"),
        "{file_errors}"
    );
    assert!(file_errors.contains("license_center"), "{file_errors}");
    // File order, the bad row highlighted in place.
    let order: Vec<usize> = plan
        .body
        .match_indices("data-row=\"")
        .map(|(i, m)| {
            let rest = &plan.body[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect();
    assert_eq!(order, [2, 3, 4], "{}", plan.body);
    let bad = row_of(&plan.body, "data-row=\"3\"");
    assert!(bad.contains("row-bad"), "{bad}");
    assert!(bad.contains(">bobb@acme.test</span>"), "{bad}");
    assert!(!bad.contains("Unassigned"), "{bad}");
    assert!(row_of(&plan.body, "data-row=\"4\"").contains("Unassigned"));
    // The file's name and the time with its zone.
    let source = &plan.body[plan.body.find("id=\"plan-source\"").unwrap()..];
    let source = &source[..source.find("</p>").unwrap()];
    assert!(
        source.contains("team.csv") && source.contains(" UTC</time>"),
        "{source}"
    );
    // Counts read as words.
    assert!(plan.body.contains("Bulk plan: 3 rows"), "{}", plan.body);

    // The error list as CSV.
    let csv = b.get(&format!("{plan_url}/errors.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "row,column,value,code,message");
    assert!(
        lines.iter().any(|l| l.starts_with("1,Colour,Colour,")),
        "{}",
        csv.body
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("3,User,bobb@acme.test,")),
        "{}",
        csv.body
    );
    plan.assert_has(&format!("href=\"{plan_url}/errors.csv\""));
}

#[tokio::test]
async fn a_stale_plan_shows_the_new_errors_and_no_apply_button() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let file = "Ext key,Number,User,Addon license\r\n2001,,,\r\n2002,,,\r\n";
    let r = b
        .upload("/ui/bulk", "/ui/bulk/plans", "two.csv", file.as_bytes())
        .await;
    let plan_url = r.location().to_owned();
    b.get(&plan_url).await.assert_has("Ready to apply");
    // Meanwhile someone provisions 2002.
    w.app.provision(&w.owner, &w.org, 1, "2002").await.unwrap();
    let r = b.post(&plan_url, &format!("{plan_url}/apply"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    r.assert_has("Out of date");
    r.assert_has("id=\"plan-stale\"");
    assert!(!r.body.contains("id=\"apply-submit\""), "{}", r.body);
    let bad = row_of(&r.body, "data-row=\"3\"");
    assert!(bad.contains("row-bad") && bad.contains("2002"), "{bad}");
    r.assert_has("Upload the corrected file");
}

#[tokio::test]
async fn export_is_on_the_licenses_page() {
    let w = World::new().await;
    let mut b = w.signed_in("adam@acme.test").await;
    let page = b.get("/ui/licenses").await;
    page.assert_has("href=\"/ui/bulk/export.csv\"");
}

#[tokio::test]
async fn export_is_also_xlsx_and_plan_warnings_never_block() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let page = b.get("/ui/licenses").await;
    page.assert_has("href=\"/ui/bulk/export.xlsx\"");
    let xlsx = b.get("/ui/bulk/export.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.body.starts_with("PK"), "a zip file");

    // A disabled member on a row is a warning: the row is shown with it, and the plan applies.
    let bob = member_id(&w, "bob@acme.test").await;
    w.app
        .update_member(&w.owner, &w.org, &bob, None, Some("disabled"))
        .await
        .unwrap();
    let file = "Ext key,Number,User,Addon license\r\n2001,,bob@acme.test,\r\n";
    let r = b
        .upload("/ui/bulk", "/ui/bulk/plans", "bob.csv", file.as_bytes())
        .await;
    let plan_url = r.location().to_owned();
    let plan = b.get(&plan_url).await;
    plan.assert_has("Ready to apply");
    plan.assert_has("1 warning");
    let row = row_of(&plan.body, "data-row=\"2\"");
    assert!(
        row.contains("row-warn") && row.contains("ul class=\"warnings\""),
        "{row}"
    );
    assert!(!row.contains("row-bad"), "{row}");
    let r = b.post(&plan_url, &format!("{plan_url}/apply"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}
