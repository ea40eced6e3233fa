//! Webhook endpoints and deliveries (product.md §8). A claim is a column with an expiry and
//! its holder's boot: the claiming UPDATE runs under SQLite's write lock, and a claim left by
//! a crashed process is taken again as soon as its holder is seen dead (`liveness`), or once
//! it expires.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rusqlite::Connection;
use seatline_domain::OrgId;
use seatline_store::{DeliveryOutcome, DeliveryQuery, DeliveryRow, Result, WebhookRow};

use crate::sql::{db, exec, json, row, rows, Get, Sql};

const ENDPOINT_COLUMNS: &str = "id, org_id, url, types, description, enabled, disabled_reason, \
     secrets, created_at, cursor, failing_since";

const DELIVERY_COLUMNS: &str = "id, org_id, endpoint_id, event_seq, event_id, event_type, body, \
     status, attempts, next_attempt_at, last_status, last_error, last_duration_ms, created_at, \
     updated_at";

static ENABLED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE enabled ORDER BY created_at, id"
    )
});
/// ?1 claim, ?2 holder, ?3 until, ?4 now, ?5 limit, ?6 slots per endpoint. An endpoint's
/// deliveries under live claims hold its slots (`busy`); of its due ones, only as many as it
/// has free slots are taken (`n`), so a slow endpoint's backlog stays pending and unclaimed.
static CLAIM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE webhook_deliveries
         SET status = 'delivering', claimed_by = ?1, claim_holder = ?2, claimed_until = ?3,
             attempts = attempts + 1, updated_at = ?4
         WHERE id IN (
             SELECT due.id FROM (
                 SELECT d.id, d.endpoint_id, d.next_attempt_at,
                        row_number() OVER (PARTITION BY d.endpoint_id
                                           ORDER BY d.next_attempt_at, d.id) AS n
                 FROM webhook_deliveries d
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE e.enabled AND d.next_attempt_at <= ?4
                   AND d.status IN ('pending', 'delivering')
                   AND (d.status = 'pending' OR d.claimed_until < ?4
                        OR NOT holder_alive(d.claim_holder))
             ) due
             LEFT JOIN (
                 SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
                 WHERE status IN ('pending', 'delivering') AND status = 'delivering'
                   AND claimed_until >= ?4 AND holder_alive(claim_holder)
                 GROUP BY endpoint_id
             ) busy ON busy.endpoint_id = due.endpoint_id
             WHERE due.n <= ?6 - coalesce(busy.n, 0)
             ORDER BY due.next_attempt_at, due.id LIMIT ?5)
         RETURNING {DELIVERY_COLUMNS}"
    )
});
static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
});
static ONE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = ? AND id = ?")
});
static OF_ORG: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = ? ORDER BY created_at, id"
    )
});

fn endpoint(r: &rusqlite::Row<'_>) -> Result<WebhookRow> {
    Ok(WebhookRow {
        id: r.at(0)?,
        org: OrgId(r.at(1)?),
        url: r.at(2)?,
        types: serde_json::from_str(&r.at::<String>(3)?).map_err(json)?,
        description: r.at(4)?,
        enabled: r.at(5)?,
        disabled_reason: r.at(6)?,
        secrets: serde_json::from_str(&r.at::<String>(7)?).map_err(json)?,
        created_at: r.at(8)?,
        cursor: r.at(9)?,
        failing_since: r.at(10)?,
    })
}

fn delivery(r: &rusqlite::Row<'_>) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.at(0)?,
        org: OrgId(r.at(1)?),
        endpoint: r.at(2)?,
        event_seq: r.at(3)?,
        event_id: r.at(4)?,
        event_type: r.at(5)?,
        body: r.at(6)?,
        status: r.at(7)?,
        attempts: r.at(8)?,
        next_attempt_at: r.at(9)?,
        last_status: r.at(10)?,
        last_error: r.at(11)?,
        last_duration_ms: r.at(12)?,
        created_at: r.at(13)?,
        updated_at: r.at(14)?,
    })
}

pub(crate) fn enabled_webhooks(conn: &Connection) -> Result<Vec<WebhookRow>> {
    rows(conn, &ENABLED, (), endpoint)
}

pub(crate) fn claim_deliveries(
    conn: &Connection,
    now: &str,
    claim: &str,
    holder: Option<&str>,
    until: &str,
    limits: (u32, u32),
) -> Result<Vec<DeliveryRow>> {
    let (limit, per_endpoint) = limits;
    let mut out = rows(
        conn,
        &CLAIM,
        (
            claim,
            holder,
            until,
            now,
            i64::from(limit),
            i64::from(per_endpoint),
        ),
        delivery,
    )?;
    out.sort_by(|a, b| (&a.next_attempt_at, a.id).cmp(&(&b.next_attempt_at, b.id)));
    Ok(out)
}

