//! The use-case shape every case drives the store with (lock, read, let the rules decide,
//! apply, commit), with fixed ids and times.

use std::sync::Arc;

use async_trait::async_trait;

use seatline_domain::{
    rules, Addons, Change, Code, Decision, Email, Error, ExtKey, Extension, Member, MemberId,
    OrgId, Role, Seat, Seats, Status, E164,
};

use crate::{AuditEntry, AuditQuery, ExtensionQuery, Snapshot, Store, StoreError, Tx};

/// A backend under test: a fresh, migrated database that the cases may fill at will.
#[async_trait]
pub trait Backend: Send + Sync {
    /// A new store on that database, with its own connection pool.
    async fn store(&self) -> Arc<dyn Store>;
}

pub(super) const AT: &str = "2026-01-01T00:00:00.000Z";

/// Why a use case did not commit.
#[derive(Debug)]
pub(super) enum Failure {
    Rule(Error),
    Store(StoreError),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Rule(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

pub(super) type Outcome = std::result::Result<(), Failure>;

pub(super) fn org_id(tag: &str) -> OrgId {
    OrgId(format!("org_{tag}"))
}

pub(super) fn email(s: &str) -> Email {
    s.parse().expect("valid email")
}

pub(super) fn key(k: u32) -> ExtKey {
    ExtKey::new(k).expect("valid key")
}

pub(super) fn e164(s: &str) -> E164 {
    s.parse().expect("valid number")
}

pub(super) fn addons(codes: &[Code]) -> Addons {
    codes.iter().copied().collect()
}

pub(super) fn is_constraint<T: std::fmt::Debug>(r: crate::Result<T>) -> bool {
    matches!(r, Err(StoreError::Constraint(_)))
}

/// One decision out of several, in order.
pub(super) fn merge(ds: impl IntoIterator<Item = Decision>) -> Decision {
    ds.into_iter().fold(Decision::default(), |mut all, d| {
        all.changes.extend(d.changes);
        all.audit.extend(d.audit);
        all
    })
}

pub(super) fn audit_entries(d: &Decision) -> Vec<AuditEntry> {
    d.audit
        .iter()
        .map(|a| AuditEntry {
            id: 0,
            at: AT.to_owned(),
            actor: "operator".to_owned(),
            action: a.action.to_owned(),
            target: a.target.clone(),
            before: a.before.clone(),
            after: a.after.clone(),
            request_id: Some("req_conformance".to_owned()),
            teams: Vec::new(),
        })
        .collect()
}

/// Apply a decision and its audit entries, then commit: what the app does.
pub(super) async fn commit(mut tx: Box<dyn Tx>, org: &OrgId, d: Decision) -> crate::Result<()> {
    tx.apply(org, &d.changes).await?;
    tx.append_audit(org, &audit_entries(&d)).await?;
    tx.commit().await
}

pub(super) async fn read(store: &dyn Store) -> Box<dyn Tx> {
    store.begin().await.expect("begin")
}

pub(super) async fn locked(store: &dyn Store, org: &OrgId) -> Box<dyn Tx> {
    store
        .lock(org)
        .await
        .expect("lock")
        .expect("organization exists")
}

pub(super) async fn seats(store: &dyn Store, org: &OrgId) -> Seats {
    read(store).await.seats(org).await.expect("seats")
}

pub(super) async fn snapshot(store: &dyn Store, org: &OrgId) -> Snapshot {
    read(store).await.snapshot(org).await.expect("snapshot")
}

pub(super) async fn extension(store: &dyn Store, org: &OrgId, k: u32) -> Option<Extension> {
    read(store)
        .await
        .extension(org, key(k))
        .await
        .expect("extension")
}

pub(super) async fn audit_of(store: &dyn Store, org: &OrgId, action: &str) -> Vec<AuditEntry> {
    let q = AuditQuery {
        action: Some(action.to_owned()),
        limit: u32::MAX,
        ..AuditQuery::default()
    };
    read(store).await.audit(org, &q).await.expect("audit")
}

/// The organization's newest `limit` audit entries, whatever their action.
pub(super) async fn audit_page(store: &dyn Store, org: &OrgId, limit: u32) -> Vec<AuditEntry> {
    read(store)
        .await
        .audit(
            org,
            &AuditQuery {
                limit,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap()
}

/// Create an organization `org_<tag>` with its owner `own_<tag>`.
pub(super) async fn create_org(store: &dyn Store, tag: &str, owner_email: &str) -> (OrgId, Member) {
    let org = rules::new_org(org_id(tag), &format!("Org {tag}"), AT.to_owned()).expect("org");
    let owner = rules::new_member(
        MemberId(format!("own_{tag}")),
        email(owner_email),
        "Owner",
        Role::Owner,
    )
    .expect("owner");
    let id = org.id.clone();
    let d = rules::create_org(org, owner.clone());
    commit(read(store).await, &id, d).await.expect("create org");
    (id, owner)
}

pub(super) async fn set_quantity(store: &dyn Store, org: &OrgId, code: Code, quantity: i64) {
    let mut tx = locked(store, org).await;
    let seats = tx.seats(org).await.expect("seats");
    let d = rules::set_quantity(code, quantity, &seats).expect("quantity allowed");
    commit(tx, org, d).await.expect("commit quantity");
}

pub(super) async fn add_numbers(store: &dyn Store, org: &OrgId, numbers: &[&str]) {
    let d = merge(
        numbers
            .iter()
            .map(|n| rules::add_number(e164(n), None).expect("new number")),
    );
    commit(locked(store, org).await, org, d)
        .await
        .expect("add numbers");
}

pub(super) async fn add_member(
    store: &dyn Store,
    org: &OrgId,
    id: &str,
    mail: &str,
    role: Role,
) -> Member {
    let mut tx = locked(store, org).await;
    let taken = tx
        .member_by_email(org, &email(mail))
        .await
        .expect("by email")
        .is_some();
    let m = rules::new_member(MemberId(id.to_owned()), email(mail), id, role).expect("member");
    let d = rules::create_member(Some(Role::Owner), m.clone(), taken).expect("create member");
    commit(tx, org, d).await.expect("commit member");
    m
}

/// Provision `count` extensions from `start`.
pub(super) async fn provision(store: &dyn Store, org: &OrgId, count: i64, start: u32) -> Outcome {
    let mut tx = locked(store, org).await;
    let taken = tx.taken_keys(org).await?;
    let seats = tx.seats(org).await?;
    let d = rules::provision(count, key(start), &taken, &seats)?;
    Ok(commit(tx, org, d).await?)
}

/// The extension `k` as `tx` reads it; a missing one is the rules' not-found error.
async fn extension_in(tx: &mut dyn Tx, org: &OrgId, k: u32) -> Result<Extension, Failure> {
    Ok(tx
        .extension(org, key(k))
        .await?
        .ok_or_else(|| Error::not_found("extension", k))?)
}

/// Load an extension under the lock, let `decide` rule on it, commit.
pub(super) async fn on_extension(
    store: &dyn Store,
    org: &OrgId,
    k: u32,
    decide: impl FnOnce(&Extension, &Seats) -> Result<Decision, Error> + Send,
) -> Outcome {
    let mut tx = locked(store, org).await;
    let ext = extension_in(&mut *tx, org, k).await?;
    let seats = tx.seats(org).await?;
    let d = decide(&ext, &seats)?;
    Ok(commit(tx, org, d).await?)
}

pub(super) async fn set_addons(store: &dyn Store, org: &OrgId, k: u32, codes: &[Code]) -> Outcome {
    on_extension(store, org, k, |ext, seats| {
        rules::set_addons(ext, addons(codes), seats)
    })
    .await
}

pub(super) async fn set_numbers(
    store: &dyn Store,
    org: &OrgId,
    k: u32,
    numbers: &[&str],
) -> Outcome {
    let mut tx = locked(store, org).await;
    let ext = extension_in(&mut *tx, org, k).await?;
    let numbers: Vec<E164> = numbers.iter().map(|n| e164(n)).collect();
    let mut rows = Vec::new();
    for n in &numbers {
        rows.push(tx.number(org, n).await?);
    }
    let d = rules::set_numbers(&ext, numbers, &rows)?;
    Ok(commit(tx, org, d).await?)
}

pub(super) async fn assign(store: &dyn Store, org: &OrgId, k: u32, member: &Member) -> Outcome {
    let mut tx = locked(store, org).await;
    let ext = extension_in(&mut *tx, org, k).await?;
    let held = tx.extension_of(org, &member.id).await?.map(|e| e.key);
    let d = rules::assign(&ext, None, member, held, false)?;
    Ok(commit(tx, org, d).await?)
}

/// Disable a member, then delete it, each as its own use case: a member is deleted only
/// once disabled.
pub(super) async fn disable_and_delete(store: &dyn Store, org: &OrgId, m: &Member) {
    let d = rules::set_status(m, Status::Disabled).expect("disable");
    commit(locked(store, org).await, org, d)
        .await
        .expect("disable");
    let disabled = Member {
        status: Status::Disabled,
        ..m.clone()
    };
    let d = rules::delete_member(&disabled, None).expect("delete");
    commit(locked(store, org).await, org, d)
        .await
        .expect("delete");
}

/// A priced subscription suspended at a fixed time, as the lifecycle sets one.
pub(super) fn suspended(
    code: Code,
    quantity: u32,
    term_end: Option<chrono::NaiveDate>,
) -> seatline_domain::Subscription {
    use seatline_domain::{Currency, Price};
    seatline_domain::Subscription {
        code,
        quantity,
        state: seatline_domain::SubState::Suspended,
        term_end,
        state_since: Some(
            chrono::DateTime::parse_from_rfc3339("2026-05-01T00:00:00.123Z")
                .expect("time")
                .with_timezone(&chrono::Utc),
        ),
        unit_price: Some("12.50".parse::<Price>().expect("price")),
        currency: Some("EUR".parse::<Currency>().expect("currency")),
    }
}

/// Apply raw changes in their own transaction, bypassing the rules, and commit if they apply.
pub(super) async fn force(
    store: &dyn Store,
    org: &OrgId,
    changes: Vec<Change>,
) -> crate::Result<()> {
    let mut tx = locked(store, org).await;
    tx.apply(org, &changes).await?;
    tx.commit().await
}

/// An extension query's filter and the keys it must find.
pub(super) type QueryCase = (fn(&mut ExtensionQuery), &'static [u32]);

pub(super) fn seat(purchased: u32, in_use: u32) -> Seat {
    Seat {
        purchased,
        in_use,
        ..Default::default()
    }
}

pub(super) fn keys(exts: &[Extension]) -> Vec<u32> {
    exts.iter().map(|e| e.key.get()).collect()
}
