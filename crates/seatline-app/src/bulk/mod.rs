//! Bulk assignment use cases (product.md §5): the sample file, planning an uploaded file,
//! applying a stored plan in one transaction, and the export that re-imports unchanged.
//!
//! A plan is stored as its view; a ready plan's rows hold everything its file said. Apply
//! plans those rows again inside the organization's write lock: if the organization changed
//! so that the plan no longer holds, nothing is written (`plan_stale`); otherwise the
//! extensions, their audit entries and the plan's `applied` status commit together (written
//! in slices to bound memory), so a plan applies at most once.

mod doc;
mod read;
mod rows;
mod write;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use seatline_domain::bulk::{self, OrgState, Sheet};
use seatline_domain::cleanup::CleanupRequest;
use seatline_domain::permissions::Action;
use seatline_domain::plans::{Plan, PlanStatus, RowError, RowPlan, SeatChange};
use seatline_domain::words::plural;
use seatline_domain::{rules, Code, Error, ErrorCode, MemberId, OrgId, Scope, Status};
use seatline_store::{PlanRow, Snapshot, StoreError};
use serde::{Deserialize, Serialize};

use crate::{audit_entries, need, new_id, now, App, AppResult, Ctx};

pub use read::{limits, read_sheet};
pub use rows::{page_bounds, PlanRows, MAX_ROWS_PAGE, ROWS_PAGE, SUMMARY_ITEMS};
pub use write::safe as safe_cell;

/// A bulk plan (product.md §6 "plan"), with each row's outcome in `items`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Plan)]
pub struct PlanView {
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    #[schema(schema_with = doc::status)]
    pub status: PlanStatus,
    /// Data rows in the file (blank lines not counted).
    pub rows: usize,
    pub can_apply: bool,
    #[schema(schema_with = doc::errors)]
    pub errors: Vec<RowError>,
    /// Plans stored before warnings existed read back with none.
    #[serde(default)]
    #[schema(schema_with = doc::warnings)]
    pub warnings: Vec<RowError>,
    /// Errors and warnings in all: `errors` and `warnings` list the first 1,000 of each.
    #[serde(default)]
    pub error_count: usize,
    #[serde(default)]
    pub warning_count: usize,
    /// Whether `errors` (`warnings`) lists fewer than `error_count` (`warning_count`).
    #[serde(default)]
    pub errors_truncated: bool,
    #[serde(default)]
    pub warnings_truncated: bool,
    /// Rows in the plan. An API answer lists the first 1,000 in `items` and sets
    /// `items_truncated` when there are more: page them all at `GET …/plans/{plan}/rows`.
    #[serde(default)]
    pub items_total: usize,
    #[serde(default)]
    pub items_truncated: bool,
    #[schema(schema_with = doc::seats)]
    pub seats: Vec<SeatChange>,
    #[schema(schema_with = doc::items)]
    pub items: Vec<RowPlan>,
    /// The uploaded file's name, when the upload said it (the admin UI's does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// A cleanup plan's request (product.md §11): `{kinds, extensions?}`; absent for a bulk
    /// file's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub cleanup: Option<CleanupRequest>,
    /// A template plan's change (product.md §13): `{team, template}` (`template` null:
    /// the template deleted); absent for other plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub template: Option<crate::templates::TemplatePlanRequest>,
}

impl PlanView {
    pub(crate) fn new(id: String, created_at: String, plan: Plan) -> Self {
        let errors_truncated = plan.error_count > plan.errors.len();
        let warnings_truncated = plan.warning_count > plan.warnings.len();
        let items_total = plan.items.len();
        PlanView {
            id,
            created_at,
            status: plan.status,
            rows: plan.rows,
            can_apply: plan.can_apply,
            errors: plan.errors,
            warnings: plan.warnings,
            errors_truncated,
            warnings_truncated,
            error_count: plan.error_count,
            warning_count: plan.warning_count,
            items_total,
            items_truncated: false,
            seats: plan.seats,
            items: plan.items,
            file_name: None,
            cleanup: None,
            template: None,
        }
    }
}

