//! Hostile text and refusals at the edge (issues 28 and 26), on both stores: a NUL
//! (U+0000) anywhere in a path, a query string, a JSON string or a bulk cell is refused
//! with a 4xx before any store sees it (PostgreSQL's text cannot hold it and answered 500),
//! and every refusal keeps its shape: SCIM's error body under `/scim/v2`, the API's
//! `{"error": …}` elsewhere, whoever refused (a handler, an extractor or axum itself).

use serde_json::{json, Value};

use crate::support::{entra_create, Answer, World, PATCH_OP};

/// An API refusal in the error shape with `status` and `code`; its `details`.
#[track_caller]
fn api_error(a: &Answer, status: u16, code: &str) -> Value {
    assert_eq!(a.status.as_u16(), status, "{:#}", a.body);
    assert_eq!(a.content_type(), "application/json", "{:#}", a.body);
    assert_eq!(a.body["error"]["code"], code, "{:#}", a.body);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{:#}",
        a.body
    );
    assert!(a.body["error"]["details"].is_object(), "{:#}", a.body);
    a.body["error"]["details"].clone()
}

/// A 422 naming `field`, its message saying what is wrong.
#[track_caller]
fn names_nul(a: &Answer, field: &str) {
    let details = api_error(a, 422, "malformed");
    assert_eq!(details["field"], field, "{:#}", a.body);
    let message = a.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("U+0000"), "{message}");
}

/// A SCIM 400 `invalidValue` whose detail names `field` and the NUL.
#[track_caller]
fn scim_names_nul(a: &Answer, field: &str) {
    a.scim_error(400, Some("invalidValue"), "malformed");
    let detail = a.body["detail"].as_str().unwrap();
    assert!(
        detail.contains(field) && detail.contains("U+0000"),
        "{detail}"
    );
}

#[tokio::test]
async fn nul_is_refused_at_the_edge_on_both_stores() {
    for w in World::all().await {
        let o = format!("/api/v1/orgs/{}", w.org);
        let json_type = [("content-type", "application/json")];
        let api = |method: &'static str, path: String, body: Option<Value>| {
            let w = &w;
            async move {
                w.send(method, &path, Some(&w.owner), body.as_ref(), &json_type)
                    .await
            }
        };

        // Path segments: "not found", without asking the database.
        for path in [
            format!("{o}/members/%00"),
            format!("{o}/webhooks/%00"),
            format!("{o}/bulk/plans/%00"),
            format!("{o}/teams/a%00b"),
        ] {
            let a = api("GET", path.clone(), None).await;
            api_error(&a, 404, "not_found");
        }
        for path in ["/Users/%00", "/Groups/x%00", "/Users/%00/"] {
            let a = w.scim("GET", path, None).await;
            a.scim_error(404, None, "not_found");
        }

        // JSON string fields of the API: 422 naming the field.
        let a = w
            .send(
                "POST",
                "/api/v1/orgs",
                Some(crate::support::OPERATOR),
                Some(&json!({"name": "Ac\u{0}me", "owner": {"email": "o@nul.test", "name": "O"}})),
                &json_type,
            )
            .await;
        names_nul(&a, "name");
        let a = w
            .send(
                "POST",
                "/api/v1/orgs",
                Some(crate::support::OPERATOR),
                Some(&json!({"name": "Acme", "owner": {"email": "o@nul.test", "name": "O\u{0}"}})),
                &json_type,
            )
            .await;
        names_nul(&a, "owner.name");
        let body = json!({"email": "m@acme.test", "name": "Mi\u{0}a", "role": "member"});
        names_nul(
            &api("POST", format!("{o}/members"), Some(body)).await,
            "name",
        );
        let body = json!({"email": "m\u{0}@acme.test", "name": "Mia", "role": "member"});
        names_nul(
            &api("POST", format!("{o}/members"), Some(body)).await,
            "email",
        );
        let body = json!({"name": "Entra\u{0}"});
        names_nul(
            &api("POST", format!("{o}/scim-tokens"), Some(body)).await,
            "name",
        );
        let body = json!({"name": "PBX\u{0}"});
        names_nul(
            &api("POST", format!("{o}/integration-tokens"), Some(body)).await,
            "name",
        );
        let body = json!({"name": "Sales\u{0}"});
        names_nul(&api("POST", format!("{o}/teams"), Some(body)).await, "name");

        // Query strings: 422 naming the parameter; SCIM: 400 invalidValue.
        names_nul(
            &api("GET", format!("{o}/audit?action=%00"), None).await,
            "action",
        );
        let a = w
            .scim("GET", "/Users?filter=userName%20eq%20%22a%00%22", None)
            .await;
        scim_names_nul(&a, "filter");

        // SCIM attributes: 400 invalidValue naming the attribute.
        let mut body = entra_create("nul1@acme.test", "ext-\u{0}", None);
        let a = w.scim("POST", "/Users", Some(body.clone())).await;
        scim_names_nul(&a, "externalId");
        body["externalId"] = json!("ext-1");
        body["displayName"] = json!("Bar\u{0}bara");
        let a = w.scim("POST", "/Users", Some(body.clone())).await;
        scim_names_nul(&a, "displayName");
        let mut body = entra_create("nul2@acme.test", "ext-2", None);
        body["userName"] = json!("nul\u{0}@acme.test");
        let a = w.scim("POST", "/Users", Some(body)).await;
        scim_names_nul(&a, "userName");
        let created = w
            .scim_ok(
                "POST",
                "/Users",
                Some(entra_create("nul3@acme.test", "ext-3", None)),
                201,
            )
            .await;
        let id = created["id"].as_str().unwrap();
        let patch = json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "externalId", "value": "x\u{0}"}]});
        let a = w.scim("PATCH", &format!("/Users/{id}"), Some(patch)).await;
        scim_names_nul(&a, "Operations[0].value");
        let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Sa\u{0}les"});
        let a = w.scim("POST", "/Groups", Some(group)).await;
        scim_names_nul(&a, "displayName");

        // A bulk cell past the sniffed head of the file.
        let mut csv = String::from("Ext key,User\n");
        csv.push_str(&"\n".repeat(9000));
        csv.push_str("1001,a\u{0}b@acme.test\n");
        let a = w
            .send_raw(
                "POST",
                &format!("{o}/bulk/plans"),
                &w.owner,
                "text/csv",
                csv.into_bytes(),
            )
            .await;
        let details = api_error(&a, 422, "file_unreadable");
        assert_eq!(details["row"], 9002, "{:#}", a.body);

        // Nothing of it was stored, and the server still answers.
        let users = w.scim_ok("GET", "/Users", None, 200).await;
        assert_eq!(users["totalResults"], 2, "[{}] {users:#}", w.name);
    }
}

