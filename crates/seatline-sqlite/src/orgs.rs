//! Organizations: the row itself and the seats its subscriptions and extensions make.

use seatline_domain::{Org, OrgId, Seats};
use seatline_store::{decode, Result};

use crate::sql::{row, rows, Get};
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn read_org(&self, org: &OrgId) -> Result<Option<Org>> {
        row(
            &self.conn,
            "SELECT id, name, created_at FROM orgs WHERE id = ?",
            (org.as_str(),),
            |r| {
                Ok(Org {
                    id: OrgId(r.at(0)?),
                    name: r.at(1)?,
                    created_at: r.at(2)?,
                })
            },
        )
    }

    pub(crate) fn seats_now(&self, org: &OrgId) -> Result<Seats> {
        let found = rows(
            &self.conn,
            "SELECT code, quantity, 0, state FROM subscriptions WHERE org_id = ?1
             UNION ALL SELECT code, 0, SUM(copies), NULL FROM extension_addons WHERE org_id = ?1 GROUP BY code
             UNION ALL SELECT 'phone_system', 0, COUNT(*), NULL FROM extensions WHERE org_id = ?1
             UNION ALL SELECT 'assigned', 0, COUNT(member_id), NULL FROM extensions WHERE org_id = ?1",
            (org.as_str(),),
            |r| Ok((r.at::<String>(0)?, r.at::<i64>(1)?, r.at::<i64>(2)?, r.at::<Option<String>>(3)?)),
        )?;
        decode::seats(found)
    }
}