/// Uploads read and planned at once per process (API, admin UI and CLI alike): each may
/// hold a full-scale sheet and its plan, so a few at a time bound the memory they take.
pub const UPLOAD_READERS: usize = 2;
/// How long an upload waits for its turn before the answer is `busy`.
pub const UPLOAD_WAIT: Duration = Duration::from_secs(3);
/// The seconds a `busy` answer asks the client to wait before retrying.
pub const BUSY_RETRY_SECS: u64 = 5;
/// A file name as shown with its plan: the last part of a path some browsers send, trimmed,
/// at most 200 characters; `None` when nothing is left.
fn clean_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    (!base.is_empty()).then(|| base.chars().take(200).collect())
}

/// The step of a bulk use case a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Planning an uploaded file's rows.
    Plan,
    /// Checking a stored plan's rows again before applying them.
    Check,
    /// Writing the rows.
    Apply,
}

/// Told `(step, rows done, rows in all)` as a long bulk use case goes, so a terminal can
/// draw a progress bar; called from the task running the use case, so it must be cheap.
pub type Progress<'a> = &'a (dyn Fn(Step, usize, usize) + Send + Sync);

/// What a bulk plan is made from.
pub enum BulkFile {
    /// A file's bytes as uploaded (CSV or XLSX): read off the async threads once one of
    /// [`UPLOAD_READERS`] turns is free, the turn held until the plan is stored.
    Bytes(Box<dyn AsRef<[u8]> + Send>),
    /// A sheet already read, e.g. by [`App::read_upload`] (whose turn the caller holds).
    Sheet(Sheet),
}

impl BulkFile {
    pub fn bytes(bytes: impl AsRef<[u8]> + Send + 'static) -> Self {
        BulkFile::Bytes(Box::new(bytes))
    }
}

/// How [`App::bulk_plan`] plans: by default, a file without a name and no progress told.
#[derive(Clone, Copy, Default)]
pub struct PlanOptions<'a> {
    file_name: Option<&'a str>,
    progress: Option<Progress<'a>>,
}

impl<'a> PlanOptions<'a> {
    /// The uploaded file's name, kept with the plan (the admin UI's upload says it).
    pub fn named(self, file_name: &'a str) -> Self {
        PlanOptions {
            file_name: Some(file_name),
            ..self
        }
    }
    /// Tell `progress` the rows planned.
    pub fn reporting(self, progress: Progress<'a>) -> Self {
        PlanOptions {
            progress: Some(progress),
            ..self
        }
    }
}

/// How [`App::bulk_apply`] applies: by default, no progress told.
#[derive(Clone, Copy, Default)]
pub struct ApplyOptions<'a> {
    progress: Option<Progress<'a>>,
}

impl<'a> ApplyOptions<'a> {
    /// Tell `progress` the rows checked, then the rows written.
    pub fn reporting(self, progress: Progress<'a>) -> Self {
        ApplyOptions {
            progress: Some(progress),
        }
    }
}

/// The progress of options that tell none.
fn silent(_: Step, _: usize, _: usize) {}

/// A [`BulkFile`]'s bytes as [`App::read_upload`] takes them.
struct Upload(Box<dyn AsRef<[u8]> + Send>);

impl AsRef<[u8]> for Upload {
    fn as_ref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

/// Rows per decision when a plan is applied: the slices go into one transaction, and only
/// one slice's extensions and audit entries are in memory at a time.
const APPLY_SLICE: usize = 10_000;

/// Bytes written, and nothing kept: a body's exact size before it is written.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A plan as its stored row: the view as JSON, written into a buffer of exactly its size
/// (counted by a first pass; growth by doubling would briefly hold a large plan's body
/// three times over). The view is consumed: its rows are freed before the store copies the
/// body, and the answer is read back from the row.
pub(crate) fn plan_row(view: PlanView) -> PlanRow {
    let mut size = Count(0);
    serde_json::to_writer(&mut size, &view).expect("plans serialize");
    let mut buf = Vec::with_capacity(size.0);
    serde_json::to_writer(&mut buf, &view).expect("plans serialize");
    PlanRow {
        id: view.id,
        created_at: view.created_at,
        status: view.status.as_str().to_owned(),
        body: String::from_utf8(buf).expect("JSON is UTF-8"),
    }
}

/// A stored plan as its view; the row's status column is the truth for `status` (apply
/// flips the column and keeps the body it was given).
pub(crate) fn decode(row: &PlanRow) -> Result<PlanView, StoreError> {
    let mut view: PlanView =
        serde_json::from_str(&row.body).map_err(|e| StoreError::Db(Box::new(e)))?;
    view.status = match row.status.as_str() {
        "applied" => PlanStatus::Applied,
        "ready" => PlanStatus::Ready,
        _ => PlanStatus::Invalid,
    };
    view.can_apply = view.status == PlanStatus::Ready;
    // Plans stored before these fields existed.
    view.errors_truncated = view.error_count > view.errors.len();
    view.warnings_truncated = view.warning_count > view.warnings.len();
    view.items_total = view.items.len();
    Ok(view)
}

/// The plan, or "not found" when its rows give extensions to members out of the reader's
/// reach (an owner's or another admin's upload): the same answer, word for word, as for a
/// plan that does not exist (product.md §12).
fn visible(view: PlanView, scope: &Scope) -> AppResult<PlanView> {
    let hidden = view
        .items
        .iter()
        .filter_map(|r| r.member.as_ref())
        .any(|m| !scope.contains_member(m));
    if hidden {
        return Err(Error::not_found("plan", &view.id).into());
    }
    Ok(view)
}

fn state(snap: &Snapshot) -> OrgState<'_> {
    OrgState::new(
        &snap.members,
        &snap.extensions,
        &snap.numbers,
        snap.seats.clone(),
    )
}

