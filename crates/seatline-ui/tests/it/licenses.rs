//! Licenses, Provision, Assign, the extension page (add-ons, numbers, deprovision) and Audit:
//! each page's success and its errors rendered in place.

use axum::http::StatusCode;
use seatline_app::Ctx;

use crate::{Browser, World};

async fn provision(b: &mut Browser, count: &str, start: &str) -> crate::Reply {
    b.post(
        "/ui/provision",
        "/ui/provision",
        &[("count", count), ("start", start)],
    )
    .await
}

#[tokio::test]
async fn provision_succeeds_then_shows_taken_keys_seat_limits_and_bad_keys_inline() {
    let w = World::new().await;
    let mut b = w.signed_in("adam@acme.test").await;
    let form = b.get("/ui/provision").await;
    form.assert_has("8</strong> Phone System licenses available");
    form.assert_has("pattern=\"[1-9][0-9]{2,4}\"");

    let r = provision(&mut b, "5", "1001").await;
    assert_eq!(r.location(), "/ui/licenses");
    let page = b.follow(&r).await;
    page.assert_has("Provisioned 5 extensions: 1001–1005.");
    page.assert_has("5 of 8 Phone System licenses provisioned");
    // The flash shows once.
    assert!(!b.get("/ui/licenses").await.body.contains("Provisioned 5"));

    let taken = provision(&mut b, "2", "1004").await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    taken.assert_has("1004, 1005 are taken");
    taken.assert_has("href=\"/ui/provision?count=2&amp;start=1006\"");
    taken.assert_has("value=\"1004\"");

    let seats = provision(&mut b, "5", "2001").await;
    assert_eq!(seats.status, StatusCode::CONFLICT);
    seats.assert_has("5 phone_system seats needed but 3 available");
    seats.assert_has("id=\"count\" type=\"number\"");

    for (count, start, text) in [
        ("1", "0123", "must be 3 to 5 digits"),
        ("1", "12", "must be 3 to 5 digits"),
        ("0", "3001", "at least 1"),
        ("two", "3001", "whole number"),
        ("2", "99999", "past the highest key"),
    ] {
        let r = provision(&mut b, count, start).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{count} {start}"
        );
        r.assert_has(text);
        r.assert_has("aria-invalid=\"true\"");
    }
    let exts = w.app.licenses(&Ctx::operator(), &w.org).await.unwrap();
    assert_eq!(
        exts[0].in_use, 5,
        "nothing but the first request provisioned"
    );
}

#[tokio::test]
async fn the_extension_list_searches_and_pages() {
    let w = World::new().await;
    let op = Ctx::operator();
    w.app
        .set_quantity(&op, &w.org, "phone_system", 200)
        .await
        .unwrap();
    let mut b = w.signed_in("owner@acme.test").await;
    assert_eq!(
        provision(&mut b, "120", "1000").await.status,
        StatusCode::SEE_OTHER
    );
    w.app
        .assign(&w.owner, &w.org, "1110", "bob@acme.test", false)
        .await
        .unwrap();
    w.app
        .set_addons(&w.owner, &w.org, "1042", &["license_center".into()])
        .await
        .unwrap();

    let first = b.get("/ui/licenses").await;
    first.assert_has("Showing 50 extensions, 1000–1049");
    first.assert_has("after=1049");
    let second = b.get("/ui/licenses?q=&after=1049").await;
    second.assert_has("1050–1099");
    let last = b.get("/ui/licenses?after=1099").await;
    last.assert_has("Showing 20 extensions, 1100–1119");
    assert!(!last.body.contains("rel=\"next\""));

    let by_key = b.get("/ui/licenses?q=111").await;
    by_key.assert_has("1110–1119");
    let by_member = b.get("/ui/licenses?q=Bob").await;
    by_member.assert_has("Showing 1 extension, 1110–1110");
    by_member.assert_has("bob@acme.test");
    let by_addon = b.get("/ui/licenses?q=Contact%20Center").await;
    by_addon.assert_has("1042–1042");
    let none = b.get("/ui/licenses?q=nobody").await;
    none.assert_has("No extension matches");
}

