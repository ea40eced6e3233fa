//! Subscription lifecycle on a fake clock (issue 12), through the real binary: a Contact
//! Center subscription whose term ends goes expired (still effective, no new copies),
//! suspended 30 days later (not effective: Contact Center not ready), terminated 60 days after
//! that, with `license summary` and `entitlements` read at each step; a tick repeated at the
//! same time changes nothing, nothing is ever removed, and a renewal brings the code back.

use serde_json::{json, Value};

use crate::Cli;

fn license<'a>(summary: &'a Value, code: &str) -> &'a Value {
    summary["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {summary}"))
}

fn center_flag(ent: &Value) -> Value {
    ent["extension"]["effective"]
        .as_array()
        .expect("effective")
        .iter()
        .find(|e| e["code"] == "license_center")
        .cloned()
        .expect("license_center flag")
}

#[test]
fn term_end_expired_suspended_terminated_on_a_fake_clock() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Clock",
        "--owner-email",
        "owner@clock.example",
    ]);
    let o = org["id"].as_str().unwrap().to_owned();
    let o = o.as_str();
    for (code, q) in [("phone_system", "5"), ("device_web_rtc", "5")] {
        cli.json(&["license", "set", "--org", o, code, q]);
    }
    let l = cli.json(&[
        "lifecycle",
        "set",
        "--org",
        o,
        "license_center",
        "--quantity",
        "2",
        "--term-end",
        "2031-01-31",
        "--unit-price",
        "12.50",
        "--currency",
        "eur",
    ]);
    assert_eq!(
        (
            &l["state"],
            &l["term_end"],
            &l["unit_price"],
            &l["currency"]
        ),
        (
            &json!("active"),
            &json!("2031-01-31"),
            &json!("12.50"),
            &json!("EUR")
        )
    );
    cli.json(&[
        "ext",
        "provision",
        "--org",
        o,
        "--count",
        "2",
        "--start",
        "1001",
    ]);
    cli.json(&["ext", "assign", "--org", o, "1001", "owner@clock.example"]);
    cli.json(&[
        "ext",
        "addons",
        "--org",
        o,
        "1001",
        "license_center",
        "device_web_rtc",
    ]);

    // Each step: (tick time, state, state_since, license_center effective, reason, CC ready).
    let steps = [
        (
            "2031-01-31T23:59:59Z",
            "active",
            Value::Null,
            true,
            Value::Null,
            true,
        ),
        (
            "2031-02-01T00:00:00Z",
            "expired",
            json!("2031-02-01T00:00:00.000Z"),
            true,
            Value::Null,
            true,
        ),
        (
            "2031-03-03T00:00:00Z",
            "suspended",
            json!("2031-03-03T00:00:00.000Z"),
            false,
            json!("subscription_suspended"),
            false,
        ),
        (
            "2031-05-02T00:00:00Z",
            "terminated",
            json!("2031-05-02T00:00:00.000Z"),
            false,
            json!("subscription_terminated"),
            false,
        ),
    ];
    let mut transitions = 0;
    for (now, state, since, effective, reason, ready) in steps {
        let tick = cli.json(&["lifecycle", "tick", "--now", now]);
        transitions += tick["transitions"].as_array().unwrap().len();
        // The same tick again changes nothing.
        let again = cli.json(&["lifecycle", "tick", "--now", now]);
        assert_eq!(again["transitions"], json!([]), "{now}");

        let summary = cli.json(&["license", "summary", "--org", o]);
        let lc = license(&summary, "license_center");
        assert_eq!(
            (&lc["state"], &lc["state_since"]),
            (&json!(state), &since),
            "{now}"
        );
        assert_eq!(
            (&lc["in_use"], &lc["purchased"]),
            (&json!(1), &json!(2)),
            "{now}: nothing removed"
        );
        assert_eq!(license(&summary, "phone_system")["state"], "active");

        let ent = cli.json(&["entitlements", "--org", o, "owner@clock.example"]);
        let flag = center_flag(&ent);
        assert_eq!(
            (&flag["effective"], &flag["reason"]),
            (&json!(effective), &reason),
            "{now}"
        );
        assert_eq!(ent["contact_center"]["ready"], json!(ready), "{now}");
        assert_eq!(
            ent["extension"]["addons"],
            json!(["device_web_rtc", "license_center"]),
            "{now}: add-ons stay"
        );
        let entitled = ent["entitled"].as_array().unwrap();
        assert_eq!(
            entitled.contains(&json!("license_center")),
            effective,
            "{now}"
        );
        if !ready {
            assert_eq!(ent["contact_center"]["missing"], json!([reason]), "{now}");
        }
        // A new copy is refused from the moment the term is over.
        if state != "active" {
            let out = cli.run(&[
                "--json",
                "ext",
                "addons",
                "--org",
                o,
                "1002",
                "license_center",
            ]);
            assert_eq!(out.status.code(), Some(1), "{now}");
            let err: Value = serde_json::from_slice(&out.stderr).expect("json error");
            assert_eq!(
                err["error"]["code"],
                format!("subscription_{state}"),
                "{now}"
            );
        }
    }
    assert_eq!(transitions, 3, "each transition made once");

    // Terminated is final except for a renewal, which brings the code back.
    let out = cli.run(&[
        "--json",
        "lifecycle",
        "set",
        "--org",
        o,
        "license_center",
        "--state",
        "active",
    ]);
    let err: Value = serde_json::from_slice(&out.stderr).expect("json error");
    assert_eq!(err["error"]["code"], "invalid_transition");
    assert_eq!(
        err["error"]["details"],
        json!({"from": "terminated", "to": "active"})
    );
    let l = cli.json(&[
        "lifecycle",
        "set",
        "--org",
        o,
        "license_center",
        "--state",
        "active",
        "--renew",
        "--quantity",
        "3",
    ]);
    assert_eq!(
        (&l["state"], &l["purchased"], &l["term_end"]),
        (&json!("active"), &json!(3), &Value::Null)
    );
    let ent = cli.json(&["entitlements", "--org", o, "owner@clock.example"]);
    assert_eq!(center_flag(&ent)["effective"], true);
    assert_eq!(ent["contact_center"]["ready"], true);
}