impl App {
    /// The organization as bulk planning and export see it, and the actor's scope in the
    /// same read.
    async fn bulk_snapshot(&self, ctx: &Ctx, org: &OrgId) -> AppResult<(Snapshot, Scope)> {
        let mut tx = self.read(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        Ok((tx.snapshot(org).await?, scope))
    }

    /// A sample file: the documented header and two rows that would pass for this
    /// organization (its free keys, free members and numbers, codes with seats left).
    pub async fn bulk_sample(&self, ctx: &Ctx, org: &OrgId) -> AppResult<String> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let (snap, scope) = self.bulk_snapshot(ctx, org).await?;
        let mut taken: BTreeSet<u32> = snap.extensions.iter().map(|e| e.key.get()).collect();
        let holders: BTreeSet<&MemberId> = snap
            .extensions
            .iter()
            .filter_map(|e| e.member.as_ref())
            .collect();
        let mut free_members = snap
            .members
            .iter()
            .filter(|m| {
                m.status == Status::Active
                    && !holders.contains(&m.id)
                    && scope.contains_member(&m.id)
            })
            .map(|m| m.email.to_string());
        let mut free_numbers = snap
            .numbers
            .iter()
            .filter(|n| n.extension.is_none())
            .map(|n| n.number.to_string());
        let mut left: HashMap<Code, u32> = Code::addons()
            .map(|c| (c, snap.seats.get(c).available()))
            .collect();
        let mut take = |code: Code| -> bool {
            let n = left.entry(code).or_default();
            let ok = *n > 0;
            *n = n.saturating_sub(1);
            ok
        };
        let mut lines = Vec::new();
        for i in 0..2 {
            let key = rules::next_free_start(&taken, 1, 1001).unwrap_or(1001 + i);
            taken.insert(key);
            let mut addons = Vec::new();
            let mut numbers = Vec::new();
            if i == 0 {
                if let Some(n) = free_numbers.next().filter(|_| take(Code::LicenseNumber)) {
                    addons.push(Code::LicenseNumber.as_str().to_owned());
                    numbers.push(n);
                }
            }
            for code in Code::addons().filter(|c| *c != Code::LicenseNumber) {
                if addons.len() == 2 {
                    break;
                }
                if take(code) {
                    addons.push(code.as_str().to_owned());
                }
            }
            lines.push(write::Line {
                key: key.to_string(),
                numbers,
                user: free_members.next().unwrap_or_default(),
                addons,
            });
        }
        Ok(write::csv(&lines, 2))
    }

