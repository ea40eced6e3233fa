//! What every route shares: the error shape for bad requests, idempotent retries, the
//! OpenAPI document and reference page, health and metrics.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::{Api, World, OPERATOR};

async fn raw(api: &Api, req: Request<Body>) -> crate::support::Answer {
    Api::read(api.send(req).await).await
}

fn post(path: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", format!("Bearer {OPERATOR}"));
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body.into()).unwrap()
}

#[tokio::test]
async fn bad_requests_answer_in_the_error_shape() {
    let w = World::new().await;
    let api = &w.api;
    let numbers = w.at("/numbers");
    raw(
        api,
        post(&numbers, Some("application/json"), "{\"number\": "),
    )
    .await
    .expect(422, "malformed");
    raw(
        api,
        post(
            &numbers,
            Some("text/plain"),
            "{\"number\": \"+6560000009\"}",
        ),
    )
    .await
    .expect(415, "unsupported_media_type");
    raw(api, post(&numbers, None, "{\"number\": \"+6560000009\"}"))
        .await
        .expect(415, "unsupported_media_type");
    let unknown = raw(
        api,
        post(
            &numbers,
            Some("application/json"),
            "{\"number\": \"+6560000009\", \"colour\": 1}",
        ),
    )
    .await;
    unknown.expect(422, "malformed");
    assert!(unknown.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("colour"));
    let big = format!("{{\"number\": \"{}\"}}", "1".repeat(2 * 1024 * 1024));
    raw(api, post(&numbers, Some("application/json"), big))
        .await
        .expect(413, "too_large");

    api.call("GET", "/api/v1/nothing-here", Some(OPERATOR), None)
        .await
        .expect(404, "not_found");
    api.call("GET", "/nowhere", None, None)
        .await
        .expect(404, "not_found");
    api.call("PATCH", "/api/v1/orgs", Some(OPERATOR), None)
        .await
        .expect(405, "method_not_allowed");
    api.call("GET", &w.at("/extensions/provision"), Some(OPERATOR), None)
        .await
        .expect(405, "method_not_allowed");
    api.call("GET", &w.at("/licenses"), None, None)
        .await
        .expect(401, "unauthenticated");
    let basic = Api::request(
        "GET",
        &w.at("/licenses"),
        None,
        None,
        &[("authorization", "Basic b3A6b3A=")],
    );
    raw(api, basic).await.expect(401, "unauthenticated");
}

fn keyed(method: &str, path: &str, token: &str, body: &Value, key: &str) -> Request<Body> {
    Api::request(
        method,
        path,
        Some(token),
        Some(body),
        &[("idempotency-key", key)],
    )
}

#[tokio::test]
async fn idempotent_retries() {
    let w = World::new().await;
    let api = &w.api;
    let owner = w.owner.token.as_str();
    let path = w.at("/extensions/provision");
    let body = json!({"count": 1, "start": "500"});
    let first = raw(api, keyed("POST", &path, owner, &body, "k-1")).await;
    first.expect(201, "");
    let again = raw(api, keyed("POST", &path, owner, &body, "k-1")).await;
    again.expect(201, "");
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    // The retry applied nothing: one more seat in use, not two.
    let l = api
        .ok("GET", &w.at("/licenses"), Some(owner), None, 200)
        .await;
    assert_eq!(l["items"][0]["in_use"], 3);

    raw(
        api,
        keyed(
            "POST",
            &path,
            owner,
            &json!({"count": 1, "start": "501"}),
            "k-1",
        ),
    )
    .await
    .expect(409, "idempotency_key_reused");
    // Keys are scoped per token: the admin's k-1 is its own.
    let admin = raw(
        api,
        keyed(
            "POST",
            &path,
            &w.admin.token,
            &json!({"count": 1, "start": "501"}),
            "k-1",
        ),
    )
    .await;
    admin.expect(201, "");
    // Refusals are remembered too: the retry answers the same refusal.
    let taken = raw(
        api,
        keyed(
            "POST",
            &path,
            owner,
            &json!({"count": 1, "start": "501"}),
            "k-2",
        ),
    )
    .await;
    taken.expect(409, "extension_taken");
    let taken_again = raw(
        api,
        keyed(
            "POST",
            &path,
            owner,
            &json!({"count": 1, "start": "501"}),
            "k-2",
        ),
    )
    .await;
    assert_eq!(taken_again.body, taken.body);
    // A 204 replays as a 204.
    let del = w.at("/extensions/500");
    let gone = raw(
        api,
        Api::request(
            "DELETE",
            &del,
            Some(owner),
            None,
            &[("idempotency-key", "k-3")],
        ),
    )
    .await;
    gone.expect(204, "");
    let gone_again = raw(
        api,
        Api::request(
            "DELETE",
            &del,
            Some(owner),
            None,
            &[("idempotency-key", "k-3")],
        ),
    )
    .await;
    gone_again.expect(204, "");
    assert_eq!(gone_again.headers["idempotent-replayed"], "true");
    // Without a key, a retry is a new request.
    api.call("DELETE", &del, Some(owner), None)
        .await
        .expect(404, "not_found");
    let long = "k".repeat(300);
    raw(api, keyed("POST", &path, owner, &body, &long))
        .await
        .expect(422, "malformed");
}