/// Record the outcomes, in the caller's write transaction; whether each was still ours.
pub(crate) fn finish_deliveries(
    conn: &Connection,
    outcomes: &[DeliveryOutcome],
) -> Result<Vec<bool>> {
    let mut recorded = Vec::with_capacity(outcomes.len());
    let mut by_endpoint: BTreeMap<String, Vec<&DeliveryOutcome>> = BTreeMap::new();
    for o in outcomes {
        let endpoint: Option<String> = row(
            conn,
            "UPDATE webhook_deliveries
             SET status = ?, next_attempt_at = ?, last_status = ?, last_error = ?,
                 last_duration_ms = ?, updated_at = ?, claimed_by = NULL, claimed_until = NULL,
                 claim_holder = NULL
             WHERE id = ? AND status = 'delivering' AND claimed_by = ?
             RETURNING endpoint_id",
            (
                &o.status,
                &o.next_attempt_at,
                o.last_status,
                &o.last_error,
                o.last_duration_ms,
                &o.at,
                o.id,
                &o.claim,
            ),
            |r| r.at(0),
        )?;
        recorded.push(endpoint.is_some());
        if let Some(endpoint) = endpoint {
            by_endpoint.entry(endpoint).or_default().push(o);
        }
    }
    // Endpoints in one order, so two processes' rounds never wait on each other crosswise.
    for (endpoint, outcomes) in &by_endpoint {
        for o in outcomes {
            set_failing(conn, endpoint, o)?;
        }
    }
    Ok(recorded)
}

/// A success ends the endpoint's run of failures; a failure starts one unless it runs already.
fn set_failing(conn: &Connection, endpoint: &str, o: &DeliveryOutcome) -> Result<()> {
    if o.succeeded {
        exec(
            conn,
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?",
            (endpoint,),
        )?;
    } else {
        exec(
            conn,
            "UPDATE webhook_endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL",
            (&o.at, endpoint),
        )?;
    }
    Ok(())
}

pub(crate) fn insert_webhook(conn: &Connection, w: &WebhookRow) -> Result<()> {
    exec(
        conn,
        &INSERT,
        (
            &w.id,
            w.org.as_str(),
            &w.url,
            serde_json::to_string(&w.types).map_err(json)?,
            &w.description,
            w.enabled,
            &w.disabled_reason,
            serde_json::to_string(&w.secrets).map_err(json)?,
            &w.created_at,
            w.cursor,
            &w.failing_since,
        ),
    )?;
    Ok(())
}

pub(crate) fn webhook(conn: &Connection, org: &OrgId, id: &str) -> Result<Option<WebhookRow>> {
    row(conn, &ONE, (org.as_str(), id), endpoint)
}

pub(crate) fn webhooks(conn: &Connection, org: &OrgId) -> Result<Vec<WebhookRow>> {
    rows(conn, &OF_ORG, (org.as_str(),), endpoint)
}

pub(crate) fn update_webhook(conn: &Connection, w: &WebhookRow) -> Result<bool> {
    let n = exec(
        conn,
        "UPDATE webhook_endpoints
         SET url = ?, types = ?, description = ?, enabled = ?, disabled_reason = ?, secrets = ?,
             failing_since = ?
         WHERE org_id = ? AND id = ?",
        (
            &w.url,
            serde_json::to_string(&w.types).map_err(json)?,
            &w.description,
            w.enabled,
            &w.disabled_reason,
            serde_json::to_string(&w.secrets).map_err(json)?,
            &w.failing_since,
            w.org.as_str(),
            &w.id,
        ),
    )?;
    Ok(n == 1)
}

pub(crate) fn delete_webhook(conn: &Connection, org: &OrgId, id: &str) -> Result<bool> {
    let n = exec(
        conn,
        "DELETE FROM webhook_endpoints WHERE org_id = ? AND id = ?",
        (org.as_str(), id),
    )?;
    Ok(n == 1)
}

pub(crate) fn advance_webhook(
    conn: &Connection,
    org: &OrgId,
    id: &str,
    from: i64,
    to: i64,
) -> Result<bool> {
    let n = exec(
        conn,
        "UPDATE webhook_endpoints SET cursor = ? WHERE org_id = ? AND id = ? AND cursor = ?",
        (to, org.as_str(), id, from),
    )?;
    Ok(n == 1)
}

pub(crate) fn insert_deliveries(conn: &Connection, deliveries: &[DeliveryRow]) -> Result<()> {
    let mut st = conn
        .prepare_cached(
            "INSERT INTO webhook_deliveries (org_id, endpoint_id, event_seq, event_id, event_type, \
             body, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .map_err(db)?;
    for d in deliveries {
        st.execute((
            d.org.as_str(),
            &d.endpoint,
            d.event_seq,
            &d.event_id,
            &d.event_type,
            &d.body,
            &d.status,
            d.attempts,
            &d.next_attempt_at,
            d.last_status,
            &d.last_error,
            &d.created_at,
            &d.updated_at,
        ))
        .map_err(db)?;
    }
    Ok(())
}

pub(crate) fn deliveries(
    conn: &Connection,
    org: &OrgId,
    endpoint: &str,
    dq: &DeliveryQuery,
) -> Result<Vec<DeliveryRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = "
    ));
    sql.bind(org.as_str())
        .push(" AND endpoint_id = ")
        .bind(endpoint);
    if let Some(status) = &dq.status {
        sql.push(" AND status = ").bind(status.as_str());
    }
    if let Some(before) = dq.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(i64::from(dq.limit));
    sql.rows(conn, delivery)
}
