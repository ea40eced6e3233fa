//! A world per store: a server in-process on a fresh SQLite file or a fresh PostgreSQL
//! database, an organization with purchased seats and numbers, its owner's token and a
//! SCIM token.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use seatline_app::App;
use seatline_store::Store;
use seatline_testdb::TempPostgres;
use serde_json::{json, Value};
use tower::ServiceExt;

pub const OPERATOR: &str = "operator-secret-for-scim-tests";
pub const SEATLINE: &str = "urn:ietf:params:scim:schemas:extension:seatline:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// The world's last field, dropped after its router: the pool closes before the database goes.
enum Db {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] TempPostgres),
}

pub struct World {
    pub name: &'static str,
    router: Router,
    pub org: String,
    pub owner: String,
    pub scim: String,
    /// Held for its drop: the database goes with the world.
    _db: Db,
}

/// An answer: status, headers and the body as JSON (or a string).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Assert a SCIM error: status, `scimType`, and a `detail` starting with Seatline's code.
    #[track_caller]
    pub fn scim_error(&self, status: u16, scim_type: Option<&str>, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(
            self.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{:#}",
            self.body
        );
        assert_eq!(self.body["status"], json!(status.to_string()));
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{:#}", self.body);
        let detail = self.body["detail"].as_str().unwrap_or("");
        assert!(detail.starts_with(&format!("{code}: ")), "{detail}");
        assert_eq!(self.content_type(), "application/scim+json");
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl World {
    pub async fn sqlite() -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("scim.db").display());
        let store: Arc<dyn Store> =
            Arc::new(seatline_sqlite::SqliteStore::connect(&url).await.unwrap());
        World::seed("sqlite", store, Db::Sqlite(dir)).await
    }

    /// A fresh PostgreSQL database under `SEATLINE_TEST_PG_URL`; `None` (said loudly) when
    /// the server is unreachable, a failure under `CI=true`.
    async fn postgres() -> Option<World> {
        let db = TempPostgres::create("seatline_scim", "the SCIM tests ran on SQLite only").await?;
        let store: Arc<dyn Store> = Arc::new(
            seatline_postgres::PostgresStore::connect(&db.url)
                .await
                .expect("connect"),
        );
        Some(World::seed("postgres", store, Db::Postgres(db)).await)
    }

    /// Every world the tests run on: SQLite, and PostgreSQL when reachable.
    pub async fn all() -> Vec<World> {
        let mut worlds = vec![World::sqlite().await];
        worlds.extend(World::postgres().await);
        worlds
    }

    /// An organization with 5 phone systems, 3 of each add-on, two numbers and a SCIM token.
    async fn seed(name: &'static str, store: Arc<dyn Store>, db: Db) -> World {
        store.migrate().await.unwrap();
        let config = seatline_http::Config {
            operator_token: Some(OPERATOR.to_owned()),
            bench_baseline: false,
        };
        let mut w = World {
            name,
            router: seatline_http::router(App::new(store), config),
            org: String::new(),
            owner: String::new(),
            scim: String::new(),
            _db: db,
        };
        let org = w
            .api_ok("POST", "/api/v1/orgs", OPERATOR, json!({"name": "Acme", "owner": {"email": "owner@acme.test", "name": "Olga Owner"}}), 201)
            .await;
        w.org = org["id"].as_str().unwrap().to_owned();
        let owner_id = org["owner"]["id"].as_str().unwrap().to_owned();
        for (code, q) in [
            ("phone_system", 5),
            ("device_ip_phone", 3),
            ("device_mobile_app", 3),
            ("device_desktop_app", 3),
            ("device_web_rtc", 3),
            ("license_center", 3),
            ("license_number", 3),
            ("call_recording", 3),
            ("license_dnc_checking_enabled", 3),
            ("team_chat", 3),
        ] {
            let path = format!("/api/v1/orgs/{}/subscriptions/{code}", w.org);
            w.api_ok("PUT", &path, OPERATOR, json!({"quantity": q}), 200)
                .await;
        }
        for n in ["+14155550100", "+14155550101"] {
            let path = format!("/api/v1/orgs/{}/numbers", w.org);
            w.api_ok("POST", &path, OPERATOR, json!({"number": n}), 201)
                .await;
        }
        let path = format!("/api/v1/orgs/{}/members/{owner_id}/tokens", w.org);
        let t = w.api_ok("POST", &path, OPERATOR, json!({}), 201).await;
        w.owner = t["token"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/orgs/{}/scim-tokens", w.org);
        let owner = w.owner.clone();
        let t = w
            .api_ok("POST", &path, &owner, json!({"name": "Entra ID"}), 201)
            .await;
        w.scim = t["token"].as_str().unwrap().to_owned();
        w
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path)
            .header("host", "seatline.test");
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let has_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some(v) => {
                if !has_type {
                    b = b.header("content-type", "application/scim+json");
                }
                b.body(Body::from(v.to_string())).unwrap()
            }
            None => b.body(Body::empty()).unwrap(),
        };
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A request with a raw body (a bulk file) and its content type.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path)
            .header("host", "seatline.test")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A call of the JSON API that must answer `status`.
    #[track_caller]
    pub fn api_ok<'a>(
        &'a self,
        method: &'a str,
        path: &'a str,
        token: &'a str,
        body: Value,
        status: u16,
    ) -> impl std::future::Future<Output = Value> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let body = (method != "GET" && method != "DELETE").then_some(body);
            let a = self
                .send(
                    method,
                    path,
                    Some(token),
                    body.as_ref(),
                    &[("content-type", "application/json")],
                )
                .await;
            assert_eq!(
                a.status.as_u16(),
                status,
                "{method} {path} at {caller}: {:#}",
                a.body
            );
            a.body
        }
    }

    /// A SCIM request with the world's SCIM token.
    pub async fn scim(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let path = format!("/scim/v2{path}");
        self.send(method, &path, Some(&self.scim), body.as_ref(), &[])
            .await
    }

    /// A SCIM request that must answer `status`; its body.
    #[track_caller]
    pub fn scim_ok<'a>(
        &'a self,
        method: &'a str,
        path: &'a str,
        body: Option<Value>,
        status: u16,
    ) -> impl std::future::Future<Output = Value> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let a = self.scim(method, path, body).await;
            assert_eq!(
                a.status.as_u16(),
                status,
                "[{}] {method} {path} at {caller}: {:#}",
                self.name,
                a.body
            );
            if status != 204 {
                assert_eq!(a.content_type(), "application/scim+json");
            }
            a.body
        }
    }

    /// The member as the JSON API shows it (404 → `None`).
    pub async fn member(&self, id: &str) -> Option<Value> {
        let path = format!("/api/v1/orgs/{}/members/{id}", self.org);
        let a = self.send("GET", &path, Some(&self.owner), None, &[]).await;
        (a.status == StatusCode::OK).then_some(a.body)
    }

    /// An extension as the JSON API shows it.
    pub async fn extension(&self, key: &str) -> Value {
        let path = format!("/api/v1/orgs/{}/extensions/{key}", self.org);
        let owner = self.owner.clone();
        self.api_ok("GET", &path, &owner, Value::Null, 200).await
    }

    /// Seats in use of a code.
    pub async fn in_use(&self, code: &str) -> u64 {
        let path = format!("/api/v1/orgs/{}/licenses", self.org);
        let owner = self.owner.clone();
        let l = self.api_ok("GET", &path, &owner, Value::Null, 200).await;
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .map(|i| i["in_use"].as_u64().unwrap())
            .unwrap()
    }

    /// The newest audit entry.
    pub async fn last_audit(&self) -> Value {
        let path = format!("/api/v1/orgs/{}/audit?limit=1", self.org);
        let owner = self.owner.clone();
        let a = self.api_ok("GET", &path, &owner, Value::Null, 200).await;
        a["items"][0].clone()
    }
}

/// Entra ID's documented create request (its "Create User" example), with the Seatline
/// extension as an admin maps it.
pub fn entra_create(email: &str, external_id: &str, seatline: Option<Value>) -> Value {
    let mut body = json!({
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": external_id,
        "userName": email,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Barbara Jensen",
        "roles": []
    });
    if let Some(s) = seatline {
        body[SEATLINE] = s;
    }
    body
}
