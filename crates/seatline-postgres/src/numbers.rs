//! The number inventory: reads by number and page, adding numbers, and attaching them to
//! extensions.

use seatline_domain::{NumberRow, OrgId, E164};
use seatline_store::{decode, Result, StoreError};
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::sql::{db, limit};
use crate::tx::PgTx;

impl PgTx {
    pub(crate) async fn read_number(
        &mut self,
        org: &OrgId,
        number: &E164,
    ) -> Result<Option<NumberRow>> {
        let row =
            sqlx::query("SELECT number, ext_key FROM numbers WHERE org_id = $1 AND number = $2")
                .bind(org.as_str())
                .bind(number.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db)?;
        row.map(|r| number_row(&r)).transpose()
    }

    pub(crate) async fn numbers_page(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        n: u32,
    ) -> Result<Vec<NumberRow>> {
        let rows = sqlx::query(
            "SELECT number, ext_key FROM numbers
             WHERE org_id = $1 AND number > $2 ORDER BY number LIMIT $3",
        )
        .bind(org.as_str())
        .bind(after.unwrap_or(""))
        .bind(limit(n))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(number_row).collect()
    }

    pub(crate) async fn insert_numbers(&mut self, org: &OrgId, numbers: &[&str]) -> Result<()> {
        sqlx::query("INSERT INTO numbers (org_id, number) SELECT $1, * FROM UNNEST($2::text[])")
            .bind(org.as_str())
            .bind(numbers)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn detach_all(&mut self, org: &OrgId, key: i32) -> Result<()> {
        sqlx::query("UPDATE numbers SET ext_key = NULL WHERE org_id = $1 AND ext_key = $2")
            .bind(org.as_str())
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Attach free inventory numbers; a number missing or taken is a constraint violation.
    pub(crate) async fn attach(&mut self, org: &OrgId, pairs: &[(i32, &E164)]) -> Result<()> {
        if pairs.is_empty() {
            return Ok(());
        }
        let numbers: Vec<&str> = pairs.iter().map(|(_, n)| n.as_str()).collect();
        let keys: Vec<i32> = pairs.iter().map(|(k, _)| *k).collect();
        let done = sqlx::query(
            "UPDATE numbers n SET ext_key = v.ext_key
             FROM UNNEST($2::text[], $3::int4[]) AS v(number, ext_key)
             WHERE n.org_id = $1 AND n.number = v.number AND n.ext_key IS NULL",
        )
        .bind(org.as_str())
        .bind(&numbers)
        .bind(&keys)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        if done.rows_affected() as usize != pairs.len() {
            return Err(StoreError::Constraint(
                "a number to attach is not free in the inventory".into(),
            ));
        }
        Ok(())
    }
}

fn number_row(r: &PgRow) -> Result<NumberRow> {
    decode::number(r.get(0), r.get::<Option<i32>, _>(1).map(i64::from))
}
