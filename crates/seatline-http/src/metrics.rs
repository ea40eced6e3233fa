//! Prometheus metrics, kept by hand (a few counters and one histogram do not need a metrics
//! framework): requests and their latency by method, route template and status, and seats in
//! use per code for every organization this process has served.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use seatline_app::App;
use seatline_domain::{Code, OrgId};

use crate::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Organizations whose seats are reported; bounded so that probing ids cannot grow it.
const MAX_ORGS: usize = 10_000;

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    orgs: Mutex<BTreeSet<String>>,
}

/// The organization id of an `/api/v1/orgs/{org}/…` path.
fn org_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1/orgs/")?;
    let org = rest.split('/').next()?;
    (!org.is_empty()).then_some(org)
}

/// The middleware: time the request and count it under its route template.
pub(crate) async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let path = req.uri().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    if let (Some(org), true) = (org_of(path.path()), status.is_success()) {
        let mut orgs = s.metrics.orgs.lock().expect("metrics lock");
        // Copied only the first time: the PBX's reads name the same few organizations.
        if orgs.len() < MAX_ORGS && !orgs.contains(org) {
            orgs.insert(org.to_owned());
        }
    }
    s.metrics.observe(
        method,
        route,
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}

impl Metrics {
    fn observe(&self, method: String, route: String, status: u16, seconds: f64) {
        let mut requests = self.requests.lock().expect("metrics lock");
        let s = requests.entry((method, route, status)).or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    pub(crate) async fn render(&self, app: &App) -> String {
        let mut out = String::new();
        {
            let requests = self.requests.lock().expect("metrics lock");
            out.push_str("# HELP seatline_http_requests_total HTTP requests answered.\n");
            out.push_str("# TYPE seatline_http_requests_total counter\n");
            for ((method, route, status), s) in requests.iter() {
                let _ = writeln!(
                    out,
                    "seatline_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                    s.count
                );
            }
            out.push_str(
                "# HELP seatline_http_request_duration_seconds Time to answer a request.\n",
            );
            out.push_str("# TYPE seatline_http_request_duration_seconds histogram\n");
            for ((method, route, status), s) in requests.iter() {
                let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
                for (le, n) in BUCKETS.iter().zip(s.buckets) {
                    let _ = writeln!(
                        out,
                        "seatline_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "seatline_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    s.count
                );
                let _ = writeln!(
                    out,
                    "seatline_http_request_duration_seconds_sum{{{labels}}} {}",
                    s.sum
                );
                let _ = writeln!(
                    out,
                    "seatline_http_request_duration_seconds_count{{{labels}}} {}",
                    s.count
                );
            }
        }
        let orgs: Vec<String> = self
            .orgs
            .lock()
            .expect("metrics lock")
            .iter()
            .cloned()
            .collect();
        let mut seats = Vec::with_capacity(orgs.len());
        for org in orgs {
            let read = match app.store().begin().await {
                Ok(mut tx) => tx.seats(&OrgId(org.clone())).await,
                Err(e) => Err(e),
            };
            match read {
                Ok(s) => seats.push((org, s)),
                Err(e) => tracing::warn!(error = %e, org, "could not read seats for metrics"),
            }
        }
        type Field = fn(&seatline_domain::Seat) -> u32;
        let families: [(&str, &str, Field); 2] = [
            (
                "seatline_seats_in_use",
                "Seats in use per organization and code.",
                |s| s.in_use,
            ),
            (
                "seatline_seats_purchased",
                "Purchased seats per organization and code.",
                |s| s.purchased,
            ),
        ];
        for (name, help, field) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (org, s) in &seats {
                for code in Code::ALL {
                    let _ = writeln!(
                        out,
                        "{name}{{org=\"{org}\",code=\"{code}\"}} {}",
                        field(&s.get(code))
                    );
                }
            }
        }
        out
    }
}
