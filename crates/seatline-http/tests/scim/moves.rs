//! A SCIM write that changes the Seatline extension's `extension` moves the member: its
//! add-ons and numbers go to the new key (provisioned when it does not exist), and the old
//! extension, left empty, is deprovisioned — one transaction, audited, with its events.

use serde_json::{json, Value};

use crate::support::{entra_create, World, PATCH_OP, SEATLINE};

/// Seats in use of the codes a move carries.
async fn seats(w: &World) -> Vec<u64> {
    let mut out = Vec::new();
    for code in [
        "phone_system",
        "license_center",
        "device_mobile_app",
        "license_number",
    ] {
        out.push(w.in_use(code).await);
    }
    out
}

#[tokio::test]
async fn changing_the_extension_moves_the_member_with_its_addons_and_numbers() {
    for w in World::all().await {
        let seatline = json!({"extension": "1500", "phoneSystem": true, "contactCenter": true,
            "deviceMobileApp": 2, "phoneNumber": "+14155550100"});
        let created = w
            .scim_ok(
                "POST",
                "/Users",
                Some(entra_create("mover@acme.test", "m-1", Some(seatline))),
                201,
            )
            .await;
        let id = created["id"].as_str().unwrap();
        let before = seats(&w).await;

        let patch = json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": format!("{SEATLINE}:extension"), "value": "1000"}]});
        let user = w
            .scim_ok("PATCH", &format!("/Users/{id}"), Some(patch), 200)
            .await;
        let block = &user[SEATLINE];
        assert_eq!(block["extension"], "1000", "[{}] {user:#}", w.name);
        assert_eq!(block["contactCenter"], true, "[{}] {block:#}", w.name);
        assert_eq!(block["deviceMobileApp"], 2, "[{}] {block:#}", w.name);
        assert_eq!(
            block["phoneNumber"], "+14155550100",
            "[{}] {block:#}",
            w.name
        );

        // 1500 is gone, 1000 holds everything, and no seat more is used.
        let path = format!("/api/v1/orgs/{}/extensions/1500", w.org);
        let a = w.send("GET", &path, Some(&w.owner), None, &[]).await;
        assert_eq!(
            a.status.as_u16(),
            404,
            "[{}] 1500 stayed: {:#}",
            w.name,
            a.body
        );
        let moved = w.extension("1000").await;
        assert_eq!(moved["member"]["id"], id, "[{}] {moved:#}", w.name);
        assert_eq!(
            moved["numbers"],
            json!(["+14155550100"]),
            "[{}] {moved:#}",
            w.name
        );
        assert_eq!(seats(&w).await, before, "[{}]", w.name);

        // Audited and in the change feed.
        let audit = w
            .api_ok(
                "GET",
                &format!("/api/v1/orgs/{}/audit?limit=20", w.org),
                &w.owner.clone(),
                Value::Null,
                200,
            )
            .await;
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "extension.deprovision" && e["target"] == "extension:1500"),
            "[{}] {audit:#}",
            w.name
        );
        let feed = w
            .api_ok(
                "GET",
                &format!("/api/v1/orgs/{}/events", w.org),
                &w.owner.clone(),
                Value::Null,
                200,
            )
            .await;
        let types: Vec<(String, String)> = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["type"].as_str().unwrap_or("").to_owned(), e.to_string()))
            .collect();
        assert!(
            types
                .iter()
                .any(|(t, e)| t == "extension.deprovisioned" && e.contains("1500")),
            "[{}] {feed:#}",
            w.name
        );

        // Moving onto an existing, unassigned extension keeps what it had too.
        let provision = format!("/api/v1/orgs/{}/extensions/provision", w.org);
        w.api_ok(
            "POST",
            &provision,
            &w.owner.clone(),
            json!({"count": 1, "start": "2000"}),
            201,
        )
        .await;
        let patch = json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": format!("{SEATLINE}:extension"), "value": "2000"}]});
        let user = w
            .scim_ok("PATCH", &format!("/Users/{id}"), Some(patch), 200)
            .await;
        assert_eq!(user[SEATLINE]["extension"], "2000", "[{}] {user:#}", w.name);
        assert_eq!(
            user[SEATLINE]["deviceMobileApp"], 2,
            "[{}] {user:#}",
            w.name
        );
        let path = format!("/api/v1/orgs/{}/extensions/1000", w.org);
        let a = w.send("GET", &path, Some(&w.owner), None, &[]).await;
        assert_eq!(a.status.as_u16(), 404, "[{}] {:#}", w.name, a.body);
        assert_eq!(seats(&w).await, before, "[{}]", w.name);
    }
}
