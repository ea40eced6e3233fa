//! Activity from the PBX and the contact center (product.md §14): a report's items are read
//! one by one (a bad item is refused alone), the items on unknown extensions are listed back
//! as ignored, and the latest `at` per extension, kind and device is kept by one set-based
//! upsert under the org lock, so retries and replays change nothing.

use std::collections::{BTreeMap, HashMap};

use seatline_domain::activity::{self, Activity};
use seatline_domain::permissions::{Action, Actor};
use seatline_domain::{AuditRecord, Decision, Error, ErrorCode, ExtKey, OrgId};
use seatline_store::{ActivityRow, Tx};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::{App, AppResult, Ctx, Locked};

/// The latest activity kept for one kind and device of an extension.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LastActivity {
    /// `registration`, `call` or `contact_center_sign_in`.
    #[schema(pattern = "^(registration|call|contact_center_sign_in)$")]
    pub kind: String,
    /// `ip_phone`, `mobile_app`, `desktop_app`, `web_rtc`, or null when the reporter could
    /// not tell.
    pub device: Option<String>,
    /// RFC 3339, UTC.
    pub at: String,
}

impl From<ActivityRow> for LastActivity {
    fn from(r: ActivityRow) -> Self {
        LastActivity {
            kind: r.kind,
            device: r.device,
            at: r.at,
        }
    }
}

/// An item on an extension the organization does not have: never an error for the batch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IgnoredItem {
    /// The item's index in `items` (for a CDR import, the line number).
    pub index: usize,
    pub extension: String,
}

/// An item that was not read: which one, the field at fault, a stable code and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RefusedItem {
    /// The item's index in `items` (for a CDR import, the line number).
    pub index: usize,
    /// `extension`, `kind`, `device`, `at`, or `item` for the item as a whole.
    pub field: String,
    pub code: String,
    pub message: String,
}

/// What a report did: `recorded` items were on known extensions and read well; `changed`
/// rows of kept activity moved forward (0 for a replay).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ActivityReport {
    pub recorded: usize,
    pub changed: u64,
    pub ignored: Vec<IgnoredItem>,
    pub refused: Vec<RefusedItem>,
}

impl ActivityReport {
    /// Add another batch's outcome (a CDR import records in batches).
    pub fn absorb(&mut self, other: ActivityReport) {
        self.recorded += other.recorded;
        self.changed += other.changed;
        self.ignored.extend(other.ignored);
        self.refused.extend(other.refused);
    }
}

impl RefusedItem {
    pub fn new(index: usize, field: &str, code: ErrorCode, message: String) -> Self {
        RefusedItem {
            index,
            field: field.to_owned(),
            code: code.as_str().to_owned(),
            message,
        }
    }
}

impl App {
    /// `POST /activity`: read every item, record the good ones, list the rest back.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn report_activity(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        items: &[Value],
    ) -> AppResult<ActivityReport> {
        self.guard(ctx, org, Action::ReportActivity, None)?;
        let (ok, refused) = activity::read_items(items, chrono::Utc::now())?;
        let mut report = self.record_activity(ctx, org, ok).await?;
        report.refused = refused
            .into_iter()
            .map(|r| RefusedItem::new(r.index, r.field, r.code, r.message))
            .collect();
        Ok(report)
    }

    /// Record activities read already (each with its index, or line number): the one write
    /// of activity, under the org lock, with one audit entry when anything moved forward.
    pub async fn record_activity(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        items: Vec<(usize, Activity)>,
    ) -> AppResult<ActivityReport> {
        self.guard(ctx, org, Action::ReportActivity, None)?;
        let mut tx = self.lock(org).await?;
        Self::may_report(&mut tx, ctx, org).await?;
        let mut keys: Vec<ExtKey> = items.iter().map(|(_, a)| a.extension).collect();
        keys.sort_unstable();
        keys.dedup();
        let known = tx.existing_keys(org, &keys).await?;
        let (kept, unknown): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|(_, a)| known.contains(&a.extension));
        let rows: Vec<ActivityRow> = activity::latest(kept.iter().map(|(_, a)| *a))
            .into_iter()
            .map(|a| ActivityRow {
                extension: a.extension,
                kind: a.kind.as_str().to_owned(),
                device: a.device.map(|d| d.as_str().to_owned()),
                at: a.at_text(),
            })
            .collect();
        let changed = if rows.is_empty() {
            0
        } else {
            tx.upsert_activity(org, &rows).await?
        };
        let report = ActivityReport {
            recorded: kept.len(),
            changed,
            ignored: unknown
                .into_iter()
                .map(|(index, a)| IgnoredItem {
                    index,
                    extension: a.extension.to_string(),
                })
                .collect(),
            refused: Vec::new(),
        };
        // A replay moved nothing: nothing to record, so it leaves no trace either.
        let audit = if changed == 0 {
            Vec::new()
        } else {
            vec![AuditRecord {
                action: "activity.report",
                target: "activity".to_owned(),
                before: Value::Null,
                after: json!({"recorded": report.recorded, "changed": changed,
                              "ignored": report.ignored.len()}),
            }]
        };
        self.commit(
            tx,
            ctx,
            org,
            Decision {
                changes: Vec::new(),
                audit,
            },
        )
        .await?;
        Ok(report)
    }

    /// An integration token reports activity only if the owner created it so; the
    /// permission table lets integration tokens through to this check.
    async fn may_report(tx: &mut Locked, ctx: &Ctx, org: &OrgId) -> AppResult<()> {
        if let Actor::Integration { id } = &ctx.actor {
            if !tx.activity_reporters(org).await?.contains(id) {
                return Err(Error::new(
                    ErrorCode::Forbidden,
                    "this integration token was not created with can_report_activity; ask the owner for one that was",
                )
                .into());
            }
        }
        Ok(())
    }

    /// The activity kept for these extensions, per extension, as the views show it.
    pub(crate) async fn last_activity(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> AppResult<HashMap<ExtKey, Vec<LastActivity>>> {
        let mut by_key: BTreeMap<ExtKey, Vec<LastActivity>> = BTreeMap::new();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        for row in tx.activity(org, Some(keys)).await? {
            by_key.entry(row.extension).or_default().push(row.into());
        }
        Ok(by_key.into_iter().collect())
    }
}
