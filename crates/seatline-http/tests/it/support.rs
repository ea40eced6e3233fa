//! A server in-process on a temporary SQLite file, and a seeded world to call it in.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use http_body_util::BodyExt;
use seatline_app::App;
use seatline_sqlite::SqliteStore;
use seatline_store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

pub const OPERATOR: &str = "operator-secret-for-tests";

pub struct Api {
    pub router: Router,
    /// The server's store, for tests that play another process sharing the database.
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

/// A response with its body read: JSON when it parses, else a string.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    /// Assert the status and, for errors, the code and the error shape.
    #[track_caller]
    pub fn expect(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        if !code.is_empty() {
            assert_eq!(self.code(), code, "{:#}", self.body);
            assert!(self.body["error"]["message"].is_string(), "{}", self.body);
            assert!(self.body["error"]["details"].is_object(), "{}", self.body);
        }
        self
    }
}

impl Api {
    pub async fn new() -> Api {
        Self::with_bench(false).await
    }

    /// A server that also serves the benchmark's baselines when `bench` is set.
    pub async fn with_bench(bench: bool) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
        store.migrate().await.unwrap();
        let config = seatline_http::Config {
            operator_token: Some(OPERATOR.to_owned()),
            bench_baseline: bench,
        };
        Api {
            router: seatline_http::router(App::new(store.clone()), config),
            store,
            _dir: dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Response {
        self.router.clone().oneshot(req).await.unwrap()
    }

    pub async fn read(resp: Response) -> Answer {
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

    /// A request with an optional bearer token and JSON body, plus extra headers.
    pub fn request(
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Request<Body> {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let req = Self::request(method, path, token, body.as_ref(), &[]);
        Self::read(self.send(req).await).await
    }

    /// A call that must succeed with `status`; answers the body.
    #[track_caller]
    pub fn ok<'a>(
        &'a self,
        method: &'a str,
        path: &'a str,
        token: Option<&'a str>,
        body: Option<Value>,
        status: u16,
    ) -> impl std::future::Future<Output = Value> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let a = self.call(method, path, token, body).await;
            assert_eq!(
                a.status.as_u16(),
                status,
                "{method} {path} at {caller}: {:#}",
                a.body
            );
            a.body
        }
    }
}

/// One organization with an owner, an admin, a member holding extension 101 (with Contact
/// Center, Web Phone and a number), an unassigned extension 102, a member without an
/// extension, a disabled member, and a second organization with its own owner.
pub struct World {
    pub api: Api,
    pub org: String,
    /// `/api/v1/orgs/{org}`
    pub o: String,
    pub owner: Person,
    pub admin: Person,
    /// Role member, holds 101; its `token` is active.
    pub member: Person,
    /// Role member, active, no extension, no token.
    pub spare: Person,
    /// Disabled; its token was issued before it was disabled.
    pub disabled: Person,
    /// A revoked token of `member`.
    pub revoked: String,
    /// The id of another, active token of `member`.
    pub member_token_id: String,
    pub other_owner: Person,
    /// A stored bulk plan (ready: one new extension, 301).
    pub plan: String,
}

pub struct Person {
    pub id: String,
    pub email: String,
    pub token: String,
}

pub const FREE_NUMBER: &str = "+6560000001";
pub const ATTACHED_NUMBER: &str = "+6560000002";

