//! The bulk routes in-process: sample, upload (raw CSV, XLSX bytes, multipart), plan errors,
//! apply, stale and repeated apply, export, the upload limit, and the OpenAPI entries.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use seatline_app::App;
use seatline_sqlite::SqliteStore;
use seatline_store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

const OPERATOR: &str = "operator-secret-for-bulk-tests";

struct Api {
    router: Router,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }
    #[track_caller]
    fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Api {
    async fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("bulk.db").display());
        let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
        store.migrate().await.unwrap();
        let config = seatline_http::Config {
            operator_token: Some(OPERATOR.to_owned()),
            ..Default::default()
        };
        Api {
            router: seatline_http::router(App::new(store), config),
            _dir: dir,
        }
    }

    async fn send(&self, method: &str, path: &str, token: &str, ct: &str, body: Vec<u8>) -> Answer {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        if !ct.is_empty() {
            b = b.header("content-type", ct);
        }
        let resp = self
            .router
            .clone()
            .oneshot(b.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            content_type,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn json(&self, method: &str, path: &str, token: &str, body: Value) -> Answer {
        self.send(
            method,
            path,
            token,
            "application/json",
            body.to_string().into_bytes(),
        )
        .await
    }

    /// An org with 10 seats of a few codes, two numbers, one member; answers (org, owner token).
    async fn org(&self) -> (String, String) {
        let created = self
            .json(
                "POST",
                "/api/v1/orgs",
                OPERATOR,
                json!({"name": "Bulk", "owner": {"email": "owner@bulk.example", "name": "Owner"}}),
            )
            .await
            .expect(201);
        let org = created["id"].as_str().unwrap().to_owned();
        let owner = created["owner"]["id"].as_str().unwrap();
        for code in [
            "phone_system",
            "license_number",
            "device_web_rtc",
            "license_center",
        ] {
            self.json(
                "PUT",
                &format!("/api/v1/orgs/{org}/subscriptions/{code}"),
                OPERATOR,
                json!({"quantity": 10}),
            )
            .await
            .expect(200);
        }
        for n in ["+6531230001", "+6531230002"] {
            self.json(
                "POST",
                &format!("/api/v1/orgs/{org}/numbers"),
                OPERATOR,
                json!({"number": n}),
            )
            .await
            .expect(201);
        }
        let token = self
            .json(
                "POST",
                &format!("/api/v1/orgs/{org}/members/{owner}/tokens"),
                OPERATOR,
                json!({}),
            )
            .await
            .expect(201)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        self.json(
            "POST",
            &format!("/api/v1/orgs/{org}/members"),
            &token,
            json!({"email": "ann@bulk.example", "name": "Ann", "role": "member"}),
        )
        .await
        .expect(201);
        (org, token)
    }
}

const FILE: &str = "Ext key;Number;User;Addon license;Addon license\r\n\
301;+6531230001;ann@bulk.example;license_number;device_web_rtc\r\n\
302;;;license_center;\r\n";

#[tokio::test]
async fn sample_upload_apply_export() {
    let api = Api::new().await;
    let (org, t) = api.org().await;
    let base = format!("/api/v1/orgs/{org}");

    let sample = api
        .send("GET", &format!("{base}/bulk/sample.csv"), &t, "", vec![])
        .await;
    assert_eq!(sample.status, StatusCode::OK);
    assert!(
        sample.content_type.starts_with("text/csv"),
        "{}",
        sample.content_type
    );
    assert!(sample
        .text
        .starts_with("Ext key,Number,User,Addon license,Addon license\r\n"));

    let plan = api
        .send(
            "POST",
            &format!("{base}/bulk/plans"),
            &t,
            "text/csv",
            FILE.as_bytes().to_vec(),
        )
        .await
        .expect(201);
    assert_eq!(plan["status"], "ready", "{plan:#}");
    assert_eq!(plan["rows"], 2);
    assert_eq!(plan["can_apply"], true);
    assert_eq!(
        plan["seats"][0],
        json!({"code": "phone_system", "needed": 2, "available": 10})
    );
    let id = plan["id"].as_str().unwrap();
    let read = api
        .send("GET", &format!("{base}/bulk/plans/{id}"), &t, "", vec![])
        .await
        .expect(200);
    assert_eq!(read, plan);

    let applied = api
        .send(
            "POST",
            &format!("{base}/bulk/plans/{id}/apply"),
            &t,
            "",
            vec![],
        )
        .await
        .expect(200);
    assert_eq!(applied["status"], "applied");
    let again = api
        .send(
            "POST",
            &format!("{base}/bulk/plans/{id}/apply"),
            &t,
            "",
            vec![],
        )
        .await
        .expect(200);
    assert_eq!(again, applied);
    let ext = api
        .send("GET", &format!("{base}/extensions/301"), &t, "", vec![])
        .await
        .expect(200);
    assert_eq!(ext["member"]["email"], "ann@bulk.example");
    assert_eq!(ext["numbers"], json!(["+6531230001"]));
    let licenses = api
        .send("GET", &format!("{base}/licenses"), &t, "", vec![])
        .await
        .expect(200);
    let ps = licenses["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "phone_system")
        .unwrap()
        .clone();
    assert_eq!(
        (ps["in_use"].as_u64(), ps["assigned"].as_u64()),
        (Some(2), Some(1))
    );

    let export = api
        .send(
            "GET",
            &format!("{base}/extensions/export.csv"),
            &t,
            "",
            vec![],
        )
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.content_type.starts_with("text/csv"));
    assert_eq!(
        export.text,
        "Ext key,Number,User,Addon license,Addon license\r\n\
         301,+6531230001,ann@bulk.example,device_web_rtc,license_number\r\n\
         302,,,license_center,\r\n"
    );
}

#[tokio::test]
async fn plan_errors_stale_and_invalid() {
    let api = Api::new().await;
    let (org, t) = api.org().await;
    let base = format!("/api/v1/orgs/{org}");
    let bad = "Ext key,User,Addon license,Colour\n301,nobody@bulk.example,fax,red\n";
    let plan = api
        .send(
            "POST",
            &format!("{base}/bulk/plans"),
            &t,
            "text/csv",
            bad.into(),
        )
        .await
        .expect(201);
    assert_eq!(plan["status"], "invalid");
    let codes: Vec<(Value, &str)> = plan["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].clone(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            (json!(1), "bulk_unknown_column"),
            (json!(2), "unknown_member"),
            (json!(2), "unknown_code")
        ]
    );
    let id = plan["id"].as_str().unwrap();
    let a = api
        .send(
            "POST",
            &format!("{base}/bulk/plans/{id}/apply"),
            &t,
            "",
            vec![],
        )
        .await;
    assert_eq!(a.expect(409)["error"]["code"], "plan_invalid");

    let plan = api
        .send(
            "POST",
            &format!("{base}/bulk/plans"),
            &t,
            "text/csv",
            FILE.into(),
        )
        .await
        .expect(201);
    let id = plan["id"].as_str().unwrap();
    api.json(
        "POST",
        &format!("{base}/extensions/provision"),
        &t,
        json!({"count": 1, "start": "302"}),
    )
    .await
    .expect(201);
    let a = api
        .send(
            "POST",
            &format!("{base}/bulk/plans/{id}/apply"),
            &t,
            "",
            vec![],
        )
        .await;
    let e = a.expect(409);
    assert_eq!(e["error"]["code"], "plan_stale");
    assert_eq!(
        e["error"]["details"]["errors"][0]["code"],
        "extension_exists"
    );
    api.send("GET", &format!("{base}/extensions/301"), &t, "", vec![])
        .await
        .expect(404);

    let missing = api
        .send(
            "GET",
            &format!("{base}/bulk/plans/plan_nope"),
            &t,
            "",
            vec![],
        )
        .await;
    assert_eq!(missing.expect(404)["error"]["code"], "not_found");
}

