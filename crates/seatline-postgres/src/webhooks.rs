//! Webhook endpoints and deliveries (product.md §8). Several processes may claim at once:
//! the claiming statement selects due rows `FOR UPDATE SKIP LOCKED`, so concurrent claimers
//! pass over each other's rows instead of waiting for them or taking them twice, and a claim
//! left by a crashed process is taken again as soon as its holder is seen dead (`liveness`),
//! or once it expires.

use std::collections::BTreeMap;

use seatline_domain::OrgId;
use seatline_store::{DeliveryOutcome, DeliveryQuery, DeliveryRow, Result, StoreError, WebhookRow};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use crate::sql::db;

const ENDPOINT_COLUMNS: &str = "id, org_id, url, types, description, enabled, disabled_reason, \
     secrets, created_at, cursor, failing_since";

const DELIVERY_COLUMNS: &str = "id, org_id, endpoint_id, event_seq, event_id, event_type, body, \
     status, attempts, next_attempt_at, last_status, last_error, last_duration_ms, created_at, \
     updated_at";

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Db(Box::new(e))
}

fn endpoint(r: &PgRow) -> Result<WebhookRow> {
    Ok(WebhookRow {
        id: r.get(0),
        org: OrgId(r.get(1)),
        url: r.get(2),
        types: serde_json::from_str(r.get(3)).map_err(json_err)?,
        description: r.get(4),
        enabled: r.get(5),
        disabled_reason: r.get(6),
        secrets: serde_json::from_str(r.get(7)).map_err(json_err)?,
        created_at: r.get(8),
        cursor: r.get(9),
        failing_since: r.get(10),
    })
}

fn delivery(r: &PgRow) -> DeliveryRow {
    DeliveryRow {
        id: r.get(0),
        org: OrgId(r.get(1)),
        endpoint: r.get(2),
        event_seq: r.get(3),
        event_id: r.get(4),
        event_type: r.get(5),
        body: r.get(6),
        status: r.get(7),
        attempts: r.get(8),
        next_attempt_at: r.get(9),
        last_status: r.get(10),
        last_error: r.get(11),
        last_duration_ms: r.get(12),
        created_at: r.get(13),
        updated_at: r.get(14),
    }
}

pub(crate) async fn enabled_webhooks(pool: &PgPool) -> Result<Vec<WebhookRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE enabled ORDER BY created_at, id"
    ))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter().map(endpoint).collect()
}

/// An endpoint's deliveries under live claims hold its slots (`busy`); of its due ones, only
/// as many as it has free slots are taken (`n`), so a slow endpoint's backlog stays pending
/// and unclaimed. The claimable condition is repeated at the locking level, where PostgreSQL
/// checks it again on the row's newest version: a row another process claimed and committed
/// since this statement's snapshot is passed over, not claimed twice.
pub(crate) async fn claim_deliveries(
    pool: &PgPool,
    now: &str,
    claim: &str,
    holder: &str,
    until: &str,
    (limit, per_endpoint): (u32, u32),
) -> Result<Vec<DeliveryRow>> {
    let claimable = |t: &str| {
        format!(
            "({t}.status = 'pending' OR ({t}.status = 'delivering' AND ({t}.claimed_until < $3
              OR {t}.claim_holder NOT IN (SELECT holder FROM live))))"
        )
    };
    let rows = sqlx::query(&format!(
        "WITH live (holder) AS ({LIVE})
         UPDATE webhook_deliveries
         SET status = 'delivering', claimed_by = $1, claim_holder = $6, claimed_until = $2,
             attempts = attempts + 1, updated_at = $3
         WHERE id IN (
             SELECT w.id FROM webhook_deliveries w
             WHERE {claimable_w} AND w.id IN (
                 SELECT due.id FROM (
                     SELECT d.id, d.endpoint_id, d.next_attempt_at,
                            row_number() OVER (PARTITION BY d.endpoint_id
                                               ORDER BY d.next_attempt_at, d.id) AS n
                     FROM webhook_deliveries d
                     JOIN webhook_endpoints e ON e.id = d.endpoint_id
                     WHERE e.enabled AND d.next_attempt_at <= $3
                       AND d.status IN ('pending', 'delivering') AND {claimable_d}
                 ) due
                 LEFT JOIN (
                     SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
                     WHERE status IN ('pending', 'delivering') AND status = 'delivering'
                       AND claimed_until >= $3
                       AND (claim_holder IS NULL OR claim_holder IN (SELECT holder FROM live))
                     GROUP BY endpoint_id
                 ) busy ON busy.endpoint_id = due.endpoint_id
                 WHERE due.n <= $5 - coalesce(busy.n, 0)
                 ORDER BY due.next_attempt_at, due.id LIMIT $4)
             FOR UPDATE SKIP LOCKED)
         RETURNING {DELIVERY_COLUMNS}",
        LIVE = crate::liveness::LIVE,
        claimable_w = claimable("w"),
        claimable_d = claimable("d"),
    ))
    .bind(claim)
    .bind(until)
    .bind(now)
    .bind(i64::from(limit))
    .bind(i64::from(per_endpoint))
    .bind(holder)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut out: Vec<DeliveryRow> = rows.iter().map(delivery).collect();
    out.sort_by(|a, b| (&a.next_attempt_at, a.id).cmp(&(&b.next_attempt_at, b.id)));
    Ok(out)
}

