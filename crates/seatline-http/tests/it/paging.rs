//! Issue 26: every list pages the same way (`cursor`, with `after` as its alias, and
//! `next_cursor` in the answer), a bulk plan's rows page at `…/plans/{plan}/rows`, the plan
//! body stays small, and the findings page.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};

use crate::support::{Api, World};

/// Every item of a list, following `next_cursor` with the parameter `name`.
async fn walk(w: &World, token: &str, path: &str, name: &str) -> Vec<Value> {
    let (mut items, mut cursor) = (Vec::new(), None::<String>);
    for _ in 0..100 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => w.at(&format!("{path}{sep}{name}={c}")),
            None => w.at(path),
        };
        let page = w.api.ok("GET", &url, Some(token), None, 200).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) if page["items"].as_array().is_some_and(|i| !i.is_empty()) => {
                cursor = Some(c.to_owned())
            }
            _ => return items,
        }
    }
    panic!("{path} did not end");
}

#[tokio::test]
async fn every_list_takes_cursor_and_after() {
    let w = World::new().await;
    let t = w.owner.token.as_str();
    for path in [
        "/members?limit=2",
        "/extensions?limit=1",
        "/audit?limit=3",
        "/contact-center?limit=2",
        "/entitlements?limit=1",
        "/events?limit=2",
    ] {
        let by_cursor = walk(&w, t, path, "cursor").await;
        let by_after = walk(&w, t, path, "after").await;
        // At least two pages, so the cursor was followed.
        assert!(by_cursor.len() >= 2, "{path}: {by_cursor:?}");
        assert_eq!(by_cursor, by_after, "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_names_the_paging_parameter_and_its_alias() {
    let w = World::new().await;
    let doc = w.api.ok("GET", "/api/openapi.json", None, None, 200).await;
    let param = |path: &str, name: &str| -> String {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let p = params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no {name}"));
        p["description"].as_str().unwrap_or("").to_owned()
    };
    for path in [
        "/api/v1/orgs/{org}/members",
        "/api/v1/orgs/{org}/extensions",
        "/api/v1/orgs/{org}/audit",
        "/api/v1/orgs/{org}/contact-center",
        "/api/v1/orgs/{org}/bulk/plans/{plan}/rows",
        "/api/v1/orgs/{org}/reports/findings",
    ] {
        let d = param(path, "cursor");
        assert!(d.contains("`after`"), "{path}: {d}");
    }
    for path in [
        "/api/v1/orgs/{org}/events",
        "/api/v1/orgs/{org}/entitlements",
    ] {
        let d = param(path, "after");
        assert!(d.contains("`cursor`"), "{path}: {d}");
    }
}

async fn upload(w: &World, csv: String) -> Value {
    let req = Request::builder()
        .method("POST")
        .uri(w.at("/bulk/plans"))
        .header("authorization", format!("Bearer {}", w.owner.token))
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let a = Api::read(w.api.send(req).await).await;
    assert_eq!(a.status, 201, "{:#}", a.body);
    a.body
}

#[tokio::test]
async fn plan_rows_page_and_the_plan_body_stays_small() {
    let w = World::new().await;
    let t = w.owner.token.as_str();
    // 1,200 rows, 1,100 with a bad key: more rows and errors than the body lists.
    let mut csv = String::from("Ext key,User\n");
    for i in 0..1_200 {
        if i < 1_100 {
            csv.push_str(&format!("x{i},\n"));
        } else {
            csv.push_str(&format!("{},\n", 2_000 + i));
        }
    }
    let plan = upload(&w, csv).await;
    let id = plan["id"].as_str().unwrap();
    for body in [
        plan.clone(),
        w.api
            .ok(
                "GET",
                &w.at(&format!("/bulk/plans/{id}")),
                Some(t),
                None,
                200,
            )
            .await,
    ] {
        assert_eq!(body["rows"], 1_200);
        assert_eq!(body["items"].as_array().unwrap().len(), 1_000);
        assert_eq!(body["items_total"], 1_200);
        assert_eq!(body["items_truncated"], true);
        // The first 1,000 row errors, then the file's own (seats) always.
        let listed = body["errors"].as_array().unwrap();
        assert_eq!(listed.iter().filter(|e| e["row"].is_u64()).count(), 1_000);
        assert_eq!(body["error_count"], 1_101, "1,100 bad keys and the seats");
        assert_eq!(body["errors_truncated"], true);
        assert_eq!(body["warnings_truncated"], false);
    }
    let rows = walk(&w, t, &format!("/bulk/plans/{id}/rows?limit=500"), "cursor").await;
    assert_eq!(rows.len(), 1_200);
    let numbers: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (2..1_202).collect::<Vec<u64>>());
    assert_eq!(rows[0]["outcome"], "error");
    assert_eq!(rows[1_199]["key"], "3199");
    let by_after = walk(&w, t, &format!("/bulk/plans/{id}/rows?limit=700"), "after").await;
    assert_eq!(rows, by_after);
    // A small plan answers whole, flagged as such.
    let small = w
        .api
        .ok(
            "GET",
            &w.at(&format!("/bulk/plans/{}", w.plan)),
            Some(t),
            None,
            200,
        )
        .await;
    assert_eq!(small["items"].as_array().unwrap().len(), 1);
    assert_eq!(small["items_truncated"], false);
    // Bad cursors and unknown plans answer in the error shape.
    w.api
        .call(
            "GET",
            &w.at(&format!("/bulk/plans/{id}/rows?cursor=x")),
            Some(t),
            None,
        )
        .await
        .expect(422, "malformed");
    w.api
        .call("GET", &w.at("/bulk/plans/nope/rows"), Some(t), None)
        .await
        .expect(404, "not_found");
    w.api
        .call(
            "GET",
            &w.at(&format!("/bulk/plans/{id}/rows")),
            Some(w.other_owner.token.as_str()),
            None,
        )
        .await
        .expect(404, "not_found");
}

#[tokio::test]
async fn findings_page_and_csv_stays_whole() {
    let w = World::new().await;
    let t = w.owner.token.as_str();
    // Two more unassigned extensions: three findings.
    w.api
        .ok(
            "POST",
            &w.at("/extensions/provision"),
            Some(t),
            Some(json!({"count": 2, "start": 500})),
            201,
        )
        .await;
    let all = w
        .api
        .ok("GET", &w.at("/reports/findings"), Some(t), None, 200)
        .await;
    assert_eq!(all["next_cursor"], json!(null));
    let all = all["items"].as_array().unwrap().clone();
    assert!(all.len() >= 3, "{all:?}");
    assert_eq!(
        walk(&w, t, "/reports/findings?limit=1", "cursor").await,
        all
    );
    assert_eq!(walk(&w, t, "/reports/findings?limit=1", "after").await, all);
    let csv = w
        .api
        .ok(
            "GET",
            &w.at("/reports/findings?format=csv&limit=1"),
            Some(t),
            None,
            200,
        )
        .await;
    assert_eq!(
        csv.as_str().unwrap().lines().count(),
        all.len() + 1,
        "{csv}"
    );
    w.api
        .call("GET", &w.at("/reports/findings?cursor=-1"), Some(t), None)
        .await
        .expect(422, "malformed");
}