#[tokio::test]
async fn assign_add_ons_make_a_member_contact_center_ready() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    provision(&mut b, "3", "1001").await;

    let form = b.get("/ui/assign?key=1002").await;
    form.assert_has("<option value=\"1002\" selected>1002</option>");
    assert!(!form.body.contains("owner@acme.test)</option>") || form.body.contains("Olive Owner"));
    let members = w
        .app
        .members(&Ctx::operator(), &w.org, None, None)
        .await
        .unwrap();
    let alice = members
        .items
        .iter()
        .find(|m| m.email == "alice@acme.test")
        .unwrap();
    let r = b
        .post(
            "/ui/assign",
            "/ui/assign",
            &[("member", &alice.id), ("key", "1002")],
        )
        .await;
    assert_eq!(r.location(), "/ui/extensions/1002");
    let page = b.follow(&r).await;
    page.assert_has("Assigned extension 1002 to alice@acme.test.");
    page.assert_has("Not ready");

    // Alice holds an extension now, so she is no longer offered, and a second assign fails.
    let form = b.get("/ui/assign").await;
    assert!(!form.body.contains(&format!("value=\"{}\"", alice.id)));
    let again = b
        .post(
            "/ui/assign",
            "/ui/assign",
            &[("member", &alice.id), ("key", "1003")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    again.assert_has("already holds extension 1002");

    let r = b
        .post(
            "/ui/extensions/1002",
            "/ui/extensions/1002/addons-numbers",
            &[("addon_license_center", "1"), ("addon_device_web_rtc", "1")],
        )
        .await;
    assert_eq!(r.location(), "/ui/extensions/1002");
    let page = b.follow(&r).await;
    page.assert_has("Saved the add-ons and numbers of extension 1002.");
    page.assert_has("Ready");
    let members = b.get("/ui/members").await;
    let row = &members.body[members.body.find("data-email=\"alice@acme.test\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("Ready") && !row.contains("Not ready"), "{row}");

    // Asking for more copies than are left is refused with the count, in the add-ons card.
    let more = b
        .post(
            "/ui/extensions/1002",
            "/ui/extensions/1002/addons-numbers",
            &[
                ("addon_license_center", "1"),
                ("addon_device_mobile_app", "9"),
            ],
        )
        .await;
    assert_eq!(more.status, StatusCode::CONFLICT);
    more.assert_has("9 device_mobile_app seats needed but 3 available");
    let card = &more.body[more.body.find("id=\"addons-card\"").unwrap()..];
    assert!(card[..card.find("</section>").unwrap()].contains("role=\"alert\""));
}

#[tokio::test]
async fn numbers_need_a_number_add_on_and_unassign_keeps_add_ons() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    provision(&mut b, "1", "1001").await;
    let page = b.get("/ui/extensions/1001").await;
    page.assert_has("+6531230001");
    // Two numbers need two Number add-ons and only one is bought: refused, and neither the
    // add-on nor a number is saved.
    let r = b
        .post(
            "/ui/extensions/1001",
            "/ui/extensions/1001/addons-numbers",
            &[("number", "+6531230001"), ("number", "+6531230002")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    r.assert_has("license_number");
    let e = w.app.extension(&w.owner, &w.org, "1001").await.unwrap();
    assert!(e.addons.is_empty() && e.numbers.is_empty(), "{e:?}");
    // One number: the Number add-on it needs comes with it, in the same save.
    let r = b
        .post(
            "/ui/extensions/1001",
            "/ui/extensions/1001/addons-numbers",
            &[("number", "+6531230001")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.follow(&r).await;
    page.assert_has("checked id=\"num-0\"");
    page.assert_has("Added 1 Number add-on for the chosen numbers.");

    b.post(
        "/ui/assign",
        "/ui/assign",
        &[("member", "bob@acme.test"), ("key", "1001")],
    )
    .await;
    let deprov = b
        .post(
            "/ui/extensions/1001",
            "/ui/extensions/1001/deprovision",
            &[],
        )
        .await;
    assert_eq!(deprov.status, StatusCode::CONFLICT);
    deprov.assert_has("unassign it first");
    let r = b
        .post("/ui/extensions/1001", "/ui/extensions/1001/unassign", &[])
        .await;
    let page = b.follow(&r).await;
    page.assert_has("its add-ons and numbers stay");
    page.assert_has("+6531230001");
    let r = b
        .post(
            "/ui/extensions/1001",
            "/ui/extensions/1001/deprovision",
            &[],
        )
        .await;
    assert_eq!(r.location(), "/ui/licenses");
    b.follow(&r)
        .await
        .assert_has("Deprovisioned extension 1001");
    assert_eq!(
        b.get("/ui/extensions/1001").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn audit_is_newest_first_filters_by_action_and_downloads_as_csv() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    provision(&mut b, "2", "1001").await;
    b.post(
        "/ui/assign",
        "/ui/assign",
        &[("member", "bob@acme.test"), ("key", "1002")],
    )
    .await;
    let page = b.get("/ui/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    // Actions read as words, the code kept in the title.
    let assign = page
        .body
        .find("title=\"extension.assign\">Extension assigned</span>")
        .unwrap();
    let prov = page
        .body
        .find("title=\"extension.provision\">Extension provisioned</span>")
        .unwrap();
    assert!(assign < prov, "newest first");
    // Times say their zone.
    assert!(page.body.contains(" UTC</time>"), "{}", page.body);
    page.assert_has("owner@acme.test");

    let only = b.get("/ui/audit?action=extension.provision").await;
    assert!(!only.body.contains("title=\"extension.assign\""));
    only.assert_has("<option value=\"extension.provision\" selected>");
    let none = b.get("/ui/audit?action=extension.deprovision").await;
    none.assert_has("No audit entries");

    let csv = b.get("/ui/audit.csv?action=extension.provision").await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "id,at,actor,action,target,before,after");
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(lines[1].contains("extension:1002") && lines[2].contains("extension:1001"));
}

#[tokio::test]
async fn an_unknown_extension_is_not_found() {
    let w = World::new().await;
    let mut b = w.signed_in("owner@acme.test").await;
    let r = b.get("/ui/extensions/4242").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.assert_has("does not exist");
}

#[tokio::test]
async fn a_large_inventory_offers_the_first_free_numbers_and_a_field_for_any_other() {
    let w = World::new().await;
    let op = Ctx::operator();
    for i in 0..205 {
        w.app
            .add_number(&op, &w.org, &format!("+65400{i:05}"))
            .await
            .unwrap();
    }
    w.app
        .set_quantity(&op, &w.org, "license_number", 5)
        .await
        .unwrap();
    let mut b = w.signed_in("owner@acme.test").await;
    provision(&mut b, "1", "1001").await;
    let page = b.get("/ui/extensions/1001").await;
    assert_eq!(page.body.matches("<option value=\"+65").count(), 200);
    page.assert_has("Or type another free number");
    let r = b
        .post(
            "/ui/extensions/1001",
            "/ui/extensions/1001/addons-numbers",
            &[
                ("addon_license_number", "1"),
                ("number", ""),
                ("number", "+65 400 00204"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    b.follow(&r).await.assert_has("+6540000204");
}

#[tokio::test]
async fn a_large_organization_lists_500_free_members_and_takes_any_other_by_email() {
    let w = World::new().await;
    for i in 0..500 {
        w.app
            .create_member(
                &w.owner,
                &w.org,
                &format!("m{i:03}@acme.test"),
                "",
                "member",
            )
            .await
            .unwrap();
    }
    w.app
        .create_member(&w.owner, &w.org, "zz-last@acme.test", "Zed", "member")
        .await
        .unwrap();
    let mut b = w.signed_in("owner@acme.test").await;
    provision(&mut b, "2", "1001").await;
    let form = b.get("/ui/assign").await;
    assert_eq!(form.body.matches("<option value=\"mem_").count(), 500);
    assert!(!form.body.contains("zz-last@acme.test"));
    form.assert_has("Or type the email of another member");
    let r = b
        .post(
            "/ui/assign",
            "/ui/assign",
            &[
                ("member", ""),
                ("member", "zz-last@acme.test"),
                ("key", "1001"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/ui/extensions/1001", "{}", r.body);
    let page = b.follow(&r).await;
    page.assert_has("Assigned extension 1001 to zz-last@acme.test.");
    page.assert_has("Or type the email of another member");
    // The log names members by email without reading every member.
    b.get("/ui/audit?action=extension.assign")
        .await
        .assert_has("member: – → zz-last@acme.test");
}

/// The `href` of the first link with `rel` on a page, unescaped.
fn link(page: &crate::Reply, rel: &str) -> String {
    let at = page
        .body
        .find(&format!("rel=\"{rel}\""))
        .unwrap_or_else(|| panic!("no rel={rel} link in:\n{}", page.body));
    let start = page.body[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let end = start + page.body[start..].find('"').unwrap();
    page.body[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn the_extension_list_pages_back_and_to_the_first_page() {
    let w = World::new().await;
    w.app
        .set_quantity(&Ctx::operator(), &w.org, "phone_system", 200)
        .await
        .unwrap();
    w.app
        .provision(&w.owner, &w.org, 160, "1000")
        .await
        .unwrap();
    let mut b = w.signed_in("owner@acme.test").await;
    let first = b.get("/ui/licenses").await;
    assert!(
        !first.body.contains("rel=\"prev\""),
        "nothing before the first page"
    );
    let second = b.get(&link(&first, "next")).await;
    second.assert_has("1050–1099");
    let third = b.get(&link(&second, "next")).await;
    third.assert_has("1100–1149");
    third.assert_has("First page");

    let back = b.get(&link(&third, "prev")).await;
    back.assert_has("Showing 50 extensions, 1050–1099");
    let back = b.get(&link(&back, "prev")).await;
    back.assert_has("Showing 50 extensions, 1000–1049");
    assert!(!back.body.contains("rel=\"prev\""));
    // Forward again from a page reached going back.
    let second = b.get(&link(&back, "next")).await;
    let third = b.get(&link(&second, "next")).await;
    let fourth = b.get(&link(&third, "next")).await;
    fourth.assert_has("Showing 10 extensions, 1150–1159");
    b.get(&link(&fourth, "prev")).await.assert_has("1100–1149");
    // The first-page link keeps the search.
    let searched = b.get("/ui/licenses?q=1&after=1049").await;
    searched.assert_has("href=\"/ui/licenses?q=1#extensions\"");
}
