//! Two `seatline serve` processes on one fresh PostgreSQL database fill one waiting room
//! (product.md §13): 30 members join a templated team while its Contact Center seats are
//! gone, so all 30 wait; a quantity raise to 20 through one process is served by the
//! background passes of both, within a second or two, each member granted once, in join
//! order, and no seat over. Skips loudly when PostgreSQL is unreachable, except under `CI=true`.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::serve_race::{database, ok, Server};

const OPERATOR: &str = "race-operator-token";
const JOINING: usize = 30;
const SEATS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_fill_one_waiting_room_once_in_join_order() {
    let Some(db) = database().await else {
        return;
    };
    let migrate = Command::new(env!("CARGO_BIN_EXE_seatline"))
        .args(["--database-url", &db.url, "migrate"])
        .output()
        .expect("run seatline migrate");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let args = ["--operator-token", OPERATOR];
    let (a, b) = (
        Server::start_with(&db.url, &args),
        Server::start_with(&db.url, &args),
    );
    let (a, b) = (a.addr.as_str(), b.addr.as_str());
    let org = ok(
        a,
        "POST",
        "/api/v1/orgs",
        OPERATOR,
        Some(json!({"name": "Room", "owner": {"email": "o@room.test"}})),
        201,
    )
    .await;
    let o = format!("/api/v1/orgs/{}", org["id"].as_str().unwrap());
    let owner_id = org["owner"]["id"].as_str().unwrap();
    let t = ok(
        b,
        "POST",
        &format!("{o}/members/{owner_id}/tokens"),
        OPERATOR,
        None,
        201,
    )
    .await;
    let owner = t["token"].as_str().unwrap().to_owned();
    ok(
        a,
        "PUT",
        &format!("{o}/subscriptions/phone_system"),
        OPERATOR,
        Some(json!({"quantity": 100})),
        200,
    )
    .await;
    ok(
        a,
        "PUT",
        &format!("{o}/subscriptions/license_center"),
        OPERATOR,
        Some(json!({"quantity": 0})),
        200,
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..JOINING {
        let m = ok(
            b,
            "POST",
            &format!("{o}/members"),
            &owner,
            Some(json!({"email": format!("m{i:02}@room.test")})),
            201,
        )
        .await;
        ids.push(m["id"].as_str().unwrap().to_owned());
    }
    let team = ok(
        a,
        "POST",
        &format!("{o}/teams"),
        &owner,
        Some(json!({"name": "Agents"})),
        201,
    )
    .await;
    let team = team["id"].as_str().unwrap().to_owned();
    ok(
        b,
        "PUT",
        &format!("{o}/teams/{team}/template"),
        &owner,
        Some(json!({"extension": {"from": "5000", "to": "5999"}, "addons": {"license_center": 1}})),
        200,
    )
    .await;
    // Join order is the order the request lists them in: reversed ids, to be sure.
    let order: Vec<String> = ids.iter().rev().cloned().collect();
    ok(
        a,
        "PUT",
        &format!("{o}/teams/{team}/members"),
        &owner,
        Some(json!({"members": order})),
        200,
    )
    .await;
    let room = ok(b, "GET", &format!("{o}/waiting-room"), &owner, None, 200).await;
    let waiting: Vec<&str> = room["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["member"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, order, "all wait, in join order");

    // Seats free: both processes' passes race to serve the room.
    let raised = Instant::now();
    ok(
        a,
        "PUT",
        &format!("{o}/subscriptions/license_center"),
        OPERATOR,
        Some(json!({"quantity": SEATS})),
        200,
    )
    .await;
    let left = loop {
        let room = ok(b, "GET", &format!("{o}/waiting-room"), &owner, None, 200).await;
        let left: Vec<String> = room["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["member"].as_str().unwrap().to_owned())
            .collect();
        if left.len() == JOINING - SEATS || raised.elapsed() > Duration::from_secs(10) {
            break left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = raised.elapsed();
    assert_eq!(
        left,
        order[SEATS..],
        "the first {SEATS} in line were served"
    );
    // Within a second of the commit, with slack for a loaded debug build.
    assert!(
        took < Duration::from_secs(3),
        "the waiting room filled after {took:?}"
    );
    // Each member granted once, no seat over.
    let audit = ok(
        a,
        "GET",
        &format!("{o}/audit?action=template.grant&limit=1000"),
        &owner,
        None,
        200,
    )
    .await;
    let grants: Vec<&Value> = audit["items"].as_array().unwrap().iter().collect();
    assert_eq!(grants.len(), SEATS, "{grants:#?}");
    let mut targets: Vec<&str> = grants
        .iter()
        .map(|g| g["target"].as_str().unwrap())
        .collect();
    targets.sort();
    targets.dedup();
    assert_eq!(targets.len(), SEATS, "a member granted twice");
    assert!(
        grants
            .iter()
            .all(|g| g["actor"].as_str().unwrap().starts_with("system")),
        "{grants:#?}"
    );
    let licenses = ok(a, "GET", &format!("{o}/licenses"), &owner, None, 200).await;
    let lc = licenses["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "license_center")
        .unwrap();
    assert_eq!(lc["in_use"], SEATS, "{lc}");
}
