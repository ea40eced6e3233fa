//! Bulk plans as stored, and the snapshot of an organization that planning and export read.

use seatline_domain::{Member, NumberRow, OrgId};
use seatline_store::{PlanRow, Result, Snapshot};
use sqlx::Row;

use crate::members;
use crate::sql::db;
use crate::tx::PgTx;

impl PgTx {
    pub(crate) async fn insert_plan_row(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO plans (org_id, id, created_at, status, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.as_str())
        .bind(&p.id)
        .bind(&p.created_at)
        .bind(&p.status)
        .bind(&p.body)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn read_plan(&mut self, org: &OrgId, id: &str) -> Result<Option<PlanRow>> {
        let row = sqlx::query(
            "SELECT id, created_at, status, body FROM plans WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(row.map(|r| PlanRow {
            id: r.get(0),
            created_at: r.get(1),
            status: r.get(2),
            body: r.get(3),
        }))
    }

    pub(crate) async fn update_plan_row(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        sqlx::query("UPDATE plans SET status = $2, body = $3 WHERE org_id = $1 AND id = $4")
            .bind(org.as_str())
            .bind(&p.status)
            .bind(&p.body)
            .bind(&p.id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn read_snapshot(&mut self, org: &OrgId) -> Result<Snapshot> {
        // Members and numbers are read a page at a time (the transaction's one snapshot
        // keeps the pages consistent): a whole result set of raw rows would hold every value
        // twice, about 35 MB more for 100,000 members.
        const PAGE: u32 = 10_000;
        let mut members: Vec<Member> = Vec::new();
        loop {
            let after = members.last().map(|m| m.email.as_str().to_owned());
            let page = members::page(&mut self.tx, org, after.as_deref(), PAGE).await?;
            let done = page.len() < PAGE as usize;
            members.extend(page);
            if done {
                break;
            }
        }
        let ext_rows =
            sqlx::query("SELECT key, member_id FROM extensions WHERE org_id = $1 ORDER BY key")
                .bind(org.as_str())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db)?;
        let ext_rows = ext_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let extensions = self.complete(org, ext_rows, true).await?;
        let mut numbers: Vec<NumberRow> = Vec::new();
        loop {
            let after = numbers.last().map(|n| n.number.as_str().to_owned());
            let page = self.numbers_page(org, after.as_deref(), PAGE).await?;
            let done = page.len() < PAGE as usize;
            numbers.extend(page);
            if done {
                break;
            }
        }
        let seats = self.seats_now(org).await?;
        Ok(Snapshot {
            members,
            extensions,
            numbers,
            seats,
        })
    }
}
