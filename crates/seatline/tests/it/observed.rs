//! Every request `seatline serve` answers is observed alike, the admin UI's as the API's: it
//! carries a request id (kept from `X-Request-Id` or made) and counts in `/metrics` under its
//! route. Before, the UI was merged beside the API's layers and had neither.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::serve_race::Server;

/// A raw HTTP/1.1 GET: the status line and headers (lower-cased) and the body.
async fn get(addr: &str, path: &str, headers: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("send");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    (head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test]
async fn the_admin_ui_is_logged_and_counted_like_the_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("seatline.db").display());
    let s = Server::start_with(&db, &["--operator-token", "observed-operator"]);

    let (head, _) = get(&s.addr, "/ui/sign-in", "X-Request-Id: ui-request-1\r\n").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("x-request-id: ui-request-1"), "{head}");
    let (head, _) = get(&s.addr, "/ui/sign-in", "").await;
    assert!(
        head.contains("x-request-id: "),
        "a request id is made: {head}"
    );

    let (head, metrics) = get(
        &s.addr,
        "/metrics",
        "Authorization: Bearer observed-operator\r\n",
    )
    .await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("seatline_http_requests_total") && l.contains("/ui/sign-in")),
        "{metrics}"
    );
}