#[tokio::test]
async fn xlsx_and_multipart_uploads() {
    let api = Api::new().await;
    let (org, t) = api.org().await;
    let base = format!("/api/v1/orgs/{org}");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "Ext key").unwrap();
    ws.write_string(0, 1, "Addon license").unwrap();
    ws.write_number(1, 0, 401.0).unwrap();
    ws.write_string(1, 1, "device_web_rtc").unwrap();
    let xlsx = book.save_to_buffer().unwrap();
    let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let plan = api
        .send("POST", &format!("{base}/bulk/plans"), &t, ct, xlsx.clone())
        .await
        .expect(201);
    assert_eq!(plan["status"], "ready", "{plan:#}");
    assert_eq!(plan["items"][0]["key"], "401");

    let boundary = "XbulkX";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.xlsx\"\r\nContent-Type: {ct}\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&xlsx);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mct = format!("multipart/form-data; boundary={boundary}");
    let plan = api
        .send("POST", &format!("{base}/bulk/plans"), &t, &mct, form)
        .await
        .expect(201);
    assert_eq!(plan["status"], "ready", "{plan:#}");

    let empty = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--{boundary}--\r\n"
    );
    let a = api
        .send(
            "POST",
            &format!("{base}/bulk/plans"),
            &t,
            &mct,
            empty.into(),
        )
        .await;
    assert_eq!(a.expect(422)["error"]["code"], "malformed");

    let a = api
        .send(
            "POST",
            &format!("{base}/bulk/plans"),
            &t,
            "text/csv",
            b"Ext key\n\xff\n".to_vec(),
        )
        .await;
    assert_eq!(a.expect(422)["error"]["code"], "file_unreadable");
}

