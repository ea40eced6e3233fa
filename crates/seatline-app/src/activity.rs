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

// ---- Asterisk CDR import (docs/activity.md) ----

/// Largest CDR file an import reads (the API's upload and the CLI's file alike): a
/// 1,000,000-call `Master.csv` is about 200 MB.
pub const MAX_CDR_BYTES: u64 = 256 * 1024 * 1024;

/// Longest line read as a record; Asterisk's own record buffer is 1 KiB, so anything longer
/// is not one (and is skipped without being held).
pub const MAX_CDR_LINE: usize = 8 * 1024;

/// Rows per transaction when an import writes what it read.
const CDR_BATCH: usize = activity::MAX_ITEMS;

/// What an import did. Lists are capped at 1,000 entries (`…_total` counts them all), so the
/// answer stays small whatever the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct CdrImport {
    /// Lines read, blank ones included.
    pub lines: usize,
    /// Lines read as records.
    pub records: usize,
    /// Extensions whose latest call was recorded (each with the line it was read from).
    pub recorded: usize,
    /// Kept calls that moved forward (0 when the file was imported before).
    pub changed: u64,
    /// Extension keys the organization does not have, with the line of their latest call.
    pub ignored: Vec<IgnoredItem>,
    pub ignored_total: usize,
    /// Lines that could not be read (`index` is the line number), the first 1,000.
    pub refused: Vec<RefusedItem>,
    pub refused_total: usize,
}

/// Read one line of at most `limit` bytes into `buf` (without keeping more of a longer
/// one): `None` at the end, `Some(false)` for a line too long (skipped to its end).
async fn bounded_line<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
    read: &mut u64,
) -> std::io::Result<Option<bool>> {
    use tokio::io::AsyncBufReadExt;
    buf.clear();
    let mut fits = true;
    let mut any = false;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(any.then_some(fits));
        }
        any = true;
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if fits && buf.len() + take <= limit {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            fits = false;
            buf.clear();
        }
        r.consume(take);
        *read += take as u64;
        if done {
            return Ok(Some(fits));
        }
    }
}

impl App {
    /// Import an Asterisk `Master.csv` (`cdr_csv`): read line by line, keep the latest call
    /// per extension key (memory bounded by the key space, not the file), then record them
    /// in batches of 10,000 as `POST /activity` does. `offset` is the PBX's UTC offset
    /// (Asterisk writes local time unless `usegmtime=yes`). Bad lines are reported by number
    /// and never stop the import.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn import_cdr<R: tokio::io::AsyncBufRead + Unpin + Send>(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        mut reader: R,
        offset: chrono::FixedOffset,
    ) -> AppResult<CdrImport> {
        self.guard(ctx, org, Action::ReportActivity, None)?;
        let now = chrono::Utc::now();
        let mut calls = activity::cdr::Calls::default();
        let (mut buf, mut read, mut number) = (Vec::new(), 0u64, 0usize);
        while let Some(fits) = bounded_line(&mut reader, &mut buf, MAX_CDR_LINE, &mut read)
            .await
            .map_err(|e| {
                Error::new(
                    ErrorCode::FileUnreadable,
                    format!("the CDR file could not be read after line {number}: {e}"),
                )
            })?
        {
            number += 1;
            if read > MAX_CDR_BYTES {
                return Err(Error::new(
                    ErrorCode::TooLarge,
                    format!(
                        "the CDR file is larger than {} MiB; import it in parts (split at line ends)",
                        MAX_CDR_BYTES / (1024 * 1024)
                    ),
                )
                .detail("limit", MAX_CDR_BYTES)
                .into());
            }
            if fits {
                calls.line(number, &String::from_utf8_lossy(&buf), offset, now);
            } else {
                calls.too_long(number, MAX_CDR_LINE);
            }
        }
        let mut out = CdrImport {
            lines: calls.lines,
            records: calls.records,
            refused_total: calls.refused_total,
            refused: calls
                .refused
                .iter()
                .map(|b| RefusedItem::new(b.line, b.field, b.code, b.message.clone()))
                .collect(),
            ..CdrImport::default()
        };
        let found = calls.activities();
        drop(calls);
        for batch in found.chunks(CDR_BATCH) {
            let r = self.record_activity(ctx, org, batch.to_vec()).await?;
            out.recorded += r.recorded;
            out.changed += r.changed;
            out.ignored_total += r.ignored.len();
            let room = activity::cdr::MAX_LISTED.saturating_sub(out.ignored.len());
            out.ignored.extend(r.ignored.into_iter().take(room));
        }
        Ok(out)
    }
}
