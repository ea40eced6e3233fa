//! Subscription lifecycle (issue 12): reading and writing a subscription's state, term and
//! price, and finding the organizations the scheduler should look at.

use seatline_domain::{OrgId, Subscription};
use seatline_store::decode;
use seatline_store::{Result, StoreError};
use sqlx::{PgPool, Row};

use crate::sql::db;
use crate::tx::PgTx;

const COLUMNS: &str = "code, quantity, state, term_end, state_since, unit_price, currency";

impl PgTx {
    pub(crate) async fn read_subscriptions(&mut self, org: &OrgId) -> Result<Vec<Subscription>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE org_id = $1"
        ))
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        let mut subs = rows
            .iter()
            .map(|r| {
                decode::subscription((
                    r.get(0),
                    r.get::<i32, _>(1).into(),
                    r.get(2),
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        subs.sort_by_key(|s| s.code);
        Ok(subs)
    }

    pub(crate) async fn write_subscription(&mut self, org: &OrgId, s: &Subscription) -> Result<()> {
        let quantity = i32::try_from(s.quantity).map_err(|_| {
            StoreError::Constraint(format!("quantity {} is out of range", s.quantity))
        })?;
        let (state, term_end, since, price, currency) = decode::subscription_columns(s);
        sqlx::query(&format!(
            "INSERT INTO subscriptions (org_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (org_id, code) DO UPDATE SET quantity = excluded.quantity,
                 state = excluded.state, term_end = excluded.term_end,
                 state_since = excluded.state_since, unit_price = excluded.unit_price,
                 currency = excluded.currency"
        ))
        .bind(org.as_str())
        .bind(s.code.as_str())
        .bind(quantity)
        .bind(state)
        .bind(term_end)
        .bind(since)
        .bind(price)
        .bind(currency)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }
}

pub(crate) async fn candidates(pool: &PgPool, today: &str) -> Result<Vec<OrgId>> {
    let rows = sqlx::query(
        "SELECT DISTINCT org_id FROM subscriptions
         WHERE (state = 'active' AND term_end < $1) OR state IN ('expired', 'suspended')
         ORDER BY org_id",
    )
    .bind(today)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows.iter().map(|r| OrgId(r.get(0))).collect())
}