#[tokio::test]
async fn size_limits() {
    let api = Api::new().await;
    let (org, t) = api.org().await;
    let base = format!("/api/v1/orgs/{org}");
    let mut rows = String::from("Ext key\n");
    for k in 0..100_001 {
        rows.push_str(&format!("{}\n", 100 + k % 99_000));
    }
    let a = api
        .send(
            "POST",
            &format!("{base}/bulk/plans"),
            &t,
            "text/csv",
            rows.into(),
        )
        .await;
    assert_eq!(a.expect(413)["error"]["code"], "too_many_rows");
    // 2 MiB passes the upload route although other routes refuse more than 1 MiB.
    let mut big = String::from("Ext key,User\n301,");
    big.push_str(&"x".repeat(2 * 1024 * 1024));
    let a = api
        .send(
            "POST",
            &format!("{base}/bulk/plans"),
            &t,
            "text/csv",
            big.into(),
        )
        .await;
    assert_eq!(a.expect(201)["errors"][0]["code"], "unknown_member");
    let huge = vec![b'1'; 64 * 1024 * 1024 + 1];
    let a = api
        .send("POST", &format!("{base}/bulk/plans"), &t, "text/csv", huge)
        .await;
    assert_eq!(a.expect(413)["error"]["code"], "too_large");
}

#[tokio::test]
async fn bulk_is_for_owners_and_admins_and_documented() {
    let api = Api::new().await;
    let (org, t) = api.org().await;
    let base = format!("/api/v1/orgs/{org}");
    let ann = api
        .send(
            "GET",
            &format!("{base}/members/ann@bulk.example"),
            &t,
            "",
            vec![],
        )
        .await
        .expect(200);
    let ann_token = api
        .json(
            "POST",
            &format!("{base}/members/{}/tokens", ann["id"].as_str().unwrap()),
            &t,
            json!({}),
        )
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, path) in [
        ("GET", format!("{base}/bulk/sample.csv")),
        ("POST", format!("{base}/bulk/plans")),
        ("GET", format!("{base}/extensions/export.csv")),
    ] {
        let a = api
            .send(method, &path, &ann_token, "text/csv", FILE.into())
            .await;
        assert_eq!(a.expect(403)["error"]["code"], "forbidden", "{path}");
    }
    let doc = api
        .send("GET", "/api/openapi.json", OPERATOR, "", vec![])
        .await
        .json();
    for path in [
        "/api/v1/orgs/{org}/bulk/sample.csv",
        "/api/v1/orgs/{org}/bulk/plans",
        "/api/v1/orgs/{org}/bulk/plans/{plan}",
        "/api/v1/orgs/{org}/bulk/plans/{plan}/apply",
        "/api/v1/orgs/{org}/extensions/export.csv",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    let plan = &doc["components"]["schemas"]["Plan"];
    assert!(plan["properties"]["errors"].is_object(), "{plan:#}");
    let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
        ["enum"]
        .to_string();
    assert!(
        codes.contains("plan_stale") && codes.contains("too_many_rows"),
        "{codes}"
    );
}
