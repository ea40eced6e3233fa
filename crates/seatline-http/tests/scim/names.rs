//! A User's name parts and display name are three values (issue 26): what a client writes to
//! `name.givenName`, `name.familyName` and `displayName` reads back as written, and a write
//! of one leaves the others; `displayName` is the member's name in the rest of Seatline.

use serde_json::{json, Value};

use crate::support::{World, PATCH_OP, USER};

/// Assert the User's given name, family name and display name, and the member's name.
#[track_caller]
fn names(w: &World, user: &Value, given: &str, family: &str, display: &str) {
    assert_eq!(user["name"]["givenName"], given, "[{}] {user:#}", w.name);
    assert_eq!(user["name"]["familyName"], family, "[{}] {user:#}", w.name);
    assert_eq!(user["displayName"], display, "[{}] {user:#}", w.name);
}

async fn member_name(w: &World, id: &str) -> Value {
    w.member(id).await.expect("member")["name"].clone()
}

fn patch(path: &str, value: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": path, "value": value}]})
}

#[tokio::test]
async fn name_parts_and_display_name_read_back_as_written() {
    for w in World::all().await {
        let created = w
            .scim_ok(
                "POST",
                "/Users",
                Some(json!({
                    "schemas": [USER],
                    "userName": "ann@acme.test",
                    "name": {"givenName": "Ann", "familyName": "Entra"},
                    "displayName": "Ann E.",
                })),
                201,
            )
            .await;
        names(&w, &created, "Ann", "Entra", "Ann E.");
        let id = created["id"].as_str().unwrap().to_owned();
        let read = w.scim_ok("GET", &format!("/Users/{id}"), None, 200).await;
        names(&w, &read, "Ann", "Entra", "Ann E.");
        assert_eq!(member_name(&w, &id).await, "Ann E.", "[{}]", w.name);

        // displayName alone: the parts stay.
        let user = w
            .scim_ok(
                "PATCH",
                &format!("/Users/{id}"),
                Some(patch("displayName", json!("Annie E."))),
                200,
            )
            .await;
        names(&w, &user, "Ann", "Entra", "Annie E.");
        assert_eq!(member_name(&w, &id).await, "Annie E.", "[{}]", w.name);

        // familyName alone: the given name and the display name stay.
        let user = w
            .scim_ok(
                "PATCH",
                &format!("/Users/{id}"),
                Some(patch("name.familyName", json!("Entrada"))),
                200,
            )
            .await;
        names(&w, &user, "Ann", "Entrada", "Annie E.");
        let read = w.scim_ok("GET", &format!("/Users/{id}"), None, 200).await;
        names(&w, &read, "Ann", "Entrada", "Annie E.");
        assert_eq!(member_name(&w, &id).await, "Annie E.", "[{}]", w.name);
    }
}

#[tokio::test]
async fn entra_shaped_names_read_back_as_written() {
    for w in World::all().await {
        // Entra ID's default mapping: formatted as a join of the parts, a display name of its
        // own, and PATCH operations with a path per attribute.
        let created = w
            .scim_ok(
                "POST",
                "/Users",
                Some(json!({
                    "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "externalId": "entra-ann",
                    "userName": "ann.entra@acme.test",
                    "active": true,
                    "emails": [{"primary": true, "type": "work", "value": "ann.entra@acme.test"}],
                    "name": {"formatted": "Ann Entra", "familyName": "Entra", "givenName": "Ann"},
                    "displayName": "Ann E.",
                })),
                201,
            )
            .await;
        names(&w, &created, "Ann", "Entra", "Ann E.");
        assert_eq!(created["name"]["formatted"], "Ann Entra", "[{}]", w.name);
        let id = created["id"].as_str().unwrap().to_owned();
        let user = w
            .scim_ok(
                "PATCH",
                &format!("/Users/{id}"),
                Some(json!({"schemas": [PATCH_OP], "Operations": [
                    {"op": "Replace", "path": "name.givenName", "value": "Anna"},
                ]})),
                200,
            )
            .await;
        names(&w, &user, "Anna", "Entra", "Ann E.");
        assert_eq!(member_name(&w, &id).await, "Ann E.", "[{}]", w.name);
    }
}

#[tokio::test]
async fn okta_shaped_names_read_back_as_written() {
    for w in World::all().await {
        // Okta: parts without a display name on create (the member's name is the joined
        // parts), then PUTs of the whole User, here with a display name of its own.
        let created = w
            .scim_ok(
                "POST",
                "/Users",
                Some(json!({
                    "schemas": [USER],
                    "userName": "ola@acme.test",
                    "name": {"givenName": "Ola", "familyName": "van Okta"},
                    "emails": [{"primary": true, "value": "ola@acme.test", "type": "work"}],
                    "active": true,
                })),
                201,
            )
            .await;
        names(&w, &created, "Ola", "van Okta", "Ola van Okta");
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(member_name(&w, &id).await, "Ola van Okta", "[{}]", w.name);
        // A display name never set apart follows a PATCH of the parts, as before.
        let user = w
            .scim_ok(
                "PATCH",
                &format!("/Users/{id}"),
                Some(patch("name.familyName", json!("Okta"))),
                200,
            )
            .await;
        names(&w, &user, "Ola", "Okta", "Ola Okta");
        let user = w
            .scim_ok(
                "PUT",
                &format!("/Users/{id}"),
                Some(json!({
                    "schemas": [USER],
                    "id": id,
                    "userName": "ola@acme.test",
                    "name": {"givenName": "Ola", "familyName": "van Okta"},
                    "displayName": "Ola vO",
                    "emails": [{"primary": true, "value": "ola@acme.test", "type": "work"}],
                    "active": true,
                })),
                200,
            )
            .await;
        names(&w, &user, "Ola", "van Okta", "Ola vO");
        let read = w.scim_ok("GET", &format!("/Users/{id}"), None, 200).await;
        names(&w, &read, "Ola", "van Okta", "Ola vO");
        assert_eq!(member_name(&w, &id).await, "Ola vO", "[{}]", w.name);
    }
}
