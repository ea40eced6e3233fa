//! Two `seatline serve` processes run the lifecycle scheduler on one fresh PostgreSQL database
//! (issue 12): with no grace (`--grace-days 0`) and a one-second interval, both find the same
//! expired subscriptions due; each is suspended exactly once (one `subscription.suspend` audit
//! entry per subscription), and the purchased quantity stays. Skips loudly without PostgreSQL, except
//! under `CI=true`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::serve_race::{database, ok, Server};

const OPERATOR: &str = "lifecycle-operator-token";
const ORGS: usize = 4;
const CODES: [&str; 3] = ["phone_system", "license_center", "team_chat"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_make_each_transition_once() {
    let Some(db) = database().await else {
        return;
    };
    let args = [
        "--operator-token",
        OPERATOR,
        "--lifecycle-interval",
        "1",
        "--grace-days",
        "0",
    ];
    let a = Server::start_with(&db.url, &args);
    let b = Server::start_with(&db.url, &args);
    let mut orgs = Vec::new();
    for i in 0..ORGS {
        let org = ok(&a.addr, "POST", "/api/v1/orgs", OPERATOR,
            Some(json!({"name": format!("Tick {i}"), "owner": {"email": format!("owner{i}@tick.example")}})), 201).await;
        let id = org["id"].as_str().expect("org id").to_owned();
        let path = |code: &str| format!("/api/v1/orgs/{id}/subscriptions/{code}");
        ok(
            &b.addr,
            "PUT",
            &path("phone_system"),
            OPERATOR,
            Some(json!({"quantity": 3})),
            200,
        )
        .await;
        for code in CODES {
            // Expired now: with no grace, both schedulers find the suspension due at once.
            let l = ok(
                &b.addr,
                "PUT",
                &path(code),
                OPERATOR,
                Some(json!({"state": "expired"})),
                200,
            )
            .await;
            assert!(
                matches!(l["state"].as_str(), Some("expired" | "suspended")),
                "{l}"
            );
        }
        orgs.push(id);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut suspended = 0;
        for id in &orgs {
            let l = ok(
                &a.addr,
                "GET",
                &format!("/api/v1/orgs/{id}/licenses"),
                OPERATOR,
                None,
                200,
            )
            .await;
            suspended += l["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|l| l["state"] == "suspended")
                .count();
        }
        if suspended == ORGS * CODES.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {suspended} suspended after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for id in &orgs {
        let audit = ok(
            &b.addr,
            "GET",
            &format!("/api/v1/orgs/{id}/audit?action=subscription.suspend&limit=100"),
            OPERATOR,
            None,
            200,
        )
        .await;
        let targets: Vec<&Value> = audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| &e["target"])
            .collect();
        assert_eq!(
            targets.len(),
            CODES.len(),
            "{id}: one suspension per subscription: {audit}"
        );
        for code in CODES {
            assert!(
                targets.contains(&&json!(format!("subscription:{code}"))),
                "{id}: {code}"
            );
        }
        let l = ok(
            &a.addr,
            "GET",
            &format!("/api/v1/orgs/{id}/licenses"),
            OPERATOR,
            None,
            200,
        )
        .await;
        let ps = l["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == "phone_system")
            .unwrap()
            .clone();
        assert_eq!(ps["purchased"], 3, "{id}: the quantity stays");
    }
    drop((a, b));
}
