//! 64 concurrent requests for the last 10 seats: exactly 10 win, the others get
//! `seats_exhausted`, and the license summary agrees.

use serde_json::json;

use crate::support::{Api, OPERATOR};

const RACERS: usize = 64;
const LEFT: usize = 10;

/// Fire `RACERS` requests at once; answer (successes, seats_exhausted refusals).
async fn race(
    api: &Api,
    token: &str,
    requests: Vec<(&'static str, String, serde_json::Value)>,
) -> (usize, usize) {
    let mut tasks = Vec::new();
    for (method, path, body) in requests {
        let router = api.router.clone();
        let req = Api::request(method, &path, Some(token), Some(&body), &[]);
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            Api::read(router.oneshot(req).await.unwrap()).await
        }));
    }
    let (mut won, mut exhausted) = (0, 0);
    for t in tasks {
        let a = t.await.unwrap();
        match a.status.as_u16() {
            200 | 201 => won += 1,
            409 if a.code() == "seats_exhausted" => exhausted += 1,
            _ => panic!("unexpected answer: {} {:#}", a.status, a.body),
        }
    }
    (won, exhausted)
}

async fn set(api: &Api, o: &str, code: &str, quantity: usize) {
    let path = format!("{o}/subscriptions/{code}");
    api.ok(
        "PUT",
        &path,
        Some(OPERATOR),
        Some(json!({"quantity": quantity})),
        200,
    )
    .await;
}

async fn summary(api: &Api, o: &str, token: &str, code: &str) -> serde_json::Value {
    let l = api
        .ok("GET", &format!("{o}/licenses"), Some(token), None, 200)
        .await;
    let items = l["items"].as_array().unwrap();
    items.iter().find(|x| x["code"] == code).unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_ten_seats_go_to_exactly_ten_requests() {
    let api = Api::new().await;
    let op = Some(OPERATOR);
    let org = api
        .ok(
            "POST",
            "/api/v1/orgs",
            op,
            Some(json!({"name": "Race", "owner": {"email": "o@race.test"}})),
            201,
        )
        .await;
    let o = format!("/api/v1/orgs/{}", org["id"].as_str().unwrap());
    let owner_id = org["owner"]["id"].as_str().unwrap();
    let t = api
        .ok(
            "POST",
            &format!("{o}/members/{owner_id}/tokens"),
            op,
            None,
            201,
        )
        .await;
    let owner = t["token"].as_str().unwrap().to_owned();
    // Provision: 20 purchased, 10 in use, 64 racers for one extension each.
    set(&api, &o, "phone_system", 20).await;
    api.ok(
        "POST",
        &format!("{o}/extensions/provision"),
        Some(&owner),
        Some(json!({"count": LEFT, "start": "100"})),
        201,
    )
    .await;
    let requests = (0..RACERS)
        .map(|i| {
            (
                "POST",
                format!("{o}/extensions/provision"),
                json!({"count": 1, "start": (1000 + i).to_string()}),
            )
        })
        .collect();
    assert_eq!(race(&api, &owner, requests).await, (LEFT, RACERS - LEFT));
    let ps = summary(&api, &o, &owner, "phone_system").await;
    assert_eq!(
        (ps["in_use"].as_u64(), ps["available"].as_u64()),
        (Some(20), Some(0))
    );

    // Add-ons: 64 fresh extensions, 20 Contact Center seats of which 10 are in use.
    set(&api, &o, "phone_system", 20 + RACERS).await;
    api.ok(
        "POST",
        &format!("{o}/extensions/provision"),
        Some(&owner),
        Some(json!({"count": RACERS, "start": "2000"})),
        201,
    )
    .await;
    set(&api, &o, "license_center", 2 * LEFT).await;
    for key in 100..100 + LEFT {
        api.ok(
            "PUT",
            &format!("{o}/extensions/{key}/addons"),
            Some(&owner),
            Some(json!({"addons": ["license_center"]})),
            200,
        )
        .await;
    }
    let requests = (0..RACERS)
        .map(|i| {
            (
                "PUT",
                format!("{o}/extensions/{}/addons", 2000 + i),
                json!({"addons": ["license_center"]}),
            )
        })
        .collect();
    assert_eq!(race(&api, &owner, requests).await, (LEFT, RACERS - LEFT));
    let cc = summary(&api, &o, &owner, "license_center").await;
    assert_eq!(
        (cc["in_use"].as_u64(), cc["available"].as_u64()),
        (Some(20), Some(0))
    );
}