    /// Plan a bulk file against the organization as it is now and store the plan, valid or
    /// not. A file's bytes are read on a blocking thread (see [`App::read_upload`]), and
    /// reading and planning hold one of [`UPLOAD_READERS`] turns.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn bulk_plan(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        file: BulkFile,
        options: PlanOptions<'_>,
    ) -> AppResult<PlanView> {
        // Before the file is read: a caller who may not plan takes no reader's turn.
        self.guard(ctx, org, Action::Bulk, None)?;
        let (sheet, _turn) = match file {
            BulkFile::Bytes(bytes) => {
                let (sheet, turn) = self.read_upload(Upload(bytes)).await?;
                (sheet, Some(turn))
            }
            BulkFile::Sheet(sheet) => (sheet, None),
        };
        let progress = options.progress.unwrap_or(&silent);
        let (snap, scope) = self.bulk_snapshot(ctx, org).await?;
        let total = sheet.rows.len();
        let plan = bulk::plan_reporting(&sheet, &state(&snap).within(scope), &mut |n| {
            progress(Step::Plan, n, total)
        });
        // Blank lines are not planned: the last report still says "all of them".
        progress(Step::Plan, total, total);
        // The file and the org's state are no longer needed: free them before encoding.
        drop(sheet);
        drop(snap);
        let mut view = PlanView::new(new_id("plan"), now(), plan);
        view.file_name = options.file_name.and_then(clean_file_name);
        let row = plan_row(view);
        let mut tx = self.store.begin().await?;
        tx.insert_plan(org, &row).await?;
        crate::idempotency::mark_applied(&mut *tx).await?;
        tx.commit().await?;
        Ok(decode(&row)?)
    }

    /// Read an uploaded file into a sheet, off the async threads, once a turn is free
    /// (waiting at most [`UPLOAD_WAIT`], else `busy`). A panic while reading becomes
    /// `file_unreadable` and is logged. The turn comes back with the sheet: hold it while
    /// the sheet is planned. A caller that goes away leaves the turn taken until the
    /// reading ends, so abandoned uploads cannot pile up.
    pub async fn read_upload(
        &self,
        bytes: impl AsRef<[u8]> + Send + 'static,
    ) -> AppResult<(Sheet, tokio::sync::OwnedSemaphorePermit)> {
        let turn = tokio::time::timeout(UPLOAD_WAIT, self.uploads.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Busy,
                    format!(
                        "the server is reading {UPLOAD_READERS} other bulk files; retry in {BUSY_RETRY_SECS} seconds"
                    ),
                )
                .detail("retry_after", BUSY_RETRY_SECS)
            })?;
        let read = tokio::task::spawn_blocking(move || (read_sheet(bytes.as_ref()), turn)).await;
        match read {
            Ok((sheet, turn)) => Ok((sheet?, turn)),
            Err(e) => {
                let why = match e.try_into_panic() {
                    Ok(p) => p
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_default(),
                    Err(e) => e.to_string(),
                };
                tracing::error!(panic = %why, "the bulk file reader failed");
                Err(Error::new(
                    ErrorCode::FileUnreadable,
                    "the file could not be read: the reader failed on it (the failure is logged); save it again from the spreadsheet as .xlsx or CSV UTF-8, or start from the sample file",
                )
                .into())
            }
        }
    }

    pub async fn bulk_get_plan(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<PlanView> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let mut tx = self.read(org).await?;
        let row = need(tx.plan(org, id).await?, "plan", id)?;
        let view = decode(&row)?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        visible(view, &scope)
    }

    /// Apply a ready plan, a file's or a cleanup's: every row in one transaction with its
    /// audit entry, or nothing.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn bulk_apply(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        options: ApplyOptions<'_>,
    ) -> AppResult<PlanView> {
        self.guard(ctx, org, Action::Bulk, None)?;
        let progress = options.progress.unwrap_or(&silent);
        let mut tx = self.lock(org).await?;
        let row = need(tx.plan(org, id).await?, "plan", id)?;
        // The applier's scope, not the uploader's: a plan holds for whoever applies it, and
        // one it cannot see is not found, whatever its state, before anything else is said.
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let view = visible(decode(&row)?, &scope)?;
        if row.status == PlanStatus::Applied.as_str() {
            // Applied before: answer with that state and write nothing (the lock rolls back).
            return Ok(view);
        }
        if row.status != PlanStatus::Ready.as_str() {
            return Err(Error::new(
                ErrorCode::PlanInvalid,
                "the plan has errors and cannot be applied; fix the file and upload it again",
            )
            .detail("plan", id)
            .into());
        }
        if view.cleanup.is_some() {
            return self.apply_cleanup(tx, ctx, org, view).await;
        }
        if view.template.is_some() {
            return self.apply_template_plan(tx, ctx, org, view).await;
        }
        // A ready plan's rows say everything its file said: plan them again against the
        // organization as it is now, inside the lock.
        let PlanView {
            items, file_name, ..
        } = view;
        // Free the stored body now; the applied plan is encoded again at the end.
        let PlanRow {
            id,
            created_at,
            body,
            ..
        } = row;
        drop(body);
        let snap = tx.snapshot(org).await?;
        let total = items.len();
        let plan = bulk::recheck_reporting(items, &state(&snap).within(scope), &mut |n| {
            progress(Step::Check, n, total)
        });
        // The members, for the events of the extensions they get; the rest is freed now.
        drop(snap.extensions);
        drop(snap.numbers);
        let mut before = seatline_domain::events::Before::default();
        if self.write_events {
            before.states = Self::states(&mut tx, org).await?;
            before.members = snap
                .members
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect();
        }
        if plan.status != PlanStatus::Ready {
            let errors = serde_json::to_value(&plan.errors).expect("errors serialize");
            return Err(Error::new(
                ErrorCode::PlanStale,
                format!(
                    "the organization changed since the plan was made and {} in the way; nothing was applied: fix the file and upload it again",
                    plural(plan.error_count as u64, "row problem now stands", "row problems now stand")
                ),
            )
            .detail("errors", errors)
            .into());
        }
        let rows = plan.items.len();
        let mut written = 0;
        let teams = tx.teams(org).await?;
        for slice in plan.items.chunks(APPLY_SLICE) {
            let d = bulk::decide_rows(slice)?;
            // One event per extension, numbered right after the previous slice's.
            let drafts = if self.write_events {
                let drafts = seatline_domain::events::derive(&d.changes, &mut before);
                // A bulk row only creates its extension, and no other row names its key: no
                // later slice needs this one's extensions (30 MB at 99,900 rows).
                before.extensions.clear();
                drafts
            } else {
                Vec::new()
            };
            let first = crate::events::reserve(&mut tx, org, &drafts).await?;
            tx.apply(org, &d.changes).await?;
            drop(d.changes);
            tx.append_audit(org, &audit_entries(ctx, d.audit, &teams))
                .await?;
            crate::events::append(&mut tx, ctx, org, drafts, first, &teams).await?;
            written += slice.len();
            progress(Step::Apply, written, total);
        }
        if self.write_events {
            let applied = vec![seatline_domain::events::bulk_applied(&id, rows)];
            let first = crate::events::reserve(&mut tx, org, &applied).await?;
            crate::events::append(&mut tx, ctx, org, applied, first, &teams).await?;
        }
        let mut view = PlanView::new(id, created_at, plan);
        view.file_name = file_name;
        view.status = PlanStatus::Applied;
        view.can_apply = false;
        let applied = plan_row(view);
        tx.update_plan(org, &applied).await?;
        tx.commit().await?;
        self.committed(org).await;
        Ok(decode(&applied)?)
    }

    /// The organization's extensions as bulk rows: members by email, numbers and add-ons as
    /// stored.
    async fn export_lines(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Vec<write::Line>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let (snap, scope) = self.bulk_snapshot(ctx, org).await?;
        let emails: HashMap<&MemberId, &str> = snap
            .members
            .iter()
            .map(|m| (&m.id, m.email.as_str()))
            .collect();
        Ok(snap
            .extensions
            .iter()
            .filter(|e| scope.contains_extension(e))
            .map(|e| write::Line {
                key: e.key.to_string(),
                numbers: e.numbers.iter().map(|n| n.to_string()).collect(),
                user: e
                    .member
                    .as_ref()
                    .and_then(|m| emails.get(m))
                    .map_or(String::new(), |s| (*s).to_owned()),
                addons: e
                    .addons
                    .codes()
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
            })
            .collect())
    }

    /// The organization's extensions as a bulk CSV file: members by email, numbers and
    /// add-ons in as many columns as the widest extension needs, spreadsheet formulas
    /// neutralised.
    pub async fn export_csv(&self, ctx: &Ctx, org: &OrgId) -> AppResult<String> {
        Ok(write::csv(&self.export_lines(ctx, org).await?, 1))
    }

    /// The same export as an XLSX workbook whose cells are all text, so a round trip through
    /// Excel keeps numbers such as `+6561230001` as they are.
    pub async fn export_xlsx(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Vec<u8>> {
        let lines = self.export_lines(ctx, org).await?;
        write::xlsx(&lines, 1).map_err(|e| StoreError::Db(Box::new(e)).into())
    }
}
