//! The hostile upload corpus over HTTP, in-process: every file gets its documented status in
//! the error shape (or a plan), and the server keeps answering afterwards.

#[allow(dead_code)]
#[path = "../../../seatline-app/tests/bulk/corpus.rs"]
mod corpus;

use axum::body::Body;
use axum::http::Request;

use crate::support::{Api, World};
use corpus::{corpus, Expect};

fn content_type(name: &str) -> &'static str {
    if name.ends_with(".csv") {
        "text/csv"
    } else if name.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "application/octet-stream"
    }
}

#[tokio::test]
async fn every_hostile_upload_gets_a_documented_answer() {
    let w = World::new().await;
    let mut failures = Vec::new();
    for case in corpus() {
        let req = Request::builder()
            .method("POST")
            .uri(format!("{}/bulk/plans", w.o))
            .header("authorization", format!("Bearer {}", w.owner.token))
            .header("content-type", content_type(case.name))
            .body(Body::from(case.bytes))
            .unwrap();
        let a = Api::read(w.api.send(req).await).await;
        let ok = match case.expect {
            Expect::Plan => a.status.as_u16() == 201 && a.body["id"].is_string(),
            Expect::Refused(codes) => {
                let status = a.status.as_u16();
                let code = a.code();
                let kind_status = if matches!(code, "file_unreadable" | "malformed") {
                    422
                } else {
                    413
                };
                codes.contains(&code)
                    && status == kind_status
                    && a.body["error"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty())
                    && a.body["error"]["details"].is_object()
            }
        };
        if !ok {
            failures.push(format!(
                "{}: wanted {:?}, got {} {}",
                case.name,
                case.expect,
                a.status,
                a.body.to_string().chars().take(300).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Still serving.
    w.api
        .ok(
            "GET",
            &format!("{}/licenses", w.o),
            Some(&w.owner.token),
            None,
            200,
        )
        .await;
}

#[tokio::test]
async fn too_many_headers_answer_431_in_the_error_shape() {
    let w = World::new().await;
    let mut b = Request::builder()
        .uri(format!("{}/licenses", w.o))
        .header("authorization", format!("Bearer {}", w.owner.token));
    for i in 0..150 {
        b = b.header(format!("x-filler-{i}"), "1");
    }
    let a = Api::read(w.api.send(b.body(Body::empty()).unwrap()).await).await;
    a.expect(431, "headers_too_large");
    let mut b = Request::builder().uri(format!("{}/licenses", w.o));
    b = b.header("x-large", "v".repeat(40 * 1024));
    let a = Api::read(w.api.send(b.body(Body::empty()).unwrap()).await).await;
    a.expect(431, "headers_too_large");
}

#[tokio::test]
async fn framework_refusals_use_the_error_shape() {
    let w = World::new().await;
    // 405: a known path with another method.
    w.api
        .call(
            "DELETE",
            &format!("{}/licenses", w.o),
            Some(&w.owner.token),
            None,
        )
        .await
        .expect(405, "method_not_allowed");
    // 415: a JSON route given a form.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/orgs")
        .header(
            "authorization",
            format!("Bearer {}", crate::support::OPERATOR),
        )
        .header("content-type", "text/plain")
        .body(Body::from("name=x"))
        .unwrap();
    Api::read(w.api.send(req).await)
        .await
        .expect(415, "unsupported_media_type");
    // 413: an upload past the limit.
    let req = Request::builder()
        .method("POST")
        .uri(format!("{}/bulk/plans", w.o))
        .header("authorization", format!("Bearer {}", w.owner.token))
        .header("content-type", "text/csv")
        .body(Body::from(vec![b'a'; 64 * 1024 * 1024 + 1]))
        .unwrap();
    Api::read(w.api.send(req).await)
        .await
        .expect(413, "too_large");
}
