//! Any sequence of SCIM writes never exceeds purchased seats; GET reflects the last accepted
//! write; the list and GET render the same user. On SQLite and on PostgreSQL.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::support::{World, OPERATOR, PATCH_OP, SEATLINE, USER};

#[derive(Debug, Clone)]
enum Attr {
    Active(bool),
    PhoneSystem(bool),
    ContactCenter(bool),
    WebRtc(bool),
    Mobile(u32),
}

impl Attr {
    fn path(&self) -> (String, Value) {
        let ext = |name: &str| format!("{SEATLINE}:{name}");
        match self {
            Attr::Active(b) => ("active".into(), json!(b)),
            Attr::PhoneSystem(b) => (ext("phoneSystem"), json!(b.to_string())),
            Attr::ContactCenter(b) => (ext("contactCenter"), json!(b)),
            Attr::WebRtc(b) => (ext("deviceWebRtc"), json!(b.to_string())),
            Attr::Mobile(n) => (ext("deviceMobileApp"), json!(n)),
        }
    }
    /// Where GET shows the attribute.
    fn shown(&self, user: &Value) -> Value {
        match self {
            Attr::Active(_) => user["active"].clone(),
            Attr::PhoneSystem(_) => user[SEATLINE]["phoneSystem"].clone(),
            Attr::ContactCenter(_) => user[SEATLINE]["contactCenter"].clone(),
            Attr::WebRtc(_) => user[SEATLINE]["deviceWebRtc"].clone(),
            Attr::Mobile(_) => user[SEATLINE]["deviceMobileApp"].clone(),
        }
    }
    fn written(&self) -> Value {
        match self {
            Attr::Active(b) | Attr::PhoneSystem(b) | Attr::ContactCenter(b) | Attr::WebRtc(b) => {
                json!(b)
            }
            Attr::Mobile(n) => json!(n),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Create { who: u8, block: Vec<Attr> },
    Patch { who: u8, attr: Attr },
    Delete { who: u8 },
}

fn attr() -> impl Strategy<Value = Attr> {
    prop_oneof![
        any::<bool>().prop_map(Attr::Active),
        any::<bool>().prop_map(Attr::PhoneSystem),
        any::<bool>().prop_map(Attr::ContactCenter),
        any::<bool>().prop_map(Attr::WebRtc),
        (0u32..3).prop_map(Attr::Mobile),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..5, prop::collection::vec(attr(), 0..3)).prop_map(|(who, block)| Op::Create { who, block }),
        5 => (0u8..5, attr()).prop_map(|(who, attr)| Op::Patch { who, attr }),
        1 => (0u8..5).prop_map(|who| Op::Delete { who }),
    ]
}

async fn check_seats(w: &World) {
    let path = format!("/api/v1/orgs/{}/licenses", w.org);
    let l = w.api_ok("GET", &path, &w.owner, Value::Null, 200).await;
    for item in l["items"].as_array().unwrap() {
        assert!(
            item["in_use"].as_u64() <= item["purchased"].as_u64(),
            "[{}] seats exceeded: {item}",
            w.name
        );
    }
}

async fn check_list_matches_get(w: &World) {
    let list = w.scim_ok("GET", "/Users?count=200", None, 200).await;
    for u in list["Resources"].as_array().unwrap() {
        let one = w
            .scim_ok(
                "GET",
                &format!("/Users/{}", u["id"].as_str().unwrap()),
                None,
                200,
            )
            .await;
        assert_eq!(&one, u, "[{}] list and GET render the same user", w.name);
    }
}

async fn run(w: &World, ops: Vec<Op>) {
    for (code, q) in [
        ("phone_system", 3),
        ("license_center", 2),
        ("device_mobile_app", 2),
        ("device_web_rtc", 1),
    ] {
        let path = format!("/api/v1/orgs/{}/subscriptions/{code}", w.org);
        w.api_ok("PUT", &path, OPERATOR, json!({"quantity": q}), 200)
            .await;
    }
    let mut ids: BTreeMap<u8, String> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Create { who, block } => {
                let mut ext = serde_json::Map::new();
                for a in &block {
                    let (path, v) = a.path();
                    if let Some(name) = path.strip_prefix(&format!("{SEATLINE}:")) {
                        ext.insert(name.to_owned(), v);
                    }
                }
                let active = block.iter().rev().find_map(|a| match a {
                    Attr::Active(b) => Some(*b),
                    _ => None,
                });
                let mut body = json!({"schemas": [USER], "userName": format!("user{who}@prop.test"), SEATLINE: ext});
                if let Some(b) = active {
                    body["active"] = json!(b);
                }
                let a = w.scim("POST", "/Users", Some(body)).await;
                match a.status.as_u16() {
                    201 => {
                        let id = a.body["id"].as_str().unwrap().to_owned();
                        let got = w.scim_ok("GET", &format!("/Users/{id}"), None, 200).await;
                        assert_eq!(got, a.body, "[{}] GET reflects the create", w.name);
                        ids.insert(who, id);
                    }
                    409 => assert!(ids.contains_key(&who), "[{}] {:#}", w.name, a.body),
                    400 => {}
                    s => panic!("[{}] unexpected {s}: {:#}", w.name, a.body),
                }
            }
            Op::Patch { who, attr } => {
                let Some(id) = ids.get(&who) else { continue };
                let (path, value) = attr.path();
                let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": path, "value": value}]});
                let a = w.scim("PATCH", &format!("/Users/{id}"), Some(body)).await;
                match a.status.as_u16() {
                    200 => {
                        let got = w.scim_ok("GET", &format!("/Users/{id}"), None, 200).await;
                        assert_eq!(
                            attr.shown(&got),
                            attr.written(),
                            "[{}] {attr:?}: {got:#}",
                            w.name
                        );
                        assert_eq!(got, a.body, "[{}] GET reflects the PATCH", w.name);
                    }
                    400 => {}
                    s => panic!("[{}] unexpected {s}: {:#}", w.name, a.body),
                }
            }
            Op::Delete { who } => {
                let Some(id) = ids.remove(&who) else { continue };
                let a = w.scim("DELETE", &format!("/Users/{id}"), None).await;
                assert_eq!(a.status.as_u16(), 204, "[{}] {:#}", w.name, a.body);
                w.scim("GET", &format!("/Users/{id}"), None)
                    .await
                    .scim_error(404, None, "not_found");
            }
        }
        check_seats(w).await;
    }
    check_list_matches_get(w).await;
}

/// Each case runs on a fresh SQLite file and, when reachable, a fresh PostgreSQL database.
fn run_everywhere(ops: Vec<Op>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            for w in World::all().await {
                run(&w, ops.clone()).await;
            }
        });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn scim_writes_keep_every_rule(ops in prop::collection::vec(op(), 1..14)) {
        run_everywhere(ops);
    }
}
