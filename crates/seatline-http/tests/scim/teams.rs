//! Teams and team-scoped admins (product.md §12) over HTTP, on SQLite and PostgreSQL: the
//! matrix of actors × operations × targets with the status each must answer, and a
//! team-scoped admin running its teams' seats end to end (bulk included).

use serde_json::{json, Value};

use crate::support::{World, OPERATOR};

/// The actors, in the order of every row's expectations.
const ACTORS: [&str; 7] = [
    "owner",
    "org-wide admin",
    "admin scoped to A",
    "admin scoped to A+B",
    "member",
    "operator",
    "integration token",
];

/// A world with teams A and B, three members (in A, in B, in no team), an extension held by
/// each and one unassigned, and a token per actor.
pub(crate) struct Setup {
    pub(crate) tokens: [String; 7],
    pub(crate) team_a: String,
    pub(crate) team_b: String,
    /// member ids: in A, in B, in no team
    pub(crate) members: [String; 3],
    /// extension keys: held by the member in A, in B, in no team; unassigned
    pub(crate) keys: [&'static str; 4],
    pub(crate) admin_all: String,
}

impl Setup {
    pub(crate) fn base(w: &World) -> String {
        format!("/api/v1/orgs/{}", w.org)
    }

    pub(crate) async fn new(w: &World) -> Setup {
        let base = Self::base(w);
        let owner = w.owner.clone();
        let member = |email: &'static str, role: &'static str| {
            let (base, owner) = (base.clone(), owner.clone());
            async move {
                let m = w
                    .api_ok(
                        "POST",
                        &format!("{base}/members"),
                        &owner,
                        json!({"email": email, "role": role}),
                        201,
                    )
                    .await;
                m["id"].as_str().unwrap().to_owned()
            }
        };
        let token = |id: String| {
            let (base, owner) = (base.clone(), owner.clone());
            async move {
                let t = w
                    .api_ok(
                        "POST",
                        &format!("{base}/members/{id}/tokens"),
                        &owner,
                        json!({}),
                        201,
                    )
                    .await;
                t["token"].as_str().unwrap().to_owned()
            }
        };
        let admin_all = member("all@acme.test", "admin").await;
        let admin_a = member("scoped-a@acme.test", "admin").await;
        let admin_ab = member("scoped-ab@acme.test", "admin").await;
        let plain = member("plain@acme.test", "member").await;
        let in_a = member("ann@acme.test", "member").await;
        let in_b = member("bob@acme.test", "member").await;
        let none = member("nia@acme.test", "member").await;
        let team = |name: &'static str, members: Vec<String>| {
            let (base, owner) = (base.clone(), owner.clone());
            async move {
                let t = w
                    .api_ok(
                        "POST",
                        &format!("{base}/teams"),
                        &owner,
                        json!({"name": name}),
                        201,
                    )
                    .await;
                let id = t["id"].as_str().unwrap().to_owned();
                let t = w
                    .api_ok(
                        "PUT",
                        &format!("{base}/teams/{id}/members"),
                        &owner,
                        json!({"members": members}),
                        200,
                    )
                    .await;
                assert_eq!(t["members"].as_array().unwrap().len(), members.len());
                id
            }
        };
        let team_a = team("A", vec![in_a.clone()]).await;
        let team_b = team("B", vec![in_b.clone()]).await;
        for (admin, teams) in [
            (&admin_a, vec![team_a.clone()]),
            (&admin_ab, vec![team_a.clone(), team_b.clone()]),
        ] {
            let s = w
                .api_ok(
                    "PUT",
                    &format!("{base}/members/{admin}/scope"),
                    &owner,
                    json!({"teams": teams}),
                    200,
                )
                .await;
            assert_eq!(s["teams"].as_array().unwrap().len(), teams.len());
        }
        w.api_ok(
            "POST",
            &format!("{base}/extensions/provision"),
            &owner,
            json!({"count": 4, "start": "2001"}),
            201,
        )
        .await;
        for (key, m) in [("2001", &in_a), ("2002", &in_b), ("2003", &none)] {
            w.api_ok(
                "PUT",
                &format!("{base}/extensions/{key}/member"),
                &owner,
                json!({"member": m}),
                200,
            )
            .await;
        }
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
        Setup {
            tokens: [
                owner.clone(),
                token(admin_all.clone()).await,
                token(admin_a).await,
                token(admin_ab).await,
                token(plain).await,
                OPERATOR.to_owned(),
                integration,
            ],
            team_a,
            team_b,
            members: [in_a, in_b, none],
            keys: ["2001", "2002", "2003", "2004"],
            admin_all,
        }
    }
}

