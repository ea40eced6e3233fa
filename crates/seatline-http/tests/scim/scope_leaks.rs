//! A team-scoped admin learns nothing outside its reach (product.md §12, issue 26): for every
//! request it can make about an object out of its teams, the answer is the one a request about
//! an object that does not exist gets — same status, same body once the identifier asked for
//! is blanked out. On SQLite and PostgreSQL.

use serde_json::{json, Value};

use crate::support::World;
use crate::teams::Setup;

/// The body with every occurrence of `probe` replaced, so that the answers about two
/// different identifiers compare.
fn blanked(body: &Value, probe: &str) -> String {
    body.to_string().replace(probe, "<asked>")
}

/// One probe: a request about an object out of reach and the same request about an object
/// that does not exist, each with the identifier it names.
struct Probe {
    what: &'static str,
    method: &'static str,
    hidden: (String, Value, String),
    missing: (String, Value, String),
}

fn probe(
    what: &'static str,
    method: &'static str,
    hidden: (String, Value, &str),
    missing: (String, Value, &str),
) -> Probe {
    Probe {
        what,
        method,
        hidden: (hidden.0, hidden.1, hidden.2.to_owned()),
        missing: (missing.0, missing.1, missing.2.to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_reach_answers_as_nonexistent() {
    for w in World::all().await {
        let s = Setup::new(&w).await;
        let base = Setup::base(&w);
        let owner = w.owner.clone();
        let scoped_a = s.tokens[2].clone();
        let [m_a, m_b, _] = &s.members;
        // 2002 (held by bob, team B) carries a number; zed is in no team and an owner's
        // ready plan gives it a new extension.
        w.api_ok(
            "PUT",
            &format!("{base}/extensions/2002/addons"),
            &owner,
            json!({"addons": ["license_number"]}),
            200,
        )
        .await;
        w.api_ok(
            "PUT",
            &format!("{base}/extensions/2002/numbers"),
            &owner,
            json!({"numbers": ["+14155550100"]}),
            200,
        )
        .await;
        w.api_ok(
            "POST",
            &format!("{base}/members"),
            &owner,
            json!({"email": "zed@acme.test"}),
            201,
        )
        .await;
        let plan = w
            .send_raw(
                "POST",
                &format!("{base}/bulk/plans"),
                &owner,
                "text/csv",
                b"Ext key,User\n2005,zed@acme.test\n".to_vec(),
            )
            .await;
        assert_eq!(plan.body["can_apply"], true, "{:#}", plan.body);
        let plan = plan.body["id"].as_str().unwrap().to_owned();
        let none = Value::Null;
        let ext = |k: &str| format!("{base}/extensions/{k}");
        let probes = vec![
            probe(
                "attach a number held by an extension out of reach",
                "PUT",
                (
                    ext("2004/numbers"),
                    json!({"numbers": ["+14155550100"]}),
                    "+14155550100",
                ),
                (
                    ext("2004/numbers"),
                    json!({"numbers": ["+14155550199"]}),
                    "+14155550199",
                ),
            ),
            probe(
                "apply a plan it cannot see",
                "POST",
                (
                    format!("{base}/bulk/plans/{plan}/apply"),
                    none.clone(),
                    &plan,
                ),
                (
                    format!("{base}/bulk/plans/plan_nope/apply"),
                    none.clone(),
                    "plan_nope",
                ),
            ),
            probe(
                "read a plan it cannot see",
                "GET",
                (format!("{base}/bulk/plans/{plan}"), none.clone(), &plan),
                (
                    format!("{base}/bulk/plans/plan_nope"),
                    none.clone(),
                    "plan_nope",
                ),
            ),
            probe(
                "assign a member out of reach, by id",
                "PUT",
                (ext("2004/member"), json!({"member": m_b}), m_b),
                (
                    ext("2004/member"),
                    json!({"member": "mem_nope"}),
                    "mem_nope",
                ),
            ),
            probe(
                "assign a member out of reach, by email",
                "PUT",
                (
                    ext("2004/member"),
                    json!({"member": "bob@acme.test"}),
                    "bob@acme.test",
                ),
                (
                    ext("2004/member"),
                    json!({"member": "nobody@acme.test"}),
                    "nobody@acme.test",
                ),
            ),
            probe(
                "reassign an extension out of reach",
                "PUT",
                (
                    ext("2002/member"),
                    json!({"member": m_a, "reassign": true}),
                    "2002",
                ),
                (
                    ext("2999/member"),
                    json!({"member": m_a, "reassign": true}),
                    "2999",
                ),
            ),
            probe(
                "unassign an extension out of reach",
                "DELETE",
                (ext("2002/member"), none.clone(), "2002"),
                (ext("2999/member"), none.clone(), "2999"),
            ),
            probe(
                "deprovision an extension out of reach",
                "DELETE",
                (ext("2002"), none.clone(), "2002"),
                (ext("2999"), none.clone(), "2999"),
            ),
            probe(
                "set add-ons out of reach",
                "PUT",
                (ext("2002/addons"), json!({"addons": []}), "2002"),
                (ext("2999/addons"), json!({"addons": []}), "2999"),
            ),
            probe(
                "set numbers out of reach",
                "PUT",
                (ext("2002/numbers"), json!({"numbers": []}), "2002"),
                (ext("2999/numbers"), json!({"numbers": []}), "2999"),
            ),
            probe(
                "read an extension out of reach",
                "GET",
                (ext("2002"), none.clone(), "2002"),
                (ext("2999"), none.clone(), "2999"),
            ),
            probe(
                "list the extensions of a member out of reach",
                "GET",
                (format!("{base}/extensions?member={m_b}"), none.clone(), m_b),
                (
                    format!("{base}/extensions?member=mem_nope"),
                    none.clone(),
                    "mem_nope",
                ),
            ),
            probe(
                "read a member out of reach",
                "GET",
                (format!("{base}/members/{m_b}"), none.clone(), m_b),
                (format!("{base}/members/mem_nope"), none.clone(), "mem_nope"),
            ),
            probe(
                "read a member's entitlements out of reach",
                "GET",
                (
                    format!("{base}/members/{m_b}/entitlements"),
                    none.clone(),
                    m_b,
                ),
                (
                    format!("{base}/members/mem_nope/entitlements"),
                    none.clone(),
                    "mem_nope",
                ),
            ),
            probe(
                "disable a member out of reach",
                "PATCH",
                (
                    format!("{base}/members/{m_b}"),
                    json!({"status": "disabled"}),
                    m_b,
                ),
                (
                    format!("{base}/members/mem_nope"),
                    json!({"status": "disabled"}),
                    "mem_nope",
                ),
            ),
            probe(
                "read the audit of a member out of reach",
                "GET",
                (
                    format!("{base}/audit?target=member:{m_b}"),
                    none.clone(),
                    m_b,
                ),
                (
                    format!("{base}/audit?target=member:mem_nope"),
                    none.clone(),
                    "mem_nope",
                ),
            ),
            probe(
                "read the audit of an extension out of reach",
                "GET",
                (
                    format!("{base}/audit?target=extension:2002"),
                    none.clone(),
                    "2002",
                ),
                (
                    format!("{base}/audit?target=extension:2999"),
                    none.clone(),
                    "2999",
                ),
            ),
            probe(
                "plan the cleanup of an extension out of reach",
                "POST",
                (
                    format!("{base}/reports/findings/plan"),
                    json!({"kinds": ["extension_unassigned"], "extensions": ["2002"]}),
                    "2002",
                ),
                (
                    format!("{base}/reports/findings/plan"),
                    json!({"kinds": ["extension_unassigned"], "extensions": ["2999"]}),
                    "2999",
                ),
            ),
            probe(
                "read a team out of reach",
                "GET",
                (
                    format!("{base}/teams/{}", s.team_b),
                    none.clone(),
                    &s.team_b,
                ),
                (format!("{base}/teams/team_nope"), none.clone(), "team_nope"),
            ),
        ];
        for p in probes {
            let mut answers = Vec::new();
            for (path, body, asked) in [&p.hidden, &p.missing] {
                let body = (p.method != "GET" && p.method != "DELETE").then_some(body);
                let a = w
                    .send(
                        p.method,
                        path,
                        Some(&scoped_a),
                        body,
                        &[("content-type", "application/json")],
                    )
                    .await;
                answers.push((a.status.as_u16(), blanked(&a.body, asked)));
            }
            assert_eq!(
                answers[0], answers[1],
                "[{}] {}: out of reach vs nonexistent",
                w.name, p.what
            );
            // Nothing names the out-of-reach member, by email or id.
            for leak in ["bob@acme.test", "zed@acme.test", m_b.as_str()] {
                assert!(
                    !answers[0].1.contains(leak),
                    "[{}] {}: names {leak}: {}",
                    w.name,
                    p.what,
                    answers[0].1
                );
            }
        }

        // A bulk row using a number held out of reach reads as one not in the inventory.
        let mut rows = Vec::new();
        for n in ["+14155550100", "+14155550199"] {
            let file = format!("Ext key,Number,Addon license\n2006,{n},license_number\n");
            let a = w
                .send_raw(
                    "POST",
                    &format!("{base}/bulk/plans"),
                    &scoped_a,
                    "text/csv",
                    file.into_bytes(),
                )
                .await;
            assert_eq!(a.status.as_u16(), 201, "[{}] {:#}", w.name, a.body);
            rows.push(blanked(&a.body["errors"], n));
        }
        assert_eq!(rows[0], rows[1], "[{}] bulk number out of reach", w.name);
        assert!(!rows[0].contains("2002"), "[{}] {}", w.name, rows[0]);

        // A bulk row naming a member out of reach by id does not show its email.
        let file = format!("Ext key,User\n2007,{m_b}\n");
        let a = w
            .send_raw(
                "POST",
                &format!("{base}/bulk/plans"),
                &scoped_a,
                "text/csv",
                file.into_bytes(),
            )
            .await;
        assert_eq!(a.body["errors"][0]["code"], "out_of_scope", "{:#}", a.body);
        assert!(
            !a.body["errors"].to_string().contains("bob@acme.test"),
            "[{}] {:#}",
            w.name,
            a.body["errors"]
        );
    }
}

/// Conflicts about objects in reach name the member by email, never by id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_name_members_by_email() {
    for w in World::all().await {
        let s = Setup::new(&w).await;
        let base = Setup::base(&w);
        let scoped_a = s.tokens[2].clone();
        let [m_a, _, _] = &s.members;
        for (method, path, body) in [
            (
                "PUT",
                format!("{base}/extensions/2001/member"),
                Some(json!({"member": "scoped-a@acme.test"})),
            ),
            ("DELETE", format!("{base}/extensions/2001"), None),
        ] {
            let a = w
                .send(
                    method,
                    &path,
                    Some(&scoped_a),
                    body.as_ref(),
                    &[("content-type", "application/json")],
                )
                .await;
            assert_eq!(a.status.as_u16(), 409, "[{}] {:#}", w.name, a.body);
            assert_eq!(a.body["error"]["code"], "extension_has_member");
            let message = a.body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("ann@acme.test") && !message.contains(m_a.as_str()),
                "[{}] {method} {path}: {message}",
                w.name
            );
        }
    }
}

/// An unassigned extension's history is shown without the entries naming past holders out
/// of reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_leaves_out_past_holders_out_of_reach() {
    for w in World::all().await {
        let s = Setup::new(&w).await;
        let base = Setup::base(&w);
        let owner = w.owner.clone();
        let scoped_a = s.tokens[2].clone();
        let [m_a, m_b, _] = &s.members;
        // 2004 was bob's (team B), then ann's (team A), and is unassigned now.
        for k in ["2001", "2002"] {
            w.api_ok(
                "DELETE",
                &format!("{base}/extensions/{k}/member"),
                &owner,
                Value::Null,
                204,
            )
            .await;
        }
        for m in [m_b, m_a] {
            w.api_ok(
                "PUT",
                &format!("{base}/extensions/2004/member"),
                &owner,
                json!({"member": m, "reassign": true}),
                200,
            )
            .await;
        }
        w.api_ok(
            "DELETE",
            &format!("{base}/extensions/2004/member"),
            &owner,
            Value::Null,
            204,
        )
        .await;
        let page = w
            .api_ok(
                "GET",
                &format!("{base}/audit?target=extension:2004"),
                &scoped_a,
                Value::Null,
                200,
            )
            .await;
        let actions: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        // bob's assignment and the reassignment from bob are left out; the provisioning and
        // ann's unassignment stay.
        assert_eq!(
            actions,
            ["extension.unassign", "extension.provision"],
            "[{}] {:#}",
            w.name,
            page
        );
        assert!(!page.to_string().contains(m_b.as_str()), "[{}]", w.name);
        // The owner sees the whole history.
        let all = w
            .api_ok(
                "GET",
                &format!("{base}/audit?target=extension:2004"),
                &owner,
                Value::Null,
                200,
            )
            .await;
        assert_eq!(all["items"].as_array().unwrap().len(), 4, "{all:#}");
    }
}