pub(crate) async fn finish_deliveries(
    pool: &PgPool,
    outcomes: &[DeliveryOutcome],
) -> Result<Vec<bool>> {
    if outcomes.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = crate::sql::begin(pool, None).await?;
    let mut recorded = Vec::with_capacity(outcomes.len());
    let mut by_endpoint: BTreeMap<String, Vec<&DeliveryOutcome>> = BTreeMap::new();
    for o in outcomes {
        let endpoint: Option<String> = sqlx::query_scalar(
            "UPDATE webhook_deliveries
         SET status = $1, next_attempt_at = $2, last_status = $3, last_error = $4,
             last_duration_ms = $5, updated_at = $6, claimed_by = NULL, claimed_until = NULL,
             claim_holder = NULL
         WHERE id = $7 AND status = 'delivering' AND claimed_by = $8
         RETURNING endpoint_id",
        )
        .bind(&o.status)
        .bind(&o.next_attempt_at)
        .bind(o.last_status)
        .bind(&o.last_error)
        .bind(o.last_duration_ms)
        .bind(&o.at)
        .bind(o.id)
        .bind(&o.claim)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        recorded.push(endpoint.is_some());
        if let Some(endpoint) = endpoint {
            by_endpoint.entry(endpoint).or_default().push(o);
        }
    }
    // Endpoints in one order, so two processes' rounds never wait on each other crosswise.
    for (endpoint, outcomes) in &by_endpoint {
        for o in outcomes {
            set_failing(&mut tx, endpoint, o).await?;
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(recorded)
}

/// A success ends the endpoint's run of failures; a failure starts one unless it runs already.
async fn set_failing(conn: &mut PgConnection, endpoint: &str, o: &DeliveryOutcome) -> Result<()> {
    let q = if o.succeeded {
        sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
            .bind(endpoint)
    } else {
        sqlx::query(
            "UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 AND failing_since IS NULL",
        )
        .bind(&o.at)
        .bind(endpoint)
    };
    q.execute(conn).await.map_err(db)?;
    Ok(())
}

pub(crate) async fn insert_webhook(conn: &mut PgConnection, w: &WebhookRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&w.id)
    .bind(w.org.as_str())
    .bind(&w.url)
    .bind(serde_json::to_string(&w.types).map_err(json_err)?)
    .bind(&w.description)
    .bind(w.enabled)
    .bind(&w.disabled_reason)
    .bind(serde_json::to_string(&w.secrets).map_err(json_err)?)
    .bind(&w.created_at)
    .bind(w.cursor)
    .bind(&w.failing_since)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn webhook(
    conn: &mut PgConnection,
    org: &OrgId,
    id: &str,
) -> Result<Option<WebhookRow>> {
    let row = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.as_str())
    .bind(id)
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.as_ref().map(endpoint).transpose()
}

pub(crate) async fn webhooks(conn: &mut PgConnection, org: &OrgId) -> Result<Vec<WebhookRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id"
    ))
    .bind(org.as_str())
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.iter().map(endpoint).collect()
}

pub(crate) async fn update_webhook(conn: &mut PgConnection, w: &WebhookRow) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE webhook_endpoints
         SET url = $1, types = $2, description = $3, enabled = $4, disabled_reason = $5, secrets = $6,
             failing_since = $7
         WHERE org_id = $8 AND id = $9",
    )
    .bind(&w.url)
    .bind(serde_json::to_string(&w.types).map_err(json_err)?)
    .bind(&w.description)
    .bind(w.enabled)
    .bind(&w.disabled_reason)
    .bind(serde_json::to_string(&w.secrets).map_err(json_err)?)
    .bind(&w.failing_since)
    .bind(w.org.as_str())
    .bind(&w.id)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(r.rows_affected() == 1)
}

pub(crate) async fn delete_webhook(conn: &mut PgConnection, org: &OrgId, id: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2")
        .bind(org.as_str())
        .bind(id)
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(r.rows_affected() == 1)
}

pub(crate) async fn advance_webhook(
    conn: &mut PgConnection,
    org: &OrgId,
    id: &str,
    from: i64,
    to: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE webhook_endpoints SET cursor = $1 WHERE org_id = $2 AND id = $3 AND cursor = $4",
    )
    .bind(to)
    .bind(org.as_str())
    .bind(id)
    .bind(from)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(r.rows_affected() == 1)
}

/// Deliveries bind 13 parameters each; this many stay under PostgreSQL's 65,535 parameters.
const DELIVERY_BATCH: usize = 2_000;

pub(crate) async fn insert_deliveries(conn: &mut PgConnection, rows: &[DeliveryRow]) -> Result<()> {
    for chunk in rows.chunks(DELIVERY_BATCH) {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO webhook_deliveries (org_id, endpoint_id, event_seq, event_id, event_type, \
             body, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, d| {
            b.push_bind(d.org.as_str())
                .push_bind(&d.endpoint)
                .push_bind(d.event_seq)
                .push_bind(&d.event_id)
                .push_bind(&d.event_type)
                .push_bind(&d.body)
                .push_bind(&d.status)
                .push_bind(d.attempts)
                .push_bind(&d.next_attempt_at)
                .push_bind(d.last_status)
                .push_bind(&d.last_error)
                .push_bind(&d.created_at)
                .push_bind(&d.updated_at);
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

pub(crate) async fn deliveries(
    conn: &mut PgConnection,
    org: &OrgId,
    endpoint: &str,
    dq: &DeliveryQuery,
) -> Result<Vec<DeliveryRow>> {
    let mut q = QueryBuilder::<Postgres>::new(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = "
    ));
    q.push_bind(org.as_str())
        .push(" AND endpoint_id = ")
        .push_bind(endpoint);
    if let Some(status) = &dq.status {
        q.push(" AND status = ").push_bind(status);
    }
    if let Some(before) = dq.before_id {
        q.push(" AND id < ").push_bind(before);
    }
    q.push(" ORDER BY id DESC LIMIT ")
        .push_bind(i64::from(dq.limit));
    let rows = q.build().fetch_all(conn).await.map_err(db)?;
    Ok(rows.iter().map(delivery).collect())
}