/// Expected statuses, one per actor of [`ACTORS`], written `"200 200 404 …"`.
fn statuses(s: &str) -> Vec<u16> {
    let v: Vec<u16> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(v.len(), ACTORS.len(), "{s}");
    v
}

/// Whether a list (`items`) holds an item whose `field` is `value`.
fn lists(body: &Value, field: &str, value: &str) -> bool {
    body["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i[field] == value))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_matrix() {
    for w in World::all().await {
        let s = Setup::new(&w).await;
        let base = Setup::base(&w);
        let [m_a, m_b, m_none] = &s.members;
        let [x_a, x_b, x_none, x_free] = s.keys;

        // Operations on one member: (what, method, path, body), then per target (in team A,
        // in team B, in no team) the statuses of the seven actors.
        type MemberOp = (&'static str, &'static str, &'static str, Value);
        let member_ops: [MemberOp; 3] = [
            ("read member", "GET", "", Value::Null),
            ("read entitlements", "GET", "/entitlements", Value::Null),
            ("set status", "PATCH", "", json!({"status": "active"})),
        ];
        //            owner all  A   A+B member operator integration
        let member_expect: [[&str; 3]; 3] = [
            [
                "200 200 200 200 403 200 200",
                "200 200 404 200 403 200 200",
                "200 200 404 404 403 200 200",
            ],
            [
                "200 200 200 200 403 200 200",
                "200 200 404 200 403 200 200",
                "200 200 404 404 403 200 200",
            ],
            [
                "200 200 200 200 403 403 403",
                "200 200 404 200 403 403 403",
                "200 200 404 404 403 403 403",
            ],
        ];
        for ((what, method, tail, body), row) in member_ops.iter().zip(member_expect) {
            for (target, expect) in [m_a, m_b, m_none].iter().zip(row) {
                let path = format!("{base}/members/{target}{tail}");
                for ((actor, token), want) in ACTORS.iter().zip(&s.tokens).zip(statuses(expect)) {
                    let body = (*method != "GET").then(|| body.clone());
                    let a = w
                        .send(
                            method,
                            &path,
                            Some(token),
                            body.as_ref(),
                            &[("content-type", "application/json")],
                        )
                        .await;
                    assert_eq!(
                        a.status.as_u16(),
                        want,
                        "[{}] {actor}: {what} {target}: {:#}",
                        w.name,
                        a.body
                    );
                }
            }
        }

        // Operations on one extension; targets held in A, in B, in no team, unassigned.
        let ext_ops: [MemberOp; 3] = [
            ("read extension", "GET", "", Value::Null),
            ("set add-ons", "PUT", "/addons", json!({"addons": []})),
            ("set numbers", "PUT", "/numbers", json!({"numbers": []})),
        ];
        let read_ext = [
            "200 200 200 200 403 200 200",
            "200 200 404 200 403 200 200",
            "200 200 404 404 403 200 200",
            "200 200 200 200 403 200 200",
        ];
        let write_ext = [
            "200 200 200 200 403 403 403",
            "200 200 404 200 403 403 403",
            "200 200 404 404 403 403 403",
            "200 200 200 200 403 403 403",
        ];
        for (i, (what, method, tail, body)) in ext_ops.iter().enumerate() {
            let row = if i == 0 { read_ext } else { write_ext };
            for (key, expect) in [x_a, x_b, x_none, x_free].iter().zip(row) {
                let path = format!("{base}/extensions/{key}{tail}");
                for ((actor, token), want) in ACTORS.iter().zip(&s.tokens).zip(statuses(expect)) {
                    let body = (*method != "GET").then(|| body.clone());
                    let a = w
                        .send(
                            method,
                            &path,
                            Some(token),
                            body.as_ref(),
                            &[("content-type", "application/json")],
                        )
                        .await;
                    assert_eq!(
                        a.status.as_u16(),
                        want,
                        "[{}] {actor}: {what} {key}: {:#}",
                        w.name,
                        a.body
                    );
                }
            }
        }

        // Lists: every actor but the member may list; per target, one mark per actor
        // whether the list holds it (`-` where the list is refused).
        let member_marks = ["yyyy-yy", "yyny-yy", "yynn-yy"];
        let ext_marks = ["yyyy-yy", "yyny-yy", "yynn-yy", "yyyy-yy"];
        let list_expect: [(&str, &str, Vec<&str>, &[&str]); 3] = [
            ("members", "id", vec![m_a, m_b, m_none], &member_marks),
            (
                "contact-center",
                "id",
                vec![m_a, m_b, m_none],
                &member_marks,
            ),
            (
                "extensions",
                "key",
                vec![x_a, x_b, x_none, x_free],
                &ext_marks,
            ),
        ];
        for (list, field, targets, marks) in list_expect {
            let path = format!("{base}/{list}?limit=1000");
            for (i, (actor, token)) in ACTORS.iter().zip(&s.tokens).enumerate() {
                let a = w.send("GET", &path, Some(token), None, &[]).await;
                let refused = marks[0].as_bytes()[i] == b'-';
                let want = if refused { 403 } else { 200 };
                assert_eq!(
                    a.status.as_u16(),
                    want,
                    "[{}] {actor}: list {list}: {:#}",
                    w.name,
                    a.body
                );
                for (t, m) in targets.iter().zip(marks) {
                    if !refused {
                        let listed = m.as_bytes()[i] == b'y';
                        assert_eq!(
                            lists(&a.body, field, t),
                            listed,
                            "[{}] {actor}: {list} lists {t}",
                            w.name
                        );
                    }
                }
            }
        }

        // Operations without a member or extension target: what a team-scoped admin may
        // never do (§12), and what it may.
        let team_a = &s.team_a;
        let admin_all = &s.admin_all;
        let others: Vec<(&str, &str, String, Value, &str)> = vec![
            (
                "list teams",
                "GET",
                format!("{base}/teams"),
                Value::Null,
                "200 200 200 200 403 200 403",
            ),
            (
                "read team A",
                "GET",
                format!("{base}/teams/{team_a}"),
                Value::Null,
                "200 200 200 200 403 200 403",
            ),
            (
                "read team B",
                "GET",
                format!("{base}/teams/{}", s.team_b),
                Value::Null,
                "200 200 404 200 403 200 403",
            ),
            (
                "create team",
                "POST",
                format!("{base}/teams"),
                Value::Null,
                "201 201 403 403 403 403 403",
            ),
            (
                "rename team",
                "PATCH",
                format!("{base}/teams/{team_a}"),
                json!({"name": "A"}),
                "200 200 403 403 403 403 403",
            ),
            (
                "set team members",
                "PUT",
                format!("{base}/teams/{team_a}/members"),
                json!({"members": [m_a]}),
                "200 200 403 403 403 403 403",
            ),
            (
                "set a scope",
                "PUT",
                format!("{base}/members/{admin_all}/scope"),
                json!({"teams": null}),
                "200 403 403 403 403 403 403",
            ),
            (
                "read the feed",
                "GET",
                format!("{base}/events"),
                Value::Null,
                "200 200 403 403 403 200 200",
            ),
            (
                "read the entitlements snapshot",
                "GET",
                format!("{base}/entitlements"),
                Value::Null,
                "200 200 403 403 403 200 200",
            ),
            (
                "list webhooks",
                "GET",
                format!("{base}/webhooks"),
                Value::Null,
                "200 200 403 403 403 403 403",
            ),
            (
                "list SCIM tokens",
                "GET",
                format!("{base}/scim-tokens"),
                Value::Null,
                "200 403 403 403 403 403 403",
            ),
            (
                "create a member",
                "POST",
                format!("{base}/members"),
                Value::Null,
                "201 201 403 403 403 403 403",
            ),
            (
                "change a role",
                "PATCH",
                format!("{base}/members/{m_a}"),
                json!({"role": "member"}),
                "200 403 403 403 403 403 403",
            ),
            (
                "issue another's token",
                "POST",
                format!("{base}/members/{m_a}/tokens"),
                json!({}),
                "201 403 403 403 403 201 403",
            ),
            (
                "set a quantity",
                "PUT",
                format!("{base}/subscriptions/team_chat"),
                json!({"quantity": 3}),
                "403 403 403 403 403 200 403",
            ),
        ];
        for (what, method, path, body, expect) in others {
            for (i, ((actor, token), want)) in ACTORS
                .iter()
                .zip(&s.tokens)
                .zip(statuses(expect))
                .enumerate()
            {
                let mut body = body.clone();
                // Creations that succeed need a fresh name each time.
                if what == "create team" {
                    body = json!({"name": format!("team {i}")});
                }
                if what == "create a member" {
                    body = json!({"email": format!("new{i}@acme.test")});
                }
                let body = (method != "GET").then_some(body);
                let a = w
                    .send(
                        method,
                        &path,
                        Some(token),
                        body.as_ref(),
                        &[("content-type", "application/json")],
                    )
                    .await;
                assert_eq!(
                    a.status.as_u16(),
                    want,
                    "[{}] {actor}: {what}: {:#}",
                    w.name,
                    a.body
                );
                if a.status.as_u16() == 403 {
                    assert_eq!(a.body["error"]["code"], "forbidden", "{:#}", a.body);
                }
            }
        }
        let scoped_teams = w
            .api_ok(
                "GET",
                &format!("{base}/teams"),
                &s.tokens[2],
                Value::Null,
                200,
            )
            .await;
        let names: Vec<&str> = scoped_teams["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["A"],
            "[{}] a scoped admin sees only its teams",
            w.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_admin_runs_its_teams_seats() {
    for w in World::all().await {
        let s = Setup::new(&w).await;
        let base = Setup::base(&w);
        let owner = w.owner.clone();
        let scoped_a = s.tokens[2].clone();
        let scoped_ab = s.tokens[3].clone();
        let [m_a, m_b, _] = &s.members;
        w.api_ok(
            "PUT",
            &format!("{base}/subscriptions/phone_system"),
            OPERATOR,
            json!({"quantity": 20}),
            200,
        )
        .await;
        let mut team_a = vec![m_a.clone()];
        let new_member = |email: &'static str| {
            let (base, owner) = (base.clone(), owner.clone());
            let w = &w;
            async move {
                let m = w
                    .api_ok(
                        "POST",
                        &format!("{base}/members"),
                        &owner,
                        json!({"email": email}),
                        201,
                    )
                    .await;
                m["id"].as_str().unwrap().to_owned()
            }
        };
        let amy = new_member("amy@acme.test").await;
        let cat = new_member("cat@acme.test").await;
        let dan = new_member("dan@acme.test").await;
        team_a.extend([amy.clone(), cat.clone()]);
        w.api_ok(
            "PUT",
            &format!("{base}/teams/{}/members", s.team_a),
            &owner,
            json!({"members": team_a}),
            200,
        )
        .await;
        w.api_ok(
            "PUT",
            &format!("{base}/teams/{}/members", s.team_b),
            &owner,
            json!({"members": [m_b, dan]}),
            200,
        )
        .await;

        // Provision, assign, add-ons, disable and enable, by the admin scoped to A.
        let p = w
            .api_ok(
                "POST",
                &format!("{base}/extensions/provision"),
                &scoped_a,
                json!({"count": 1, "start": "2005"}),
                201,
            )
            .await;
        assert_eq!(p["items"][0]["key"], "2005");
        w.api_ok(
            "PUT",
            &format!("{base}/extensions/2005/member"),
            &scoped_a,
            json!({"member": "amy@acme.test"}),
            200,
        )
        .await;
        let a = w
            .send(
                "PUT",
                &format!("{base}/extensions/2004/member"),
                Some(&scoped_a),
                Some(&json!({"member": "dan@acme.test"})),
                &[],
            )
            .await;
        assert_eq!(
            a.status.as_u16(),
            404,
            "[{}] a member out of scope: {:#}",
            w.name,
            a.body
        );
        w.api_ok(
            "PUT",
            &format!("{base}/extensions/2005/addons"),
            &scoped_a,
            json!({"addons": ["device_web_rtc"]}),
            200,
        )
        .await;
        for status in ["disabled", "active"] {
            w.api_ok(
                "PATCH",
                &format!("{base}/members/{amy}"),
                &scoped_a,
                json!({"status": status}),
                200,
            )
            .await;
        }

        // Its audit names only members and extensions in its reach.
        let audit = w
            .api_ok(
                "GET",
                &format!("{base}/audit?limit=1000"),
                &scoped_a,
                Value::Null,
                200,
            )
            .await;
        let targets: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["target"].as_str().unwrap())
            .collect();
        assert!(targets.contains(&"extension:2005"), "{targets:?}");
        assert!(
            targets.contains(&format!("member:{amy}").as_str()),
            "{targets:?}"
        );
        for t in &targets {
            assert!(
                *t != format!("member:{m_b}")
                    && *t != "extension:2002"
                    && *t != "extension:2003"
                    && !t.starts_with("team:"),
                "[{}] {t} is out of scope",
                w.name
            );
        }
        let all = w
            .api_ok(
                "GET",
                &format!("{base}/audit?limit=1000"),
                &owner,
                Value::Null,
                200,
            )
            .await;
        assert!(all["items"].as_array().unwrap().len() > targets.len());
        // Audit entries and events name the teams of the member concerned (§12).
        let assigned = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["target"] == "extension:2005" && e["action"] == "extension.assign")
            .unwrap_or_else(|| panic!("[{}] no assign entry: {all:#}", w.name));
        assert_eq!(assigned["teams"], json!([s.team_a]), "{assigned:#}");
        let provisioned = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["target"] == "extension:2004")
            .unwrap();
        assert_eq!(provisioned["teams"], json!([]), "{provisioned:#}");
        let events = w
            .api_ok(
                "GET",
                &format!("{base}/events?after=0&limit=1000"),
                &owner,
                Value::Null,
                200,
            )
            .await;
        let of = |subject: String| {
            events["items"]
                .as_array()
                .unwrap()
                .iter()
                .rev()
                .find(|e| e["subject"] == subject)
                .map(|e| e["teams"].clone())
        };
        assert_eq!(of("extension:2005".into()), Some(json!([s.team_a])));
        assert_eq!(of(format!("member:{amy}")), Some(json!([s.team_a])));
        assert_eq!(of("extension:2002".into()), Some(json!([s.team_b])));

        // Its findings name only what is in its reach: a disabled member of team B holding
        // 2002 is a finding for the owner and none for the admin scoped to A.
        let set_status = |status: &'static str| {
            let (w, base, owner, m_b) = (&w, base.clone(), owner.clone(), m_b.clone());
            async move {
                w.api_ok(
                    "PATCH",
                    &format!("{base}/members/{m_b}"),
                    &owner,
                    json!({"status": status}),
                    200,
                )
                .await;
            }
        };
        let findings = |token: String| {
            let (w, base) = (&w, base.clone());
            async move {
                let f = w
                    .api_ok(
                        "GET",
                        &format!("{base}/reports/findings"),
                        &token,
                        Value::Null,
                        200,
                    )
                    .await;
                f["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| (i["kind"].clone(), i["extension"].clone()))
                    .collect::<Vec<_>>()
            }
        };
        set_status("disabled").await;
        let held = (json!("disabled_member_holds_extension"), json!("2002"));
        let by_owner = findings(owner.clone()).await;
        assert!(by_owner.contains(&held), "[{}] {by_owner:?}", w.name);
        let by_a = findings(scoped_a.clone()).await;
        for (_, ext) in &by_a {
            assert!(
                *ext != json!("2002") && *ext != json!("2003"),
                "[{}] {ext} is out of scope: {by_a:?}",
                w.name
            );
        }
        set_status("active").await;

        // Its number list holds the free numbers and those in its reach, not 2002's.
        w.api_ok(
            "PUT",
            &format!("{base}/subscriptions/license_number"),
            OPERATOR,
            json!({"quantity": 5}),
            200,
        )
        .await;
        for n in ["+6560000098", "+6560000099"] {
            w.api_ok(
                "POST",
                &format!("{base}/numbers"),
                OPERATOR,
                json!({"number": n}),
                201,
            )
            .await;
        }
        for (path, body) in [
            ("addons", json!({"addons": ["license_number"]})),
            ("numbers", json!({"numbers": ["+6560000099"]})),
        ] {
            w.api_ok(
                "PUT",
                &format!("{base}/extensions/2002/{path}"),
                &owner,
                body,
                200,
            )
            .await;
        }
        let numbers = |token: String| {
            let (w, base) = (&w, base.clone());
            async move {
                let page = w
                    .api_ok(
                        "GET",
                        &format!("{base}/numbers?limit=1000"),
                        &token,
                        Value::Null,
                        200,
                    )
                    .await;
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n["number"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        let by_owner = numbers(owner.clone()).await;
        assert!(by_owner.contains(&"+6560000099".to_owned()), "{by_owner:?}");
        let by_a = numbers(scoped_a.clone()).await;
        assert!(
            by_a.contains(&"+6560000098".to_owned()),
            "[{}] {by_a:?}",
            w.name
        );
        assert!(
            !by_a.contains(&"+6560000099".to_owned()),
            "[{}] {by_a:?}",
            w.name
        );
        for (path, body) in [
            ("numbers", json!({"numbers": []})),
            ("addons", json!({"addons": []})),
        ] {
            w.api_ok(
                "PUT",
                &format!("{base}/extensions/2002/{path}"),
                &owner,
                body,
                200,
            )
            .await;
        }

        // Its export holds the extensions in reach only.
        let export = w
            .send(
                "GET",
                &format!("{base}/extensions/export.csv"),
                Some(&scoped_a),
                None,
                &[],
            )
            .await;
        let text = export.body.as_str().unwrap_or_default().to_owned();
        for (key, there) in [
            ("2001", true),
            ("2002", false),
            ("2003", false),
            ("2004", true),
            ("2005", true),
        ] {
            assert_eq!(
                text.contains(&format!("\n{key},")),
                there,
                "[{}] export {key}: {text}",
                w.name
            );
        }

        // Bulk: a file naming a member of A and one of B cannot be applied by A's admin.
        let file =
            "Ext key,Number,User,Addon license\r\n3001,,cat@acme.test,\r\n3002,,dan@acme.test,\r\n";
        let plan = w
            .send_raw(
                "POST",
                &format!("{base}/bulk/plans"),
                &scoped_a,
                "text/csv",
                file.into(),
            )
            .await;
        assert_eq!(plan.status.as_u16(), 201, "{:#}", plan.body);
        assert_eq!(plan.body["can_apply"], false, "{:#}", plan.body);
        let errors = plan.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["code"], "out_of_scope");
        assert_eq!(errors[0]["row"], 3);
        let id = plan.body["id"].as_str().unwrap();
        let a = w
            .send(
                "POST",
                &format!("{base}/bulk/plans/{id}/apply"),
                Some(&scoped_a),
                None,
                &[],
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.body["error"]["code"].as_str()),
            (409, Some("plan_invalid"))
        );
        // The owner's plan of the same file is ready, but A's admin cannot apply it either.
        let plan = w
            .send_raw(
                "POST",
                &format!("{base}/bulk/plans"),
                &owner,
                "text/csv",
                file.into(),
            )
            .await;
        assert_eq!(plan.body["can_apply"], true, "{:#}", plan.body);
        let id = plan.body["id"].as_str().unwrap();
        // Its rows give an extension to a member out of A's reach: A's admin cannot read it.
        let a = w
            .send(
                "GET",
                &format!("{base}/bulk/plans/{id}"),
                Some(&scoped_a),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 404, "{:#}", a.body);
        w.api_ok(
            "GET",
            &format!("{base}/bulk/plans/{id}"),
            &scoped_ab,
            Value::Null,
            200,
        )
        .await;
        let a = w
            .send(
                "POST",
                &format!("{base}/bulk/plans/{id}/apply"),
                Some(&scoped_a),
                None,
                &[],
            )
            .await;
        // Nor apply it: not found, as for reading it (it would otherwise learn who the rows
        // name from the staleness errors).
        assert_eq!(
            (a.status.as_u16(), a.body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{:#}",
            a.body
        );
        // The admin scoped to A and B applies it.
        w.api_ok(
            "POST",
            &format!("{base}/bulk/plans/{id}/apply"),
            &scoped_ab,
            Value::Null,
            200,
        )
        .await;
        w.api_ok(
            "GET",
            &format!("{base}/extensions/3002"),
            &scoped_ab,
            Value::Null,
            200,
        )
        .await;

        // Disabling team A takes its members out of reach; unassigned extensions stay.
        w.api_ok(
            "PATCH",
            &format!("{base}/teams/{}", s.team_a),
            &owner,
            json!({"enabled": false}),
            200,
        )
        .await;
        let a = w
            .send(
                "GET",
                &format!("{base}/members/{amy}"),
                Some(&scoped_a),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 404, "[{}] {:#}", w.name, a.body);
        w.api_ok(
            "GET",
            &format!("{base}/extensions/2004"),
            &scoped_a,
            Value::Null,
            200,
        )
        .await;
        // Whole-organization again.
        let me = w
            .api_ok(
                "GET",
                &format!("{base}/members/scoped-a@acme.test"),
                &owner,
                Value::Null,
                200,
            )
            .await;
        let id = me["id"].as_str().unwrap();
        w.api_ok(
            "PUT",
            &format!("{base}/members/{id}/scope"),
            &owner,
            json!({"teams": null}),
            200,
        )
        .await;
        w.api_ok(
            "GET",
            &format!("{base}/members/{amy}"),
            &scoped_a,
            Value::Null,
            200,
        )
        .await;
        // A scope names teams that exist, belongs to admins only, and must be given.
        let a = w
            .send(
                "PUT",
                &format!("{base}/members/{id}/scope"),
                Some(&owner),
                Some(&json!({"teams": ["team_nope"]})),
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 404, "{:#}", a.body);
        let a = w
            .send(
                "PUT",
                &format!("{base}/members/{amy}/scope"),
                Some(&owner),
                Some(&json!({"teams": []})),
                &[],
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.body["error"]["code"].as_str()),
            (409, Some("scope_needs_admin"))
        );
        let a = w
            .send(
                "PUT",
                &format!("{base}/members/{id}/scope"),
                Some(&owner),
                Some(&json!({})),
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 422, "{:#}", a.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_rules_over_http() {
    for w in World::all().await {
        let base = format!("/api/v1/orgs/{}", w.org);
        let owner = w.owner.clone();
        let t = w
            .api_ok(
                "POST",
                &format!("{base}/teams"),
                &owner,
                json!({"name": "  Sales "}),
                201,
            )
            .await;
        assert_eq!(t["name"], "Sales");
        assert_eq!(t["enabled"], true);
        let id = t["id"].as_str().unwrap().to_owned();
        let a = w
            .send(
                "POST",
                &format!("{base}/teams"),
                Some(&owner),
                Some(&json!({"name": "SALES"})),
                &[],
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.body["error"]["code"].as_str()),
            (409, Some("team_name_taken"))
        );
        let a = w
            .send(
                "POST",
                &format!("{base}/teams"),
                Some(&owner),
                Some(&json!({"name": ""})),
                &[],
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.body["error"]["code"].as_str()),
            (422, Some("invalid_name"))
        );
        let a = w
            .send(
                "PUT",
                &format!("{base}/teams/{id}/members"),
                Some(&owner),
                Some(&json!({"members": ["ghost@acme.test"]})),
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 404, "{:#}", a.body);
        assert_eq!(a.body["error"]["details"]["field"], "members[0]");
        let t = w
            .api_ok(
                "PATCH",
                &format!("{base}/teams/{id}"),
                &owner,
                json!({"name": "Sales EMEA", "enabled": false}),
                200,
            )
            .await;
        assert_eq!(
            (t["name"].as_str(), t["enabled"].as_bool()),
            (Some("Sales EMEA"), Some(false))
        );
        let audit = w.last_audit().await;
        assert_eq!(audit["action"], "team.update");
        for i in 1..100 {
            w.api_ok(
                "POST",
                &format!("{base}/teams"),
                &owner,
                json!({"name": format!("team {i}")}),
                201,
            )
            .await;
        }
        let a = w
            .send(
                "POST",
                &format!("{base}/teams"),
                Some(&owner),
                Some(&json!({"name": "one too many"})),
                &[],
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.body["error"]["code"].as_str()),
            (409, Some("team_limit"))
        );
        w.send(
            "DELETE",
            &format!("{base}/teams/{id}"),
            Some(&owner),
            None,
            &[],
        )
        .await;
        let a = w
            .send(
                "GET",
                &format!("{base}/teams/{id}"),
                Some(&owner),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 404);
        let list = w
            .api_ok("GET", &format!("{base}/teams"), &owner, Value::Null, 200)
            .await;
        assert_eq!(list["items"].as_array().unwrap().len(), 99);
    }
}

/// SCIM Groups are teams: create, get, list and filter, rename, members added and removed by
/// PATCH as Entra ID and Okta send them, PUT, delete, and in discovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_groups_are_teams() {
    use crate::support::PATCH_OP;
    for w in World::all().await {
        let base = format!("/api/v1/orgs/{}", w.org);
        let owner = w.owner.clone();
        let user = |email: &'static str| {
            let owner = owner.clone();
            let base = base.clone();
            let w = &w;
            async move {
                w.api_ok(
                    "POST",
                    &format!("{base}/members"),
                    &owner,
                    json!({"email": email}),
                    201,
                )
                .await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let ann = user("ann@acme.test").await;
        let bob = user("bob@acme.test").await;
        let g = w
            .scim_ok(
                "POST",
                "/Groups",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Support",
                    "members": [{"value": ann}]
                })),
                201,
            )
            .await;
        let id = g["id"].as_str().unwrap().to_owned();
        assert_eq!(g["displayName"], "Support");
        assert_eq!(g["members"][0]["value"], ann.as_str());
        assert_eq!(g["meta"]["resourceType"], "Group");
        assert!(
            g["meta"]["created"].is_string() && g["meta"]["lastModified"].is_string(),
            "{g:#}"
        );
        // The team, over the JSON API.
        let t = w
            .api_ok(
                "GET",
                &format!("{base}/teams/{id}"),
                &owner,
                Value::Null,
                200,
            )
            .await;
        assert_eq!(t["members"], json!([ann]));
        // A second group of the same name is a uniqueness conflict.
        w.scim("POST", "/Groups", Some(json!({"displayName": "SUPPORT"})))
            .await
            .scim_error(409, Some("uniqueness"), "team_name_taken");
        // Entra: add a member, replace displayName.
        let g = w
            .scim_ok(
                "PATCH",
                &format!("/Groups/{id}"),
                Some(json!({
                    "schemas": [PATCH_OP],
                    "Operations": [
                        {"op": "Add", "path": "members", "value": [{"value": bob}]},
                        {"op": "Replace", "path": "displayName", "value": "Support EMEA"}
                    ]
                })),
                200,
            )
            .await;
        assert_eq!(g["displayName"], "Support EMEA");
        assert_eq!(g["members"].as_array().unwrap().len(), 2);
        // Okta: remove by filter path.
        let g = w
            .scim_ok(
                "PATCH",
                &format!("/Groups/{id}"),
                Some(json!({
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]
                })),
                200,
            )
            .await;
        assert_eq!(
            g["members"],
            json!([{"value": bob, "$ref": format!("http://seatline.test/scim/v2/Users/{bob}"), "type": "User"}])
        );
        // Entra: remove with a value list; Okta: replace displayName without a path.
        let g = w
            .scim_ok(
                "PATCH",
                &format!("/Groups/{id}"),
                Some(json!({
                    "schemas": [PATCH_OP],
                    "Operations": [
                        {"op": "Remove", "path": "members", "value": [{"value": bob}]},
                        {"op": "replace", "value": {"displayName": "Support"}}
                    ]
                })),
                200,
            )
            .await;
        assert_eq!(
            (
                g["displayName"].as_str(),
                g["members"].as_array().map(Vec::len)
            ),
            (Some("Support"), Some(0))
        );
        // An unknown member is an invalid value, and nothing changes.
        w.scim(
            "PATCH",
            &format!("/Groups/{id}"),
            Some(json!({
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "replace", "path": "displayName", "value": "Renamed"},
                    {"op": "add", "path": "members", "value": [{"value": "mem_nobody"}]}
                ]
            })),
        )
        .await
        .scim_error(400, Some("invalidValue"), "not_found");
        let g = w.scim_ok("GET", &format!("/Groups/{id}"), None, 200).await;
        assert_eq!(g["displayName"], "Support");
        // List, filter, excludedAttributes.
        let l = w
            .scim_ok(
                "GET",
                "/Groups?filter=displayName%20eq%20%22support%22&excludedAttributes=members",
                None,
                200,
            )
            .await;
        assert_eq!(l["totalResults"], 1);
        assert!(l["Resources"][0].get("members").is_none(), "{l:#}");
        let l = w
            .scim_ok(
                "GET",
                "/Groups?filter=displayName%20eq%20%22nope%22",
                None,
                200,
            )
            .await;
        assert_eq!(l["totalResults"], 0);
        w.scim("GET", "/Groups?filter=members%20pr", None)
            .await
            .scim_error(400, Some("invalidFilter"), "invalid_filter");
        // PUT replaces name and members.
        let g = w
            .scim_ok(
                "PUT",
                &format!("/Groups/{id}"),
                Some(json!({"displayName": "Sales", "members": [{"value": ann}, {"value": bob}]})),
                200,
            )
            .await;
        assert_eq!(g["members"].as_array().unwrap().len(), 2);
        // Discovery names Groups.
        let rt = w.scim_ok("GET", "/ResourceTypes/Group", None, 200).await;
        assert_eq!(rt["endpoint"], "/Groups");
        w.scim_ok(
            "GET",
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
            None,
            200,
        )
        .await;
        // The audit names the SCIM token; delete, then 404.
        assert_eq!(w.last_audit().await["action"], "team.members");
        let a = w.scim("DELETE", &format!("/Groups/{id}"), None).await;
        assert_eq!(a.status.as_u16(), 204);
        w.scim("GET", &format!("/Groups/{id}"), None)
            .await
            .scim_error(404, None, "not_found");
    }
}
