//! Organizations: the row itself and the seats its subscriptions and extensions make.

use seatline_domain::{Org, OrgId, Seats};
use seatline_store::{decode, Result};
use sqlx::Row;

use crate::sql::db;
use crate::tx::PgTx;

impl PgTx {
    pub(crate) async fn read_org(&mut self, org: &OrgId) -> Result<Option<Org>> {
        let row = sqlx::query("SELECT id, name, created_at FROM orgs WHERE id = $1")
            .bind(org.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(row.map(|r| Org {
            id: OrgId(r.get(0)),
            name: r.get(1),
            created_at: r.get(2),
        }))
    }

    pub(crate) async fn seats_now(&mut self, org: &OrgId) -> Result<Seats> {
        let rows = sqlx::query(
            "SELECT code, quantity::int8, 0::int8, state FROM subscriptions WHERE org_id = $1
             UNION ALL SELECT code, 0, SUM(copies)::int8, NULL FROM extension_addons WHERE org_id = $1 GROUP BY code
             UNION ALL SELECT 'phone_system', 0, COUNT(*), NULL FROM extensions WHERE org_id = $1
             UNION ALL SELECT 'assigned', 0, COUNT(member_id), NULL FROM extensions WHERE org_id = $1",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        decode::seats(rows.iter().map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<i64, _>(1),
                r.get::<i64, _>(2),
                r.get::<Option<String>, _>(3),
            )
        }))
    }
}