/// The claim of a key as the middleware makes it: scope of the token, hash of the request.
fn claim_of(token: &str, path: &str, body: &Value) -> (String, String) {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let scope = format!("token:{}", hex(&Sha256::digest(token.as_bytes())));
    let hash = hex(&Sha256::digest(format!("POST\n{path}\n{body}").as_bytes()));
    (scope, hash)
}

/// Claims made by another process sharing the database: a running one refuses the key, a
/// stale one (its process died) is taken over, a refused token leaves no claim behind.
#[tokio::test]
async fn idempotency_claims_across_processes() {
    let w = World::new().await;
    let api = &w.api;
    let owner = w.owner.token.as_str();
    let path = w.at("/extensions/provision");
    let body = json!({"count": 1, "start": "500"});
    let (scope, hash) = claim_of(owner, &path, &body);
    let long_ago = "2000-01-01T00:00:00.000Z";

    assert!(api
        .store
        .idempotency_claim(&scope, "running", &hash, &seatline_app::now(), long_ago)
        .await
        .unwrap());
    raw(api, keyed("POST", &path, owner, &body, "running"))
        .await
        .expect(409, "idempotency_key_in_progress");
    raw(
        api,
        keyed("POST", &path, owner, &json!({"count": 1}), "running"),
    )
    .await
    .expect(409, "idempotency_key_reused");
    let l = api
        .ok("GET", &w.at("/licenses"), Some(owner), None, 200)
        .await;
    assert_eq!(
        l["items"][0]["in_use"], 2,
        "a refused retry applies nothing"
    );

    assert!(api
        .store
        .idempotency_claim(&scope, "dead", &hash, long_ago, long_ago)
        .await
        .unwrap());
    let taken_over = raw(api, keyed("POST", &path, owner, &body, "dead")).await;
    taken_over.expect(201, "");
    let again = raw(api, keyed("POST", &path, owner, &body, "dead")).await;
    again.expect(201, "");
    assert_eq!(again.body, taken_over.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");

    // A process killed after its write committed and before it recorded the answer: the
    // write transaction marked the claim applied, so the retry is told, and writes nothing.
    assert!(api
        .store
        .idempotency_claim(&scope, "applied", &hash, long_ago, long_ago)
        .await
        .unwrap());
    let mut tx = api
        .store
        .lock(&seatline_domain::OrgId(w.org.clone()))
        .await
        .unwrap()
        .expect("the org");
    tx.idempotency_applied(&scope, "applied", long_ago)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let before = api
        .ok("GET", &w.at("/licenses"), Some(owner), None, 200)
        .await;
    raw(api, keyed("POST", &path, owner, &body, "applied"))
        .await
        .expect(409, "idempotent_request_applied");
    let after = api
        .ok("GET", &w.at("/licenses"), Some(owner), None, 200)
        .await;
    assert_eq!(
        after["items"][0]["in_use"], before["items"][0]["in_use"],
        "the retry of an applied request writes nothing"
    );

    // A response that says nothing about the request (401 here, a 5xx alike) releases the
    // claim instead of remembering it.
    raw(api, keyed("POST", &path, &w.revoked, &body, "refused"))
        .await
        .expect(401, "unauthenticated");
    let (revoked_scope, _) = claim_of(&w.revoked, &path, &body);
    assert_eq!(
        api.store
            .idempotency_get(&revoked_scope, "refused")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn openapi_document_lists_routes_codes_and_bearer() {
    let api = Api::new().await;
    let doc = api.ok("GET", "/api/openapi.json", None, None, 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
        ["enum"]
        .as_array()
        .unwrap()
        .clone();
    for c in seatline_domain::ErrorCode::ALL {
        assert!(
            codes.contains(&json!(c.as_str())),
            "{} is not documented",
            c.as_str()
        );
    }
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/orgs", &["post"][..]),
        ("/api/v1/orgs/{org}", &["get"]),
        ("/api/v1/orgs/{org}/subscriptions/{code}", &["put"]),
        ("/api/v1/orgs/{org}/licenses", &["get"]),
        ("/api/v1/orgs/{org}/numbers", &["get", "post"]),
        ("/api/v1/orgs/{org}/numbers/{number}", &["delete"]),
        ("/api/v1/orgs/{org}/members", &["get", "post"]),
        (
            "/api/v1/orgs/{org}/members/{member}",
            &["get", "patch", "delete"],
        ),
        ("/api/v1/orgs/{org}/members/{member}/entitlements", &["get"]),
        ("/api/v1/orgs/{org}/members/{member}/tokens", &["post"]),
        (
            "/api/v1/orgs/{org}/members/{member}/tokens/{token}",
            &["delete"],
        ),
        (
            "/api/v1/orgs/{org}/members/{member}/transfer-ownership",
            &["post"],
        ),
        ("/api/v1/orgs/{org}/extensions", &["get"]),
        ("/api/v1/orgs/{org}/extensions/provision", &["post"]),
        ("/api/v1/orgs/{org}/extensions/{key}", &["get", "delete"]),
        (
            "/api/v1/orgs/{org}/extensions/{key}/member",
            &["put", "delete"],
        ),
        ("/api/v1/orgs/{org}/extensions/{key}/addons", &["put"]),
        ("/api/v1/orgs/{org}/extensions/{key}/numbers", &["put"]),
        ("/api/v1/orgs/{org}/contact-center", &["get"]),
        ("/api/v1/orgs/{org}/audit", &["get"]),
        ("/api/v1/orgs/{org}/reports/usage", &["get"]),
        ("/api/v1/orgs/{org}/reports/findings", &["get"]),
        ("/api/v1/orgs/{org}/reports/findings/plan", &["post"]),
        ("/api/v1/orgs/{org}/scim-tokens", &["get", "post"]),
        ("/api/v1/orgs/{org}/scim-tokens/{id}", &["delete"]),
        ("/api/v1/me", &["get"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for m in methods {
            let op = &paths[path][*m];
            assert!(op.is_object(), "{m} {path} is not documented");
            if path.starts_with("/api/v1/") {
                assert_eq!(op["security"], json!([{"bearer": []}]), "{m} {path}");
                assert!(op["responses"]["401"].is_object(), "{m} {path}");
            }
        }
    }
    assert_eq!(
        seatline_http::openapi_document().paths.paths.len(),
        paths.len()
    );
}

#[tokio::test]
async fn reference_page_works_offline() {
    let api = Api::new().await;
    let page = api
        .send(Api::request("GET", "/api/docs/", None, None, &[]))
        .await;
    assert_eq!(page.status(), 200);
    let html = Api::read(page).await.body.as_str().unwrap().to_owned();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("://"),
        "the page must not load anything from elsewhere: {html}"
    );
    let init = api
        .send(Api::request(
            "GET",
            "/api/docs/swagger-initializer.js",
            None,
            None,
            &[],
        ))
        .await;
    assert_eq!(init.status(), 200);
    let js = Api::read(init).await.body.as_str().unwrap().to_owned();
    assert!(js.contains("/api/openapi.json"), "{js}");
}

#[tokio::test]
async fn health_and_metrics() {
    let w = World::new().await;
    let api = &w.api;
    assert_eq!(
        api.ok("GET", "/healthz", None, None, 200).await,
        json!({"status": "ok"})
    );
    assert_eq!(
        api.ok("GET", "/readyz", None, None, 200).await,
        json!({"status": "ready"})
    );
    api.call("GET", &w.at("/licenses"), None, None).await;
    // The metrics name every organization: only the operator reads them.
    api.call("GET", "/metrics", None, None)
        .await
        .expect(401, "unauthenticated");
    api.call("GET", "/metrics", Some(&w.owner.token), None)
        .await
        .expect(403, "forbidden");
    let m = api
        .send(Api::request("GET", "/metrics", Some(OPERATOR), None, &[]))
        .await;
    assert!(m.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = Api::read(m).await.body.as_str().unwrap().to_owned();
    assert!(
        text.contains(
            "seatline_http_requests_total{method=\"POST\",route=\"/api/v1/orgs/{org}/extensions/provision\",status=\"201\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("seatline_http_requests_total{method=\"GET\",route=\"/api/v1/orgs/{org}/licenses\",status=\"401\"} 1"),
        "{text}"
    );
    assert!(text.contains("seatline_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",status=\"200\",le=\"+Inf\"} 1"), "{text}");
    assert!(
        text.contains(&format!(
            "seatline_seats_in_use{{org=\"{}\",code=\"phone_system\"}} 2",
            w.org
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "seatline_seats_purchased{{org=\"{}\",code=\"license_center\"}} 5",
            w.org
        )),
        "{text}"
    );
}

#[tokio::test]
async fn benchmark_baselines_exist_only_when_asked_for() {
    let api = Api::with_bench(true).await;
    let org = api
        .ok(
            "POST",
            "/api/v1/orgs",
            Some(OPERATOR),
            Some(json!({"name": "B", "owner": {"email": "o@b.test"}})),
            201,
        )
        .await;
    let org = org["id"].as_str().unwrap();
    assert_eq!(
        api.ok("GET", "/bench/baseline", None, None, 200).await,
        json!({"status": "ok"})
    );
    api.call("POST", &format!("/bench/write/{org}"), None, None)
        .await
        .expect(204, "");
    api.call("POST", "/bench/write/org_missing", None, None)
        .await
        .expect(404, "not_found");

    let plain = Api::new().await;
    plain
        .call("GET", "/bench/baseline", None, None)
        .await
        .expect(404, "not_found");
    plain
        .call("POST", &format!("/bench/write/{org}"), None, None)
        .await
        .expect(404, "not_found");
}

/// The upload is documented as a file (a file picker on the reference page), the XLSX
/// export as bytes, and every error example carries a code the API really answers with,
/// matching its status.
#[tokio::test]
async fn openapi_files_are_binary_and_error_examples_use_real_codes() {
    let api = Api::new().await;
    let doc = api.ok("GET", "/api/openapi.json", None, None, 200).await;
    let upload = &doc["paths"]["/api/v1/orgs/{org}/bulk/plans"]["post"]["requestBody"]["content"];
    for media in [
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ] {
        assert_eq!(
            (
                &upload[media]["schema"]["type"],
                &upload[media]["schema"]["format"]
            ),
            (&json!("string"), &json!("binary")),
            "{media}: {upload:#}"
        );
    }
    let form = &upload["multipart/form-data"]["schema"];
    assert_eq!(form["properties"]["file"]["format"], "binary", "{form:#}");
    assert_eq!(form["required"], json!(["file"]));
    let xlsx = &doc["paths"]["/api/v1/orgs/{org}/extensions/export.xlsx"]["get"]["responses"]
        ["200"]["content"]["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
        ["schema"];
    assert_eq!(xlsx["format"], "binary", "{xlsx:#}");

    let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
        ["enum"]
        .as_array()
        .unwrap()
        .clone();
    let mut examples = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, r) in op["responses"].as_object().unwrap() {
                let json = &r["content"]["application/json"];
                if json["schema"]["$ref"] != "#/components/schemas/Error" {
                    continue;
                }
                let example = &json["example"];
                let code = &example["error"]["code"];
                assert!(codes.contains(code), "{method} {path} {status}: {example}");
                let known = seatline_domain::ErrorCode::ALL
                    .iter()
                    .find(|c| json!(c.as_str()) == *code);
                if let Some(c) = known {
                    let want = match c.kind() {
                        seatline_domain::ErrorKind::Invalid => "422",
                        seatline_domain::ErrorKind::Unauthenticated => "401",
                        seatline_domain::ErrorKind::Forbidden => "403",
                        seatline_domain::ErrorKind::NotFound => "404",
                        seatline_domain::ErrorKind::Conflict => "409",
                        seatline_domain::ErrorKind::TooLarge => "413",
                        seatline_domain::ErrorKind::Gone => "410",
                        seatline_domain::ErrorKind::Unavailable => "503",
                    };
                    assert_eq!(status, want, "{method} {path}: {example}");
                }
                examples += 1;
            }
        }
    }
    assert!(examples > 100, "only {examples} error examples");
    let metrics = &doc["paths"]["/metrics"]["get"];
    assert_eq!(metrics["security"], json!([{"bearer": []}]));
    assert!(metrics["responses"]["403"].is_object());
}
