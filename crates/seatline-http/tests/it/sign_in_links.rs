//! One-time sign-in links over the API: the 201 answer with an absolute URL built from a
//! proxy's headers, who may make one, `POST /api/v1/orgs` answering the owner's link, and
//! the OpenAPI document listing both (additively).

use serde_json::{json, Value};

use crate::support::{Api, World, OPERATOR};

const PREFIX: &str = "/ui/sign-in/link/";

async fn post(w: &World, member: &str, token: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let path = w.at(&format!("/members/{member}/sign-in-link"));
    let req = Api::request("POST", &path, Some(token), None, headers);
    let a = Api::read(w.api.send(req).await).await;
    (a.status.as_u16(), a.body)
}

/// The secret after the prefix: 32 random bytes in hex.
fn secret_of(url: &str, origin: &str) -> String {
    let secret = url
        .strip_prefix(&format!("{origin}{PREFIX}"))
        .unwrap_or_else(|| panic!("{url} is not under {origin}{PREFIX}"));
    assert_eq!(secret.len(), 64, "{url}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()), "{url}");
    secret.to_owned()
}

#[tokio::test]
async fn a_link_answers_201_with_an_absolute_url_behind_a_proxy() {
    let w = World::new().await;
    let (status, body) = post(
        &w,
        &w.member.id,
        &w.owner.token,
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "seatline.example.com"),
            ("host", "10.0.0.7:8080"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{body:#}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["expires_at", "member", "url"], "{body:#}");
    secret_of(
        body["url"].as_str().unwrap(),
        "https://seatline.example.com",
    );
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        body["member"],
        json!({"id": w.member.id, "email": w.member.email})
    );

    // Reached directly: the Host header and plain http.
    let (status, body) = post(
        &w,
        &w.member.email,
        &w.admin.token,
        &[("host", "pbx.local:8080")],
    )
    .await;
    assert_eq!(status, 201, "{body:#}");
    secret_of(body["url"].as_str().unwrap(), "http://pbx.local:8080");
}

#[tokio::test]
async fn who_may_make_a_link_and_the_errors_of_those_who_may_not() {
    let w = World::new().await;
    let cases: [(&str, &str, u16, &str); 7] = [
        (&w.member.token, &w.spare.id, 403, "forbidden"),
        (OPERATOR, &w.member.id, 403, "forbidden"),
        (&w.owner.token, &w.owner.id, 403, "forbidden"),
        (&w.admin.token, &w.owner.id, 403, "forbidden"),
        (&w.other_owner.token, &w.member.id, 404, "not_found"),
        (&w.owner.token, "mem_no_such", 404, "not_found"),
        (&w.owner.token, &w.disabled.id, 409, "member_disabled"),
    ];
    for (token, member, status, code) in cases {
        let (got, body) = post(&w, member, token, &[]).await;
        assert_eq!(got, status, "{member}: {body:#}");
        assert_eq!(body["error"]["code"], code, "{body:#}");
        assert!(body["error"]["message"].is_string(), "{body:#}");
        assert!(body["error"]["details"].is_object(), "{body:#}");
    }
    let (status, body) = post(&w, &w.disabled.id, &w.owner.token, &[]).await;
    assert_eq!(status, 409);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("enable it first"),
        "{body:#}"
    );
}

#[tokio::test]
async fn creating_an_organization_answers_the_owners_link() {
    let api = Api::new().await;
    let req = Api::request(
        "POST",
        "/api/v1/orgs",
        Some(OPERATOR),
        Some(&json!({"name": "Fresh", "owner": {"email": "owner@fresh.test"}})),
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "seatline.example.com"),
        ],
    );
    let a = Api::read(api.send(req).await).await;
    assert_eq!(a.status.as_u16(), 201, "{:#}", a.body);
    // Additive: what the answer had before is all still there.
    for key in ["id", "name", "created_at", "owner"] {
        assert!(a.body.get(key).is_some(), "{key}: {:#}", a.body);
    }
    assert_eq!(a.body["owner"]["email"], "owner@fresh.test");
    let link = &a.body["owner_sign_in_link"];
    let keys: Vec<&String> = link.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["expires_at", "url"], "{link:#}");
    secret_of(
        link["url"].as_str().unwrap(),
        "https://seatline.example.com",
    );
}

#[tokio::test]
async fn the_openapi_document_lists_the_link_route_and_its_schemas() {
    let api = Api::new().await;
    let doc = api.ok("GET", "/api/openapi.json", None, None, 200).await;
    let op = &doc["paths"]["/api/v1/orgs/{org}/members/{member}/sign-in-link"]["post"];
    assert!(op.is_object(), "the route is not documented");
    assert_eq!(op["security"], json!([{"bearer": []}]));
    for status in ["201", "401", "403", "404", "409"] {
        assert!(op["responses"][status].is_object(), "{status}: {op:#}");
    }
    assert_eq!(
        op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/IssuedSignInLink"
    );
    let create = &doc["paths"]["/api/v1/orgs"]["post"]["responses"]["201"]["content"]
        ["application/json"]["schema"]["$ref"];
    // The answer keeps its schema's name (generated clients keep their type); the link is an
    // added property.
    assert_eq!(create, "#/components/schemas/CreatedOrg");
    let schemas = &doc["components"]["schemas"];
    for name in [
        "CreatedOrg",
        "IssuedSignInLink",
        "OwnerSignInLink",
        "SignInLinkMember",
    ] {
        assert!(schemas[name].is_object(), "{name} is missing");
    }
    assert!(schemas["CreatedOrg"]["properties"]
        .get("owner_sign_in_link")
        .is_some());
}