/// Refusals axum, the guards or the API's fallback answered used to escape their surface's
/// shape: plain-text 413s, a bare 414, the API's body at the SCIM root.
#[tokio::test]
async fn every_refusal_keeps_its_surface_shape() {
    let w = World::sqlite().await;
    let o = format!("/api/v1/orgs/{}", w.org);

    // The SCIM root and paths under it that no route serves.
    for path in ["/scim/v2", "/scim/v2/", "/scim/v2/Nope/1"] {
        let a = w.send("GET", path, Some(&w.scim), None, &[]).await;
        a.scim_error(404, None, "not_found");
    }
    // A 30 KB filter: the URI is too long for the query string, in SCIM's shape, with the
    // way out.
    let filter = format!("userName%20eq%20%22{}%22", "a".repeat(30_000));
    let a = w
        .scim("GET", &format!("/Users?filter={filter}"), None)
        .await;
    a.scim_error(414, None, "uri_too_long");
    assert!(
        a.body["detail"].as_str().unwrap().contains(".search"),
        "{:#}",
        a.body
    );
    // Bodies over the limit: 2 MiB and more (axum's own limit) and just over 256 KiB.
    for size in [3 * 1024 * 1024, 300 * 1024] {
        let mut body = entra_create("big@acme.test", "big", None);
        body["title"] = json!("x".repeat(size));
        let a = w.scim("POST", "/Users", Some(body)).await;
        a.scim_error(413, None, "too_large");
    }
    // Too many headers: the guard's 431, in SCIM's shape.
    let many: Vec<(String, String)> = (0..120).map(|i| (format!("x-h{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let a = w
        .send("GET", "/scim/v2/Users", Some(&w.scim), None, &many)
        .await;
    a.scim_error(431, None, "headers_too_large");

    // The API: the same refusals in its own shape.
    let big = json!({"name": "x".repeat(2 * 1024 * 1024)});
    let a = w
        .send(
            "POST",
            &format!("{o}/scim-tokens"),
            Some(&w.owner),
            Some(&big),
            &[("content-type", "application/json")],
        )
        .await;
    api_error(&a, 413, "too_large");
    let a = w
        .send(
            "POST",
            &format!("{o}/members"),
            Some(&w.owner),
            Some(&big),
            &[("content-type", "application/json")],
        )
        .await;
    api_error(&a, 413, "too_large");
    let long = format!("{o}/audit?action={}", "a".repeat(30_000));
    let a = w.send("GET", &long, Some(&w.owner), None, &[]).await;
    let details = api_error(&a, 414, "uri_too_long");
    assert_eq!(details["max_uri_bytes"], 16384);
    let a = w
        .send_raw(
            "POST",
            &format!("{o}/scim-tokens"),
            &w.owner,
            "application/json",
            b"{\"name\": ".to_vec(),
        )
        .await;
    api_error(&a, 422, "malformed");
}

/// Every operation lists the refusals any request may get, 431 and 414 among them.
#[tokio::test]
async fn every_operation_lists_the_common_refusals() {
    let w = World::sqlite().await;
    let a = w.send("GET", "/api/openapi.json", None, None, &[]).await;
    let paths = a.body["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1/")) {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            for status in ["414", "431"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{method} {path} lists no {status}"
                );
            }
        }
    }
    assert!(operations > 40, "{operations}");
}
