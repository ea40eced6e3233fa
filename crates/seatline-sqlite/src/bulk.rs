//! Bulk plans as stored, and the snapshot of an organization that planning and export read.

use seatline_domain::{Member, NumberRow, OrgId};
use seatline_store::{PlanRow, Result, Snapshot};

use crate::members;
use crate::sql::{row, rows, Get};
use crate::tx::SqliteTx;

/// Rows per page when a snapshot reads members and numbers.
const SNAPSHOT_PAGE: u32 = 10_000;

impl SqliteTx {
    pub(crate) fn insert_plan_row(&self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.exec(
            "INSERT INTO plans (org_id, id, created_at, status, body) VALUES (?, ?, ?, ?, ?)",
            org,
            &[&p.id, &p.created_at, &p.status, &p.body],
        )
        .map(|_| ())
    }

    pub(crate) fn read_plan(&self, org: &OrgId, id: &str) -> Result<Option<PlanRow>> {
        row(
            &self.conn,
            "SELECT id, created_at, status, body FROM plans WHERE org_id = ? AND id = ?",
            (org.as_str(), id),
            |r| {
                Ok(PlanRow {
                    id: r.at(0)?,
                    created_at: r.at(1)?,
                    status: r.at(2)?,
                    body: r.at(3)?,
                })
            },
        )
    }

    pub(crate) fn update_plan_row(&self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.exec(
            "UPDATE plans SET status = ?2, body = ?3 WHERE org_id = ?1 AND id = ?4",
            org,
            &[&p.status, &p.body, &p.id],
        )
        .map(|_| ())
    }

    pub(crate) fn read_snapshot(&self, org: &OrgId) -> Result<Snapshot> {
        // Members and numbers are read a page at a time: a whole result set of raw rows
        // would hold every value twice (about 80 MB for 100,000 members).
        let mut members: Vec<Member> = Vec::new();
        loop {
            let after = members.last().map(|m| m.email.as_str().to_owned());
            let page = members::page(&self.conn, org, after.as_deref(), SNAPSHOT_PAGE)?;
            let done = page.len() < SNAPSHOT_PAGE as usize;
            members.extend(page);
            if done {
                break;
            }
        }
        let ext_rows = rows(
            &self.conn,
            "SELECT key, member_id FROM extensions WHERE org_id = ? ORDER BY key",
            (org.as_str(),),
            |r| Ok((r.at(0)?, r.at(1)?)),
        )?;
        let extensions = self.complete(org, ext_rows)?;
        let mut numbers: Vec<NumberRow> = Vec::new();
        loop {
            let after = numbers.last().map(|n| n.number.as_str().to_owned());
            let page = self.numbers_page(org, after.as_deref(), SNAPSHOT_PAGE)?;
            let done = page.len() < SNAPSHOT_PAGE as usize;
            numbers.extend(page);
            if done {
                break;
            }
        }
        let seats = self.seats_now(org)?;
        Ok(Snapshot {
            members,
            extensions,
            numbers,
            seats,
        })
    }
}
