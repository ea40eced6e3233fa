//! The navigation: the pages used every day in one row, the settings (Webhooks, SCIM,
//! Integration tokens) grouped in one menu, each shown only to whom may open it.

use crate::World;

/// The markup of the settings menu of a page, empty when there is none.
fn settings_menu(body: &str) -> &str {
    let Some(start) = body.find("<details class=\"navmenu\"") else {
        return "";
    };
    let end = start + body[start..].find("</details>").expect("a closed menu");
    &body[start..end]
}

#[tokio::test]
async fn settings_are_grouped_in_one_menu_by_role() {
    let w = World::new().await;
    let mut owner = w.signed_in("owner@acme.test").await;
    let page = owner.get("/ui/licenses").await;
    let menu = settings_menu(&page.body);
    for href in ["/ui/webhooks", "/ui/scim", "/ui/integration-tokens"] {
        assert!(
            menu.contains(&format!("href=\"{href}\"")),
            "{href} in {menu}"
        );
    }
    assert!(!menu.contains("open"), "closed on other pages: {menu}");
    // On a settings page the menu shows where the owner is.
    let scim = owner.get("/ui/scim").await;
    let menu = settings_menu(&scim.body);
    assert!(menu.contains("aria-current=\"page\""), "{menu}");

    let mut admin = w.signed_in("adam@acme.test").await;
    let page = admin.get("/ui/licenses").await;
    let menu = settings_menu(&page.body);
    assert!(menu.contains("href=\"/ui/webhooks\""), "{menu}");
    assert!(!menu.contains("href=\"/ui/scim\""), "{menu}");
    assert!(!menu.contains("href=\"/ui/integration-tokens\""), "{menu}");

    let mut member = w.signed_in("alice@acme.test").await;
    let page = member.get("/ui/me").await;
    assert_eq!(settings_menu(&page.body), "", "a member has no settings");
}
