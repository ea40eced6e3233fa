//! The change feed, the entitlements snapshot, integration tokens and webhook endpoints over
//! HTTP (product.md §8): what a PBX or contact center integrator sees on the wire.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::*;

fn seqs(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

/// The feed pages without gaps from 1, filters by type prefix, refuses bad parameters with
/// the field named, and a long poll answers as soon as a change commits.
#[tokio::test]
async fn events_page_filter_and_wake_up() {
    let w = World::new().await;
    let api = &w.api;
    let admin = Some(w.admin.token.as_str());

    // Every event of the world's setup, in pages of 3, seq 1, 2, 3, … without a gap.
    let (mut all, mut after): (Vec<i64>, i64) = (Vec::new(), 0);
    loop {
        let page = api
            .ok(
                "GET",
                &w.at(&format!("/events?after={after}&limit=3")),
                admin,
                None,
                200,
            )
            .await;
        let got = seqs(&page);
        assert!(got.len() <= 3, "{page:#}");
        all.extend(&got);
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        after = page["next_cursor"].as_str().unwrap().parse().unwrap();
    }
    assert!(all.len() >= 5, "the setup made changes: {all:?}");
    assert_eq!(all, (1..=all.len() as i64).collect::<Vec<_>>());
    let last = *all.last().unwrap();

    // A type prefix keeps only its events; every one carries the documented envelope.
    let ext = api
        .ok(
            "GET",
            &w.at("/events?types=extension.*&limit=1000"),
            admin,
            None,
            200,
        )
        .await;
    let items = ext["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for e in items {
        assert!(e["type"].as_str().unwrap().starts_with("extension."), "{e}");
        assert!(e["id"].as_str().unwrap().starts_with("evt_"), "{e}");
        assert!(
            e["subject"].as_str().unwrap().starts_with("extension:"),
            "{e}"
        );
        assert!(e["data"]["version"].is_i64(), "{e}");
    }

    // Bad parameters name the field.
    for (query, field) in [("wait=31", "wait"), ("types=Extension", "types")] {
        let a = api
            .call("GET", &w.at(&format!("/events?{query}")), admin, None)
            .await;
        a.expect(422, "malformed");
        assert_eq!(a.body["error"]["details"]["field"], field, "{:#}", a.body);
    }
    // A member (an agent) does not read the feed.
    api.call("GET", &w.at("/events"), Some(&w.member.token), None)
        .await
        .expect(403, "forbidden");

    // Caught up: an empty page keeps the cursor.
    let idle = api
        .ok(
            "GET",
            &w.at(&format!("/events?after={last}")),
            admin,
            None,
            200,
        )
        .await;
    assert_eq!(seqs(&idle), Vec::<i64>::new());
    assert_eq!(idle["next_cursor"], last.to_string());

    // A long poll answers when a change commits, not at its timeout.
    let poll = {
        let router = api.router.clone();
        let req = Api::request(
            "GET",
            &w.at(&format!("/events?after={last}&wait=20")),
            admin,
            None,
            &[],
        );
        tokio::spawn(async move {
            let started = Instant::now();
            let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
            (Api::read(resp).await, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    api.ok(
        "PATCH",
        &w.at(&format!("/members/{}", w.spare.id)),
        Some(&w.owner.token),
        Some(json!({"status": "disabled"})),
        200,
    )
    .await;
    let (answer, took) = poll.await.unwrap();
    answer.expect(200, "");
    let items = answer.body["items"].as_array().unwrap();
    assert_eq!(items[0]["seq"], last + 1, "{:#}", answer.body);
    assert_eq!(items[0]["type"], "member.disabled");
    assert_eq!(items[0]["subject"], format!("member:{}", w.spare.id));
    assert!(took < Duration::from_secs(5), "woke after {took:?}");
}

/// The snapshot carries `as_of`; following the feed from there brings later changes only.
/// An integration token reads both and changes nothing.
#[tokio::test]
async fn snapshot_then_follow_with_an_integration_token() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let issued = api
        .ok(
            "POST",
            &w.at("/integration-tokens"),
            owner,
            Some(json!({"name": "PBX"})),
            201,
        )
        .await;
    let pbx = issued["token"].as_str().unwrap().to_owned();
    let pbx = Some(pbx.as_str());
    // An admin may not create one (the owner's); the list never shows a secret.
    api.call(
        "POST",
        &w.at("/integration-tokens"),
        Some(&w.admin.token),
        Some(json!({"name": "x"})),
    )
    .await
    .expect(403, "forbidden");
    let listed = api
        .ok("GET", &w.at("/integration-tokens"), owner, None, 200)
        .await;
    assert!(!listed
        .to_string()
        .contains(issued["token"].as_str().unwrap()));

    let snap = api
        .ok("GET", &w.at("/entitlements?limit=1000"), pbx, None, 200)
        .await;
    let as_of = snap["as_of"].as_i64().unwrap();
    let keys: Vec<&str> = snap["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"101") && keys.contains(&"102"), "{snap:#}");

    // A change after the snapshot is the first thing the follower sees.
    api.ok(
        "PUT",
        &w.at("/extensions/102/member"),
        Some(&w.admin.token),
        Some(json!({"member": w.spare.id})),
        200,
    )
    .await;
    let next = api
        .ok(
            "GET",
            &w.at(&format!("/events?after={as_of}")),
            pbx,
            None,
            200,
        )
        .await;
    let items = next["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{next:#}");
    assert_eq!(items[0]["type"], "extension.assigned");
    assert_eq!(items[0]["data"]["member"]["id"], w.spare.id.as_str());

    // Read-only: the PBX's token changes nothing.
    api.call("DELETE", &w.at("/extensions/102/member"), pbx, None)
        .await
        .expect(403, "forbidden");
    let members = api.ok("GET", &w.at("/members"), pbx, None, 200).await;
    assert!(members["items"].as_array().unwrap().len() >= 5);
    // The PBX's per-call read: one member's entitlements, by id and by email (the token is
    // read with them in one store call).
    let member_path = format!("/members/{}/entitlements", w.member.id);
    let by_id = api.ok("GET", &w.at(&member_path), pbx, None, 200).await;
    assert_eq!(by_id["member"]["id"], w.member.id.as_str());
    let by_email = api
        .ok(
            "GET",
            &w.at("/members/member@acme.test/entitlements"),
            pbx,
            None,
            200,
        )
        .await;
    assert_eq!(by_email, by_id);
    api.call(
        "GET",
        &w.at("/members/nobody@acme.test/entitlements"),
        pbx,
        None,
    )
    .await
    .expect(404, "not_found");
    api.call(
        "GET",
        &format!("/api/v1/orgs/org_elsewhere{member_path}"),
        pbx,
        None,
    )
    .await
    .expect(404, "not_found");

    // Revoked, it stops working at once.
    let id = issued["id"].as_str().unwrap();
    api.ok(
        "DELETE",
        &w.at(&format!("/integration-tokens/{id}")),
        owner,
        None,
        204,
    )
    .await;
    api.call("GET", &w.at("/entitlements"), pbx, None)
        .await
        .expect(401, "unauthenticated");
    api.call("GET", &w.at(&member_path), pbx, None)
        .await
        .expect(401, "unauthenticated");
}

/// Webhook endpoints: the secret once, private targets refused with the documented code,
/// types validated, enable/disable, rotate, delete.
#[tokio::test]
async fn webhook_endpoints() {
    let w = World::new().await;
    let api = &w.api;
    let admin = Some(w.admin.token.as_str());
    let refused = api
        .call(
            "POST",
            &w.at("/webhooks"),
            admin,
            Some(json!({"url": "http://127.0.0.1:9/hook"})),
        )
        .await;
    refused.expect(422, "webhook_target_forbidden");

    // A documentation address: public as far as the guard knows; nothing is sent to it here.
    let url = "https://203.0.113.10/seatline";
    let created = api
        .ok(
            "POST",
            &w.at("/webhooks"),
            admin,
            Some(json!({"url": url, "types": ["extension.*"], "description": "PBX"})),
            201,
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created:#}");
    let id = created["id"].as_str().unwrap().to_owned();
    let one = api
        .ok("GET", &w.at(&format!("/webhooks/{id}")), admin, None, 200)
        .await;
    assert_eq!(one["url"], url);
    assert!(
        !one.to_string().contains(&secret),
        "the secret is shown once: {one:#}"
    );

    api.call(
        "PATCH",
        &w.at(&format!("/webhooks/{id}")),
        admin,
        Some(json!({"types": ["Not A Type"]})),
    )
    .await
    .expect(422, "invalid_webhook_types");
    let off = api
        .ok(
            "PATCH",
            &w.at(&format!("/webhooks/{id}")),
            admin,
            Some(json!({"enabled": false})),
            200,
        )
        .await;
    assert_eq!(off["enabled"], false);

    let rotated = api
        .ok(
            "POST",
            &w.at(&format!("/webhooks/{id}/rotate-secret")),
            admin,
            None,
            200,
        )
        .await;
    let new_secret = rotated["secret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);

    // An agent manages no webhooks; another organization's owner does not see this one.
    api.call("GET", &w.at("/webhooks"), Some(&w.member.token), None)
        .await
        .expect(403, "forbidden");
    api.call(
        "GET",
        &w.at(&format!("/webhooks/{id}")),
        Some(&w.other_owner.token),
        None,
    )
    .await
    .expect(404, "not_found");

    api.ok(
        "DELETE",
        &w.at(&format!("/webhooks/{id}")),
        admin,
        None,
        204,
    )
    .await;
    api.call("GET", &w.at(&format!("/webhooks/{id}")), admin, None)
        .await
        .expect(404, "not_found");
}

/// What the feed's routes refuse, each naming what is wrong: a cursor past the head (409
/// `cursor_ahead` with `head`, also with a wait), `limit=0`, and query parameters they do not
/// know (422 `malformed` naming the known ones), as every list route does. The OpenAPI
/// document lists the 409.
#[tokio::test]
async fn feed_routes_refuse_what_would_mislead_a_consumer() {
    let w = World::new().await;
    let api = &w.api;
    let admin = Some(w.admin.token.as_str());
    let head = api
        .ok("GET", &w.at("/entitlements?limit=1"), admin, None, 200)
        .await["as_of"]
        .as_i64()
        .unwrap();
    for query in [
        format!("after={}", head + 61),
        format!("after={}&wait=20", head + 1),
    ] {
        let started = Instant::now();
        let a = api
            .call("GET", &w.at(&format!("/events?{query}")), admin, None)
            .await;
        a.expect(409, "cursor_ahead");
        assert_eq!(a.body["error"]["details"]["head"], head, "{:#}", a.body);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{query}: not parked"
        );
    }

    let a = api.call("GET", &w.at("/events?limit=0"), admin, None).await;
    a.expect(422, "malformed");
    assert_eq!(a.body["error"]["details"]["field"], "limit", "{:#}", a.body);

    for (path, known) in [
        ("/events?limt=5", "limit"),
        ("/events?page=4", "after"),
        ("/entitlements?offset=1001", "after"),
        ("/entitlements?size=10", "limit"),
    ] {
        let a = api.call("GET", &w.at(path), admin, None).await;
        a.expect(422, "malformed");
        let message = a.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("unknown") && message.contains(known),
            "{path}: {message}"
        );
    }

    let doc = api.ok("GET", "/api/openapi.json", None, None, 200).await;
    let events = &doc["paths"]["/api/v1/orgs/{org}/events"]["get"]["responses"];
    assert!(
        events["409"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("cursor_ahead")),
        "{events:#}"
    );
}

/// `GET /api/v1/me` answers the organization's SCIM and integration tokens with their kind
/// and organization, as docs/decisions.md says.
#[tokio::test]
async fn me_answers_scim_and_integration_tokens() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    for (route, kind) in [
        ("/scim-tokens", "scim"),
        ("/integration-tokens", "integration"),
    ] {
        let issued = api
            .ok(
                "POST",
                &w.at(route),
                owner,
                Some(json!({"name": "IdP"})),
                201,
            )
            .await;
        let token = issued["token"].as_str().unwrap();
        let me = api.ok("GET", "/api/v1/me", Some(token), None, 200).await;
        assert_eq!(
            me,
            json!({"kind": kind, "organization": w.org, "member": null, "role": null}),
            "{route}"
        );
    }
    // A SCIM token reaches nothing else of the API.
    let scim = api
        .ok(
            "POST",
            &w.at("/scim-tokens"),
            owner,
            Some(json!({"name": "IdP 2"})),
            201,
        )
        .await;
    api.call("GET", &w.at("/members"), scim["token"].as_str(), None)
        .await
        .expect(401, "unauthenticated");
}
