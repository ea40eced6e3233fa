//! `POST …/activity` (product.md §14) over HTTP: a full batch of 10,000 of the longest items
//! fits the route's body limit, one more item is 413, a token made to report may, a plain
//! integration token and a member may not, and the extension read shows what was kept.

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::support::World;

fn items(n: usize) -> Vec<Value> {
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true);
    (0..n)
        .map(|i| {
            json!({"extension": format!("{}", 10000 + i % 89999), "kind": "contact_center_sign_in",
                   "device": "desktop_app", "at": at})
        })
        .collect()
}

#[tokio::test]
async fn reports_over_http() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let pbx = api
        .ok(
            "POST",
            &w.at("/integration-tokens"),
            owner,
            Some(json!({"name": "PBX", "can_report_activity": true})),
            201,
        )
        .await;
    assert_eq!(pbx["can_report_activity"], true);
    let reader = api
        .ok(
            "POST",
            &w.at("/integration-tokens"),
            owner,
            Some(json!({"name": "reader"})),
            201,
        )
        .await;
    assert_eq!(reader["can_report_activity"], false);
    let pbx = pbx["token"].as_str().unwrap();

    let full = json!({ "items": items(10_000) });
    assert!(
        full.to_string().len() > 1024 * 1024,
        "longer than the API's usual limit"
    );
    let r = api
        .ok("POST", &w.at("/activity"), Some(pbx), Some(full), 200)
        .await;
    assert_eq!(r["recorded"], 0);
    assert_eq!(r["ignored"].as_array().unwrap().len(), 10_000);
    api.call(
        "POST",
        &w.at("/activity"),
        Some(pbx),
        Some(json!({ "items": items(10_001) })),
    )
    .await
    .expect(413, "too_large");
    api.call("POST", &w.at("/activity"), Some(pbx), Some(json!([])))
        .await
        .expect(422, "malformed");
    let one = json!({"items": [{"extension": "101", "kind": "registration", "device": "web_rtc",
                                "at": "2026-01-02T03:04:05Z"}]});
    for refused in [reader["token"].as_str().unwrap(), w.member.token.as_str()] {
        api.call("POST", &w.at("/activity"), Some(refused), Some(one.clone()))
            .await
            .expect(403, "forbidden");
    }
    let r = api
        .ok("POST", &w.at("/activity"), Some(pbx), Some(one), 200)
        .await;
    assert_eq!(
        r,
        json!({"recorded": 1, "changed": 1, "ignored": [], "refused": []})
    );
    let ext = api
        .ok("GET", &w.at("/extensions/101"), owner, None, 200)
        .await;
    assert_eq!(
        ext["last_activity"],
        json!([{"kind": "registration", "device": "web_rtc", "at": "2026-01-02T03:04:05.000Z"}])
    );
    let m = api
        .ok(
            "GET",
            &w.at(&format!("/members/{}", w.member.id)),
            owner,
            None,
            200,
        )
        .await;
    assert_eq!(m["last_activity"], ext["last_activity"]);
}

#[tokio::test]
async fn a_cdr_file_uploads_as_its_body() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let sample = include_bytes!("../../../../docs/samples/Master.csv");
    let upload = |query: &str| {
        let mut req = crate::support::Api::request(
            "POST",
            &w.at(&format!("/activity/import{query}")),
            owner,
            None,
            &[("content-type", "text/csv")],
        );
        *req.body_mut() = axum::body::Body::from(&sample[..]);
        req
    };
    let r = crate::support::Api::read(api.send(upload("?format=asterisk-cdr")).await).await;
    assert_eq!(r.status.as_u16(), 200, "{:#}", r.body);
    // World's extensions are 101 and 102: every key in the sample is unknown here.
    assert_eq!(r.body["lines"], 9);
    assert_eq!(r.body["records"], 5);
    assert_eq!(r.body["recorded"], 0);
    assert_eq!(r.body["ignored_total"], 3);
    assert_eq!(
        r.body["refused"][1],
        json!({"index": 6, "field": "start", "code": "invalid_time",
               "message": "start \"yesterday\" is not a date as Asterisk writes it (2026-12-07 09:30:00)"})
    );
    let r = crate::support::Api::read(api.send(upload("?format=csv")).await).await;
    r.expect(422, "malformed");
    let r = crate::support::Api::read(
        api.send(upload("?format=asterisk-cdr&utc_offset=CET"))
            .await,
    )
    .await;
    r.expect(422, "malformed");
    let member = crate::support::Api::request(
        "POST",
        &w.at("/activity/import?format=asterisk-cdr"),
        Some(&w.member.token),
        None,
        &[],
    );
    crate::support::Api::read(api.send(member).await)
        .await
        .expect(403, "forbidden");
}

/// Idle copies over HTTP (product.md §14): `at` and `idle_days` on the usage report and the
/// findings, the `idle` column, refusals naming the parameter, and the OpenAPI additions.
#[tokio::test]
async fn idle_reports_over_http() {
    let w = World::new().await;
    let api = &w.api;
    let t = Some(w.owner.token.as_str());
    let far = (Utc::now() + chrono::Duration::days(401)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let soon = (Utc::now() + chrono::Duration::days(60)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let u = api
        .ok(
            "GET",
            &w.at(&format!("/reports/usage?at={soon}&idle_days=30")),
            t,
            None,
            200,
        )
        .await;
    assert!(
        u["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["idle"].is_u64()),
        "{u}"
    );
    api.ok(
        "GET",
        &w.at(&format!("/reports/findings?at={soon}&kind=idle_extension")),
        t,
        None,
        200,
    )
    .await;
    for (path, field) in [
        (format!("/reports/usage?at={far}"), "at"),
        (format!("/reports/findings?at={far}"), "at"),
        ("/reports/findings?at=tomorrow".to_owned(), "at"),
        ("/reports/usage?idle_days=0".to_owned(), "idle_days"),
    ] {
        let r = api.call("GET", &w.at(&path), t, None).await;
        r.expect(422, "");
        assert_eq!(
            r.body["error"]["details"]["field"], field,
            "{path}: {}",
            r.body
        );
    }
    let r = api
        .call(
            "POST",
            &w.at("/reports/findings/plan"),
            t,
            Some(json!({"kinds": ["idle_extension"]})),
        )
        .await;
    r.expect(422, "invalid_finding_kind");
    assert_eq!(r.body["error"]["details"]["field"], "kinds");

    let doc = api.ok("GET", "/api/openapi.json", None, None, 200).await;
    for p in [
        "/api/v1/orgs/{org}/reports/usage",
        "/api/v1/orgs/{org}/reports/findings",
    ] {
        let names: Vec<&str> = doc["paths"][p]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x["name"].as_str())
            .collect();
        assert!(
            names.contains(&"at") && names.contains(&"idle_days"),
            "{p}: {names:?}"
        );
    }
    assert!(doc["components"]["schemas"]["UsageLine"]["properties"]["idle"].is_object());
}
