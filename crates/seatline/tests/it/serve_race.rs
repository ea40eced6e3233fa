//! Two `seatline serve` processes on one fresh PostgreSQL database race for the last 10 seats
//! over HTTP: 64 concurrent requests (provision, then add-ons) spread over both processes,
//! exactly 10 win, the others get `seats_exhausted`, and the license summary agrees.
//! Skips loudly when PostgreSQL is unreachable, except under `CI=true`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use seatline_testdb::TempPostgres;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const OPERATOR: &str = "race-operator-token";
const RACERS: usize = 64;
const LEFT: usize = 10;

/// A fresh database for the two-process tests, dropped with the guard when the test ends,
/// whether it passed or not (after the servers, which are created later).
pub(crate) async fn database() -> Option<TempPostgres> {
    TempPostgres::create("seatline_race", "the two-process tests did not run").await
}

/// A `seatline serve` child on a free port; killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub addr: String,
    /// What it printed up to the listening line, and with `--demo` up to the owner's token.
    pub banner: Vec<String>,
}

impl Server {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    fn start(database_url: &str) -> Server {
        Self::start_with(database_url, &["--operator-token", OPERATOR])
    }

    pub(crate) fn start_with(database_url: &str, args: &[&str]) -> Server {
        let demo = args.contains(&"--demo");
        let mut child = Command::new(env!("CARGO_BIN_EXE_seatline"))
            .args(["--database-url", database_url])
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("SEATLINE_OPERATOR_TOKEN")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn seatline serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut banner: Vec<String> = Vec::new();
        let mut addr = None;
        while addr.is_none() || (demo && !banner.iter().any(|l| l.contains("Owner token:"))) {
            let line = lines
                .next()
                .expect("seatline serve exited before it was ready")
                .expect("read stderr");
            if let Some(rest) = line.strip_prefix("Seatline listening on http://") {
                addr = Some(rest.trim().to_owned());
            }
            banner.push(line);
        }
        // Keep draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            addr: addr.expect("listening"),
            banner,
        }
    }
}

impl Server {
    /// Wait up to `within` for the process to exit by itself: its status, or `None`.
    pub(crate) fn exited_within(
        &mut self,
        within: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for seatline serve") {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Kill the process at once (SIGKILL): no shutdown, no cleanup.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection: (status, JSON body or null).
pub(crate) async fn call(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("receive");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

pub(crate) async fn ok(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
    want: u16,
) -> Value {
    let (status, v) = call(addr, method, path, token, body).await;
    assert_eq!(status, want, "{method} {path}: {v}");
    v
}

/// Send the requests all at once, alternating between the two servers; answer (won, exhausted).
async fn race(
    servers: [&str; 2],
    token: &str,
    requests: Vec<(&'static str, String, Value)>,
) -> (usize, usize) {
    let tasks: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, (method, path, body))| {
            let addr = servers[i % 2].to_owned();
            let token = token.to_owned();
            tokio::spawn(async move { call(&addr, method, &path, &token, Some(body)).await })
        })
        .collect();
    let (mut won, mut exhausted) = (0, 0);
    for t in tasks {
        match t.await.expect("request task") {
            (200 | 201, _) => won += 1,
            (409, v) if v["error"]["code"] == "seats_exhausted" => exhausted += 1,
            (status, v) => panic!("unexpected answer {status}: {v}"),
        }
    }
    (won, exhausted)
}

async fn license(addr: &str, o: &str, token: &str, code: &str) -> (u64, u64) {
    let all = ok(addr, "GET", &format!("{o}/licenses"), token, None, 200).await;
    let l = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap()
        .clone();
    (
        l["in_use"].as_u64().unwrap(),
        l["available"].as_u64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_give_the_last_ten_seats_to_ten_requests() {
    let Some(db) = database().await else {
        return;
    };
    let migrate = Command::new(env!("CARGO_BIN_EXE_seatline"))
        .args(["--database-url", &db.url, "migrate"])
        .output()
        .expect("run seatline migrate");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let (a, b) = (Server::start(&db.url), Server::start(&db.url));
    let servers = [a.addr.as_str(), b.addr.as_str()];

    let org = ok(
        servers[0],
        "POST",
        "/api/v1/orgs",
        OPERATOR,
        Some(json!({"name": "Race", "owner": {"email": "o@race.test"}})),
        201,
    )
    .await;
    let o = format!("/api/v1/orgs/{}", org["id"].as_str().unwrap());
    let t = ok(
        servers[1],
        "POST",
        &format!(
            "{o}/members/{}/tokens",
            org["owner"]["id"].as_str().unwrap()
        ),
        OPERATOR,
        None,
        201,
    )
    .await;
    let owner = t["token"].as_str().unwrap().to_owned();
    let set = |code: &str, q: usize| (format!("{o}/subscriptions/{code}"), json!({"quantity": q}));

    // Provision: 20 purchased, 10 in use, 64 racers for one extension each.
    let (path, body) = set("phone_system", 20);
    ok(servers[0], "PUT", &path, OPERATOR, Some(body), 200).await;
    ok(
        servers[0],
        "POST",
        &format!("{o}/extensions/provision"),
        &owner,
        Some(json!({"count": LEFT, "start": "100"})),
        201,
    )
    .await;
    let requests = (0..RACERS)
        .map(|i| {
            (
                "POST",
                format!("{o}/extensions/provision"),
                json!({"count": 1, "start": (1000 + i).to_string()}),
            )
        })
        .collect();
    assert_eq!(race(servers, &owner, requests).await, (LEFT, RACERS - LEFT));
    assert_eq!(
        license(servers[1], &o, &owner, "phone_system").await,
        (20, 0)
    );

    // Add-ons: 64 fresh extensions, 20 Contact Center seats of which 10 are in use.
    let (path, body) = set("phone_system", 20 + RACERS);
    ok(servers[1], "PUT", &path, OPERATOR, Some(body), 200).await;
    ok(
        servers[1],
        "POST",
        &format!("{o}/extensions/provision"),
        &owner,
        Some(json!({"count": RACERS, "start": "2000"})),
        201,
    )
    .await;
    let (path, body) = set("license_center", 2 * LEFT);
    ok(servers[0], "PUT", &path, OPERATOR, Some(body), 200).await;
    for key in 100..100 + LEFT {
        ok(
            servers[key % 2],
            "PUT",
            &format!("{o}/extensions/{key}/addons"),
            &owner,
            Some(json!({"addons": ["license_center"]})),
            200,
        )
        .await;
    }
    let requests = (0..RACERS)
        .map(|i| {
            (
                "PUT",
                format!("{o}/extensions/{}/addons", 2000 + i),
                json!({"addons": ["license_center"]}),
            )
        })
        .collect();
    assert_eq!(race(servers, &owner, requests).await, (LEFT, RACERS - LEFT));
    assert_eq!(
        license(servers[0], &o, &owner, "license_center").await,
        (2 * LEFT as u64, 0)
    );

    drop((a, b));
}
