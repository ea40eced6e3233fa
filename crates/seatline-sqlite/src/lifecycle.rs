//! Subscription lifecycle (issue 12): reading and writing a subscription's state, term and
//! price, and finding the organizations the scheduler should look at.

use rusqlite::Connection;
use seatline_domain::{OrgId, Subscription};
use seatline_store::decode;
use seatline_store::Result;

use crate::sql::{exec, rows, Get};
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn read_subscriptions(&self, org: &OrgId) -> Result<Vec<Subscription>> {
        let mut subs = rows(
            &self.conn,
            "SELECT code, quantity, state, term_end, state_since, unit_price, currency
             FROM subscriptions WHERE org_id = ?",
            (org.as_str(),),
            |r| {
                decode::subscription((
                    r.at(0)?,
                    r.at(1)?,
                    r.at(2)?,
                    r.at(3)?,
                    r.at(4)?,
                    r.at(5)?,
                    r.at(6)?,
                ))
            },
        )?;
        subs.sort_by_key(|s| s.code);
        Ok(subs)
    }

    pub(crate) fn write_subscription(&self, org: &OrgId, s: &Subscription) -> Result<()> {
        let (state, term_end, since, price, currency) = decode::subscription_columns(s);
        exec(
            &self.conn,
            "INSERT INTO subscriptions
                 (org_id, code, quantity, state, term_end, state_since, unit_price, currency)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (org_id, code) DO UPDATE SET quantity = excluded.quantity,
                 state = excluded.state, term_end = excluded.term_end,
                 state_since = excluded.state_since, unit_price = excluded.unit_price,
                 currency = excluded.currency",
            (
                org.as_str(),
                s.code.as_str(),
                s.quantity,
                state,
                term_end,
                since,
                price,
                currency,
            ),
        )?;
        Ok(())
    }
}

pub(crate) fn candidates(conn: &Connection, today: &str) -> Result<Vec<OrgId>> {
    rows(
        conn,
        "SELECT DISTINCT org_id FROM subscriptions
         WHERE (state = 'active' AND term_end < ?) OR state IN ('expired', 'suspended')
         ORDER BY org_id",
        (today,),
        |r| Ok(OrgId(r.at(0)?)),
    )
}
