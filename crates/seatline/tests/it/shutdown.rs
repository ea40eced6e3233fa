//! `seatline serve` stops by draining at SIGTERM (what systemd, Docker and Kubernetes send)
//! and at SIGINT (issue 28): it stops accepting, a held long poll answers at once with what
//! it has, a request still being received is read to its end and answered, the process exits
//! 0, and on SQLite the last connection's checkpoint leaves no `-wal` file behind. Before,
//! SIGTERM killed the process mid-request and SIGINT left the WAL.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::serve_race::{database, ok, Server};

const OPERATOR: &str = "shutdown-operator-token";

/// Send `signal` (`TERM`, `INT`) to `pid` with kill(1): the workspace forbids `unsafe`, and
/// `Child::kill` sends SIGKILL.
fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}: {status}");
}

/// Open a connection and send `bytes`, the whole request or its beginning.
async fn begin(addr: &str, bytes: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(bytes.as_bytes()).await.expect("send");
    s
}

/// The response on `s` (the server closes it: every request says `Connection: close`).
async fn answer(mut s: TcpStream) -> (u16, Value) {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut raw))
        .await
        .expect("an answer within 15 s")
        .expect("receive");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no response, the connection was cut: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    (
        status.expect("a status"),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn head(method: &str, path: &str, addr: &str, length: usize) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {OPERATOR}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

/// Start a server on `url`, hold a long poll and a half-sent request, send `signal`, and
/// check the drain. `wal`: the SQLite WAL file that must be gone once the process exited.
async fn drains(url: &str, signal: &str, wal: Option<&Path>) {
    let mut server = Server::start_with(url, &["--operator-token", OPERATOR]);
    let addr = server.addr.clone();
    let org = ok(
        &addr,
        "POST",
        "/api/v1/orgs",
        OPERATOR,
        Some(json!({"name": "Drain", "owner": {"email": "owner@drain.example"}})),
        201,
    )
    .await;
    let id = org["id"].as_str().expect("org id");

    // At the feed's head, so it would wait the whole 20 s.
    let feed = ok(
        &addr,
        "GET",
        &format!("/api/v1/orgs/{id}/events?after=0"),
        OPERATOR,
        None,
        200,
    )
    .await;
    let at = feed["next_cursor"].as_str().expect("a cursor at the head");
    let events = format!("/api/v1/orgs/{id}/events?after={at}&wait=20");
    let poll = begin(&addr, &head("GET", &events, &addr, 0)).await;
    let body = json!({"name": "Late", "owner": {"email": "owner@late.example"}}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut slow = begin(
        &addr,
        &(head("POST", "/api/v1/orgs", &addr, body.len()) + first),
    )
    .await;
    // Connections are accepted in order: once a later one is answered, the server has taken
    // both requests above and is serving them.
    ok(&addr, "GET", "/api/v1/me", OPERATOR, None, 200).await;

    let signalled = Instant::now();
    send(signal, server.pid());
    let (status, page) = answer(poll).await;
    assert_eq!(status, 200, "the long poll: {page}");
    assert_eq!(page["items"], json!([]), "{page}");
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "the long poll answered {:?} after the signal, not at once",
        signalled.elapsed()
    );

    // No new connection is taken while the open requests finish.
    let refused = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(&addr).await.is_ok() {
        assert!(Instant::now() < refused, "still accepting connections");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    slow.write_all(rest.as_bytes())
        .await
        .expect("send the rest");
    let (status, late) = answer(slow).await;
    assert_eq!(status, 201, "the request in flight: {late}");
    assert_eq!(late["name"], "Late", "{late}");

    let exit = server
        .exited_within(Duration::from_secs(15))
        .expect("the server exits within 15 s of the signal");
    assert!(exit.success(), "the server exited with {exit}");
    if let Some(wal) = wal {
        assert!(!wal.exists(), "{} is left behind", wal.display());
    }
}

fn sqlite_file() -> (tempfile::TempDir, String, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("seatline.db");
    let url = format!("sqlite:{}", db.display());
    let wal = dir.path().join("seatline.db-wal");
    (dir, url, wal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_sqlite_and_removes_the_wal() {
    let (_dir, url, wal) = sqlite_file();
    drains(&url, "TERM", Some(&wal)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_drains_sqlite_and_removes_the_wal() {
    let (_dir, url, wal) = sqlite_file();
    drains(&url, "INT", Some(&wal)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_postgres() {
    let Some(db) = database().await else {
        return;
    };
    drains(&db.url, "TERM", None).await;
}
