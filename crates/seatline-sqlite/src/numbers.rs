//! The number inventory: reads by number and page, and attaching numbers to extensions.

use seatline_domain::{ExtKey, NumberRow, OrgId, E164};
use seatline_store::{decode, Result, StoreError};

use crate::sql::{db, exec, row, rows, Get};
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn read_number(&self, org: &OrgId, number: &E164) -> Result<Option<NumberRow>> {
        row(
            &self.conn,
            "SELECT number, ext_key FROM numbers WHERE org_id = ? AND number = ?",
            (org.as_str(), number.as_str()),
            |r| decode::number(&r.at::<String>(0)?, r.at(1)?),
        )
    }

    pub(crate) fn numbers_page(
        &self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<NumberRow>> {
        rows(
            &self.conn,
            "SELECT number, ext_key FROM numbers WHERE org_id = ? AND number > ? ORDER BY number LIMIT ?",
            (org.as_str(), after.unwrap_or(""), limit),
            |r| decode::number(&r.at::<String>(0)?, r.at(1)?),
        )
    }

    pub(crate) fn set_numbers(&self, org: &OrgId, key: ExtKey, numbers: &[E164]) -> Result<()> {
        exec(
            &self.conn,
            "UPDATE numbers SET ext_key = NULL WHERE org_id = ? AND ext_key = ?",
            (org.as_str(), key.get()),
        )?;
        self.attach(org, numbers.iter().map(|n| (key, n)))
    }

    /// Attach free inventory numbers; a number missing or taken is a constraint violation.
    /// One prepared UPDATE per number by primary key: with statements on this thread a row
    /// costs no round trip.
    pub(crate) fn attach<'n>(
        &self,
        org: &OrgId,
        pairs: impl IntoIterator<Item = (ExtKey, &'n E164)>,
    ) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "UPDATE numbers SET ext_key = ?3 WHERE org_id = ?1 AND number = ?2 AND ext_key IS NULL",
            )
            .map_err(db)?;
        for (k, n) in pairs {
            if st
                .execute((org.as_str(), n.as_str(), k.get()))
                .map_err(db)?
                != 1
            {
                return Err(StoreError::Constraint(
                    "a number to attach is not free in the inventory".into(),
                ));
            }
        }
        Ok(())
    }
}
