//! Messages that read right (issue 26): what a refusal says on an endpoint where the reader
//! meets it, counts in English, and a token without a role told what it is. On SQLite and
//! PostgreSQL.

use serde_json::{json, Value};

use crate::support::{World, OPERATOR};

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_read_right() {
    for w in World::all().await {
        let base = format!("/api/v1/orgs/{}", w.org);
        let owner = w.owner.clone();
        let json_type = [("content-type", "application/json")];

        // A subscription's code may be phone_system: the list names every code.
        let a = w
            .send(
                "PUT",
                &format!("{base}/subscriptions/fax"),
                Some(OPERATOR),
                Some(&json!({"quantity": 1})),
                &json_type,
            )
            .await;
        assert_eq!(a.status.as_u16(), 422, "{:#}", a.body);
        let m = message(&a.body);
        assert!(
            m.starts_with("unknown license code \"fax\"; the codes are phone_system, "),
            "[{}] {m}",
            w.name
        );
        assert!(!m.contains("extension itself"), "[{}] {m}", w.name);

        // An organization that does not exist is not "in this organization".
        let a = w
            .send(
                "GET",
                "/api/v1/orgs/org_nope/members",
                Some(OPERATOR),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 404, "{:#}", a.body);
        assert_eq!(message(&a.body), "organization org_nope does not exist");

        // Tokens without a role say what they are and what they may do.
        let integration = w
            .api_ok(
                "POST",
                &format!("{base}/integration-tokens"),
                &owner,
                json!({"name": "PBX"}),
                201,
            )
            .await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let provision = json!({"count": 1, "start": "3001"});
        let a = w
            .send(
                "POST",
                &format!("{base}/extensions/provision"),
                Some(&integration),
                Some(&provision),
                &json_type,
            )
            .await;
        assert_eq!(a.status.as_u16(), 403, "{:#}", a.body);
        let m = message(&a.body);
        assert!(
            m.starts_with("an integration token only reads") && m.contains("provision extensions"),
            "[{}] {m}",
            w.name
        );
        assert!(!m.contains("role"), "[{}] {m}", w.name);
        let a = w
            .send(
                "POST",
                &format!("{base}/extensions/provision"),
                Some(OPERATOR),
                Some(&provision),
                &json_type,
            )
            .await;
        assert_eq!(a.status.as_u16(), 403, "{:#}", a.body);
        let m = message(&a.body);
        assert!(
            m.starts_with("the operator token may not provision extensions"),
            "[{}] {m}",
            w.name
        );

        // A stale plan counts its problems in English.
        for (rows, said) in [
            (vec!["3001"], "1 row problem now stands in the way"),
            (vec!["3002", "3003"], "2 row problems now stand in the way"),
        ] {
            let file = format!("Ext key\n{}\n", rows.join("\n"));
            let plan = w
                .send_raw(
                    "POST",
                    &format!("{base}/bulk/plans"),
                    &owner,
                    "text/csv",
                    file.into_bytes(),
                )
                .await;
            assert_eq!(plan.body["can_apply"], true, "{:#}", plan.body);
            let id = plan.body["id"].as_str().unwrap();
            w.api_ok(
                "POST",
                &format!("{base}/extensions/provision"),
                &owner,
                json!({"count": rows.len(), "start": rows[0]}),
                201,
            )
            .await;
            let a = w
                .send(
                    "POST",
                    &format!("{base}/bulk/plans/{id}/apply"),
                    Some(&owner),
                    None,
                    &[],
                )
                .await;
            assert_eq!(a.status.as_u16(), 409, "{:#}", a.body);
            assert!(message(&a.body).contains(said), "[{}] {:#}", w.name, a.body);
        }

        // A stale cleanup plan too: 3001 is unassigned, then assigned before the apply.
        let plan = w
            .api_ok(
                "POST",
                &format!("{base}/reports/findings/plan"),
                &owner,
                json!({"kinds": ["extension_unassigned"], "extensions": ["3001"]}),
                201,
            )
            .await;
        let id = plan["id"].as_str().unwrap();
        w.api_ok(
            "PUT",
            &format!("{base}/extensions/3001/member"),
            &owner,
            json!({"member": "owner@acme.test"}),
            200,
        )
        .await;
        let a = w
            .send(
                "POST",
                &format!("{base}/bulk/plans/{id}/apply"),
                Some(&owner),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 409, "{:#}", a.body);
        assert!(
            message(&a.body).contains("and 1 row no longer matches;"),
            "[{}] {:#}",
            w.name,
            a.body
        );
    }
}