impl World {
    pub async fn new() -> World {
        let api = Api::new().await;
        let op = Some(OPERATOR);
        let created = api
            .ok(
                "POST",
                "/api/v1/orgs",
                op,
                Some(
                    json!({"name": "Acme", "owner": {"email": "owner@acme.test", "name": "Olive"}}),
                ),
                201,
            )
            .await;
        let org = created["id"].as_str().unwrap().to_owned();
        let o = format!("/api/v1/orgs/{org}");
        for (code, q) in [
            ("phone_system", 10),
            ("license_center", 5),
            ("device_web_rtc", 5),
            ("license_number", 5),
        ] {
            api.ok(
                "PUT",
                &format!("{o}/subscriptions/{code}"),
                op,
                Some(json!({"quantity": q})),
                200,
            )
            .await;
        }
        for n in [FREE_NUMBER, ATTACHED_NUMBER] {
            api.ok(
                "POST",
                &format!("{o}/numbers"),
                op,
                Some(json!({"number": n})),
                201,
            )
            .await;
        }
        let owner_id = created["owner"]["id"].as_str().unwrap().to_owned();
        let owner = Person {
            token: token(&api, &o, &owner_id).await,
            id: owner_id,
            email: "owner@acme.test".into(),
        };
        let ot = Some(owner.token.as_str());
        let mut people = Vec::new();
        for (email, role) in [
            ("admin@acme.test", "admin"),
            ("member@acme.test", "member"),
            ("spare@acme.test", "member"),
            ("disabled@acme.test", "member"),
        ] {
            let m = api
                .ok(
                    "POST",
                    &format!("{o}/members"),
                    ot,
                    Some(json!({"email": email, "name": email, "role": role})),
                    201,
                )
                .await;
            let id = m["id"].as_str().unwrap().to_owned();
            people.push(Person {
                token: token(&api, &o, &id).await,
                id,
                email: email.to_owned(),
            });
        }
        let [admin, member, spare, disabled]: [Person; 4] = people.try_into().ok().unwrap();
        api.ok(
            "PATCH",
            &format!("{o}/members/{}", disabled.id),
            ot,
            Some(json!({"status": "disabled"})),
            200,
        )
        .await;
        // Two more tokens of the member: one revoked, one spare to revoke in tests.
        let t = api
            .ok(
                "POST",
                &format!("{o}/members/{}/tokens", member.id),
                ot,
                None,
                201,
            )
            .await;
        let revoked = t["token"].as_str().unwrap().to_owned();
        api.ok(
            "DELETE",
            &format!(
                "{o}/members/{}/tokens/{}",
                member.id,
                t["id"].as_str().unwrap()
            ),
            ot,
            None,
            204,
        )
        .await;
        let t = api
            .ok(
                "POST",
                &format!("{o}/members/{}/tokens", member.id),
                ot,
                None,
                201,
            )
            .await;
        let member_token_id = t["id"].as_str().unwrap().to_owned();

        api.ok(
            "POST",
            &format!("{o}/extensions/provision"),
            ot,
            Some(json!({"count": 2, "start": "101"})),
            201,
        )
        .await;
        api.ok(
            "PUT",
            &format!("{o}/extensions/101/member"),
            ot,
            Some(json!({"member": member.id})),
            200,
        )
        .await;
        api.ok(
            "PUT",
            &format!("{o}/extensions/101/addons"),
            ot,
            Some(json!({"addons": ["license_center", "device_web_rtc", "license_number"]})),
            200,
        )
        .await;
        api.ok(
            "PUT",
            &format!("{o}/extensions/101/numbers"),
            ot,
            Some(json!({"numbers": [ATTACHED_NUMBER]})),
            200,
        )
        .await;

        let other = api
            .ok(
                "POST",
                "/api/v1/orgs",
                op,
                Some(
                    json!({"name": "Other", "owner": {"email": "boss@other.test", "name": "Boss"}}),
                ),
                201,
            )
            .await;
        let other_owner_id = other["owner"]["id"].as_str().unwrap().to_owned();
        let other_owner = Person {
            token: token(
                &api,
                &format!("/api/v1/orgs/{}", other["id"].as_str().unwrap()),
                &other_owner_id,
            )
            .await,
            id: other_owner_id,
            email: "boss@other.test".into(),
        };
        let upload = Request::builder()
            .method("POST")
            .uri(format!("{o}/bulk/plans"))
            .header("authorization", format!("Bearer {}", owner.token))
            .header("content-type", "text/csv")
            .body(Body::from("Ext key,Number,User\n301,,\n"))
            .unwrap();
        let plan = Api::read(api.send(upload).await).await;
        assert_eq!(plan.status, 201, "{:#}", plan.body);
        let plan = plan.body["id"].as_str().unwrap().to_owned();
        World {
            plan,
            api,
            org,
            o,
            owner,
            admin,
            member,
            spare,
            disabled,
            revoked,
            member_token_id,
            other_owner,
        }
    }

    /// A path under this organization.
    pub fn at(&self, rest: &str) -> String {
        format!("{}{rest}", self.o)
    }
}

/// The operator issues a token for a member.
async fn token(api: &Api, o: &str, member: &str) -> String {
    let t = api
        .ok(
            "POST",
            &format!("{o}/members/{member}/tokens"),
            Some(OPERATOR),
            None,
            201,
        )
        .await;
    t["token"].as_str().unwrap().to_owned()
}
