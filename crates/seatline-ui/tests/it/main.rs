//! The admin UI driven in-process: a real SQLite store in a temp file, the router called with
//! `oneshot`, and a tiny cookie jar playing the browser.

mod access;
mod bulk;
mod firstuse;
mod integrations;
mod licenses;
mod members;
mod nav;
mod scim;
mod sign_in_links;
mod signin;
mod usage;
mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use seatline_app::{App, Ctx};
use seatline_domain::OrgId;
use seatline_store::Store;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// One organization with an owner, an admin and two members, seats and numbers, and the UI.
pub struct World {
    pub app: App,
    pub router: Router,
    pub org: OrgId,
    /// The owner acting outside the UI, to set up a case.
    pub owner: Ctx,
    url: String,
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("ui.db").display());
        let store: Arc<dyn Store> =
            Arc::new(seatline_sqlite::SqliteStore::connect(&url).await.unwrap());
        store.migrate().await.unwrap();
        let app = App::new(store);
        let op = Ctx::operator();
        let org = app
            .create_org(&op, "Acme Support", "owner@acme.test", "Olive Owner")
            .await
            .unwrap();
        let owner = seatline_domain::MemberId(org.owner.id.clone());
        let org = OrgId(org.id);
        let epoch = app.start_session(&org, &owner).await.unwrap();
        let as_owner = app.session(&org, &owner, epoch).await.unwrap();
        for (code, q) in [
            ("phone_system", 8),
            ("license_center", 2),
            ("device_web_rtc", 2),
            ("device_mobile_app", 3),
            ("license_number", 1),
        ] {
            app.set_quantity(&op, &org, code, q).await.unwrap();
        }
        for n in ["+6531230001", "+6531230002"] {
            app.add_number(&op, &org, n).await.unwrap();
        }
        for (email, name, role) in [
            ("adam@acme.test", "Adam Admin", "admin"),
            ("alice@acme.test", "Alice Agent", "member"),
            ("bob@acme.test", "Bob Agent", "member"),
        ] {
            app.create_member(&as_owner, &org, email, name, role)
                .await
                .unwrap();
        }
        for email in ["owner@acme.test", "adam@acme.test", "alice@acme.test"] {
            app.set_password(&op, &org, email, PASSWORD).await.unwrap();
        }
        let router = ui(app.clone());
        World {
            app,
            router,
            org,
            owner: as_owner,
            url,
            _dir: dir,
        }
    }

    /// Another `seatline serve` on the same database with the same session key: its own
    /// store and connection pool, sharing nothing in memory with this one.
    pub async fn other_process(&self) -> Router {
        let store: Arc<dyn Store> = Arc::new(
            seatline_sqlite::SqliteStore::connect(&self.url)
                .await
                .unwrap(),
        );
        ui(App::new(store))
    }

    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            jar: HashMap::new(),
        }
    }

    /// A browser signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let mut b = self.browser();
        let r = b.sign_in(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        b
    }
}

fn ui(app: App) -> Router {
    seatline_ui::router(
        app,
        seatline_ui::Config {
            session_key: Some("test session key, long enough".into()),
            secure_cookies: false,
        },
    )
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }
    #[track_caller]
    pub fn assert_has(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "expected {text:?} in the {} page:\n{}",
            self.status,
            self.body
        );
    }
}

pub struct Browser {
    router: Router,
    jar: HashMap<String, String>,
}

impl Browser {
    pub async fn send(&mut self, req: Request<Body>) -> Reply {
        let mut req = req;
        if !self.jar.is_empty() {
            let c: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req.headers_mut()
                .insert(COOKIE, c.join("; ").parse().unwrap());
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), val.to_owned());
            }
        }
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Post a form as it is, without adding a CSRF token.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        self.send(
            Request::post(path)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.join("&")))
                .unwrap(),
        )
        .await
    }

    /// Post a form with the CSRF token of the page at `from`, as a browser submitting it.
    pub async fn post(&mut self, from: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
        let page = self.get(from).await;
        let token = csrf_of(&page.body);
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Upload a file with the multipart form of the page at `from`.
    pub async fn upload(&mut self, from: &str, path: &str, name: &str, file: &[u8]) -> Reply {
        let token = if from.is_empty() {
            String::new()
        } else {
            csrf_of(&self.get(from).await.body)
        };
        let b = "XyZzyBoundary7";
        let mut body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        self.send(
            Request::post(path)
                .header(CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        self.post(
            "/ui/sign-in",
            "/ui/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Follow a redirect and answer the page it leads to.
    pub async fn follow(&mut self, r: &Reply) -> Reply {
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let to = r.location().to_owned();
        self.get(&to).await
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.jar.contains_key(name)
    }

    /// Another browser holding copies of this one's cookies (a stolen session), talking
    /// to `router`.
    pub fn copy_to(&self, router: &Router) -> Browser {
        Browser {
            router: router.clone(),
            jar: self.jar.clone(),
        }
    }
}

/// The value of the first CSRF field of a page.
pub fn csrf_of(body: &str) -> String {
    let at = body
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in:\n{body}"));
    let rest = &body[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
