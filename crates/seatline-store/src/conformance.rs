//! The conformance suite every backend must pass: each [`Store`] and [`Tx`] method round-trips,
//! organizations are isolated, a failed transaction leaves no trace, the schema's unique keys
//! back the rules, bulk changes are batched, and seat limits hold under 32 concurrent writers
//! (from one connection pool and from two).
//!
//! The cases drive the store exactly as the use cases do: lock the organization, read, let
//! [`rules`] decide, apply the changes with their audit entries, commit. A backend's test
//! binary implements [`Backend`] and expands [`conformance_tests!`](crate::conformance_tests)
//! to get one `#[tokio::test]` per case.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use tokio::sync::Barrier;

use seatline_domain::{
    rules, Addons, Change, Code, Decision, Email, Error, ErrorCode, ExtKey, Extension, Member,
    MemberId, NumberRow, OrgId, Role, Seat, Seats, Status, TeamId, E164,
};

use crate::{
    AuditEntry, AuditQuery, ExtensionQuery, IdempotencyRow, PasswordReset, PlanRow, ScimQuery,
    ScimTokenRow, Snapshot, Store, StoreError, TokenRow, Tx, IDEMPOTENCY_PENDING,
};
use crate::{EntitlementSources, MemberRef, TokenEntitlements, TokenHolder};
use crate::{EventHorizon, EventQuery, EventRow, IntegrationTokenRow, NewEvent};

mod sign_in_links;
pub use sign_in_links::sign_in_links;

/// A backend under test: a fresh, migrated database that the cases may fill at will.
#[async_trait]
pub trait Backend: Send + Sync {
    /// A new store on that database, with its own connection pool.
    async fn store(&self) -> Arc<dyn Store>;
}

/// One `#[tokio::test]` per conformance case. `$backend` is an expression evaluated in each
/// test, a future of `Option<impl Backend>`; `None` skips the case (the backend says why).
#[macro_export]
macro_rules! conformance_tests {
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some(backend) = $backend.await {
                    $crate::conformance::$case(&backend).await;
                }
            }
        )*
    };
    ($backend:expr) => {
        $crate::conformance_tests!(@cases $backend;
            migrate_ping_and_missing_org,
            members_round_trip,
            extensions_round_trip,
            numbers_round_trip,
            audit_round_trip,
            tokens_round_trip,
            plans_round_trip,
            idempotency_round_trip,
            idempotency_claim_race,
            tenant_isolation,
            read_sees_one_snapshot,
            rollback_leaves_no_trace,
            constraints_back_the_rules,
            bulk_insert,
            race_provision,
            race_provision_two_pools,
            race_addons,
            race_addons_two_pools,
            session_epochs,
            password_resets,
            sign_in_links,
            subscriptions_round_trip,
            scim_tokens_round_trip,
            scim_members_query_and_fields,
            events_round_trip,
            versions_expected_before_apply,
            events_rollback_and_isolation,
            events_prune_keeps_a_suffix,
            events_gapless_two_pools,
            integration_tokens_round_trip,
            webhooks_round_trip,
            delivery_claims,
            delivery_claims_leave_a_busy_endpoints_backlog,
            claims_of_a_gone_process_are_taken_over_at_once,
            delivery_claim_race_two_pools,
            delivery_outcomes_in_one_batch,
            entitlement_sources_in_one_read,
            token_entitlements_read_together,
            teams_round_trip,
            team_scopes,
        );
    };
}

// ---- helpers: the use-case shape, with fixed ids and times ----

const AT: &str = "2026-01-01T00:00:00.000Z";

/// Why a use case did not commit.
#[derive(Debug)]
enum Failure {
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

type Outcome = std::result::Result<(), Failure>;

fn org_id(tag: &str) -> OrgId {
    OrgId(format!("org_{tag}"))
}

fn email(s: &str) -> Email {
    s.parse().expect("valid email")
}

fn key(k: u32) -> ExtKey {
    ExtKey::new(k).expect("valid key")
}

fn e164(s: &str) -> E164 {
    s.parse().expect("valid number")
}

fn addons(codes: &[Code]) -> Addons {
    codes.iter().copied().collect()
}

fn is_constraint<T: std::fmt::Debug>(r: crate::Result<T>) -> bool {
    matches!(r, Err(StoreError::Constraint(_)))
}

/// One decision out of several, in order.
fn merge(ds: impl IntoIterator<Item = Decision>) -> Decision {
    ds.into_iter().fold(Decision::default(), |mut all, d| {
        all.changes.extend(d.changes);
        all.audit.extend(d.audit);
        all
    })
}

fn audit_entries(d: &Decision) -> Vec<AuditEntry> {
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
async fn commit(mut tx: Box<dyn Tx>, org: &OrgId, d: Decision) -> crate::Result<()> {
    tx.apply(org, &d.changes).await?;
    tx.append_audit(org, &audit_entries(&d)).await?;
    tx.commit().await
}

async fn read(store: &dyn Store) -> Box<dyn Tx> {
    store.begin().await.expect("begin")
}

async fn locked(store: &dyn Store, org: &OrgId) -> Box<dyn Tx> {
    store
        .lock(org)
        .await
        .expect("lock")
        .expect("organization exists")
}

async fn seats(store: &dyn Store, org: &OrgId) -> Seats {
    read(store).await.seats(org).await.expect("seats")
}

async fn snapshot(store: &dyn Store, org: &OrgId) -> Snapshot {
    read(store).await.snapshot(org).await.expect("snapshot")
}

async fn extension(store: &dyn Store, org: &OrgId, k: u32) -> Option<Extension> {
    read(store)
        .await
        .extension(org, key(k))
        .await
        .expect("extension")
}

async fn audit_of(store: &dyn Store, org: &OrgId, action: &str) -> Vec<AuditEntry> {
    let q = AuditQuery {
        action: Some(action.to_owned()),
        limit: u32::MAX,
        ..AuditQuery::default()
    };
    read(store).await.audit(org, &q).await.expect("audit")
}

/// Create an organization `org_<tag>` with its owner `own_<tag>`.
async fn create_org(store: &dyn Store, tag: &str, owner_email: &str) -> (OrgId, Member) {
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

async fn set_quantity(store: &dyn Store, org: &OrgId, code: Code, quantity: i64) {
    let mut tx = locked(store, org).await;
    let seats = tx.seats(org).await.expect("seats");
    let d = rules::set_quantity(code, quantity, &seats).expect("quantity allowed");
    commit(tx, org, d).await.expect("commit quantity");
}

async fn add_numbers(store: &dyn Store, org: &OrgId, numbers: &[&str]) {
    let d = merge(
        numbers
            .iter()
            .map(|n| rules::add_number(e164(n), None).expect("new number")),
    );
    commit(locked(store, org).await, org, d)
        .await
        .expect("add numbers");
}

async fn add_member(store: &dyn Store, org: &OrgId, id: &str, mail: &str, role: Role) -> Member {
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
async fn provision(store: &dyn Store, org: &OrgId, count: i64, start: u32) -> Outcome {
    let mut tx = locked(store, org).await;
    let taken = tx.taken_keys(org).await?;
    let seats = tx.seats(org).await?;
    let d = rules::provision(count, key(start), &taken, &seats)?;
    Ok(commit(tx, org, d).await?)
}

/// Load an extension under the lock, let `decide` rule on it, commit.
async fn on_extension(
    store: &dyn Store,
    org: &OrgId,
    k: u32,
    decide: impl FnOnce(&Extension, &Seats) -> Result<Decision, Error> + Send,
) -> Outcome {
    let mut tx = locked(store, org).await;
    let ext = tx
        .extension(org, key(k))
        .await?
        .ok_or_else(|| Error::not_found("extension", k))?;
    let seats = tx.seats(org).await?;
    let d = decide(&ext, &seats)?;
    Ok(commit(tx, org, d).await?)
}

async fn set_addons(store: &dyn Store, org: &OrgId, k: u32, codes: &[Code]) -> Outcome {
    on_extension(store, org, k, |ext, seats| {
        rules::set_addons(ext, addons(codes), seats)
    })
    .await
}

async fn set_numbers(store: &dyn Store, org: &OrgId, k: u32, numbers: &[&str]) -> Outcome {
    let mut tx = locked(store, org).await;
    let ext = tx
        .extension(org, key(k))
        .await?
        .ok_or_else(|| Error::not_found("extension", k))?;
    let numbers: Vec<E164> = numbers.iter().map(|n| e164(n)).collect();
    let mut rows = Vec::new();
    for n in &numbers {
        rows.push(tx.number(org, n).await?);
    }
    let d = rules::set_numbers(&ext, numbers, &rows)?;
    Ok(commit(tx, org, d).await?)
}

async fn assign(store: &dyn Store, org: &OrgId, k: u32, member: &Member) -> Outcome {
    let mut tx = locked(store, org).await;
    let ext = tx
        .extension(org, key(k))
        .await?
        .ok_or_else(|| Error::not_found("extension", k))?;
    let held = tx.extension_of(org, &member.id).await?.map(|e| e.key);
    let d = rules::assign(&ext, None, member, held, false)?;
    Ok(commit(tx, org, d).await?)
}

/// Apply raw changes in their own transaction, bypassing the rules, and commit if they apply.
async fn force(store: &dyn Store, org: &OrgId, changes: Vec<Change>) -> crate::Result<()> {
    let mut tx = locked(store, org).await;
    tx.apply(org, &changes).await?;
    tx.commit().await
}

/// An extension query's filter and the keys it must find.
type QueryCase = (fn(&mut ExtensionQuery), &'static [u32]);

fn seat(purchased: u32, in_use: u32) -> Seat {
    Seat {
        purchased,
        in_use,
        ..Default::default()
    }
}

fn keys(exts: &[Extension]) -> Vec<u32> {
    exts.iter().map(|e| e.key.get()).collect()
}

// ---- the cases ----

pub async fn migrate_ping_and_missing_org(b: &impl Backend) {
    let store = b.store().await;
    store.migrate().await.expect("migrating twice is a no-op");
    store.ping().await.expect("ping");
    let nobody = org_id("missing");
    assert!(store.lock(&nobody).await.expect("lock").is_none());
    assert_eq!(read(&*store).await.org(&nobody).await.expect("org"), None);
}

pub async fn members_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "m", "owner@m.example").await;

    let mut tx = read(s).await;
    let o = tx.org(&org).await.expect("org").expect("exists");
    assert_eq!(
        (o.id, o.name, o.created_at),
        (org.clone(), "Org m".into(), AT.into())
    );
    assert_eq!(
        tx.member(&org, &owner.id).await.expect("member"),
        Some(owner.clone())
    );
    assert_eq!(owner.role, Role::Owner);
    let by_email = tx
        .member_by_email(&org, &email("OWNER@m.example"))
        .await
        .expect("by email");
    assert_eq!(by_email, Some(owner.clone()));
    drop(tx);

    let b_ = add_member(s, &org, "mem_b", "b@m.example", Role::Admin).await;
    let c = add_member(s, &org, "mem_c", "c@m.example", Role::Member).await;
    let a = add_member(s, &org, "mem_a", "a@m.example", Role::Member).await;

    let mut tx = read(s).await;
    let all = tx.members(&org, None, 10).await.expect("members");
    let emails: Vec<&str> = all.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "a@m.example",
            "b@m.example",
            "c@m.example",
            "owner@m.example"
        ]
    );
    assert_eq!(all[1], b_);
    let ids = [c.id.clone(), MemberId("mem_none".into()), a.id.clone()];
    assert_eq!(
        tx.members_by_id(&org, &ids).await.expect("by id"),
        vec![a.clone(), c.clone()],
        "known ids only, ordered by email"
    );
    let page = tx
        .members(&org, Some("b@m.example"), 1)
        .await
        .expect("page");
    assert_eq!(page, vec![c.clone()]);
    assert_eq!(
        tx.members(&org, Some("owner@m.example"), 10)
            .await
            .expect("end"),
        vec![]
    );
    drop(tx);

    // Role change, disable, ownership transfer (demote first, then promote), delete.
    let mut tx = locked(s, &org).await;
    let d = merge([
        rules::change_role(&b_, Role::Member).expect("role"),
        rules::set_status(&c, Status::Disabled).expect("disable"),
        rules::transfer_ownership(&owner, &a).expect("transfer"),
    ]);
    commit(tx, &org, d).await.expect("commit");
    tx = read(s).await;
    let role = |m: Option<Member>| m.map(|m| (m.role, m.status));
    assert_eq!(
        role(tx.member(&org, &b_.id).await.unwrap()),
        Some((Role::Member, Status::Active))
    );
    assert_eq!(
        role(tx.member(&org, &c.id).await.unwrap()),
        Some((Role::Member, Status::Disabled))
    );
    assert_eq!(
        role(tx.member(&org, &a.id).await.unwrap()),
        Some((Role::Owner, Status::Active))
    );
    assert_eq!(
        role(tx.member(&org, &owner.id).await.unwrap()),
        Some((Role::Admin, Status::Active))
    );
    let c = tx.member(&org, &c.id).await.unwrap().expect("c");
    drop(tx);
    let d = rules::delete_member(&c, None).expect("delete");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("commit delete");
    let mut tx = read(s).await;
    assert_eq!(tx.member(&org, &c.id).await.expect("member"), None);
    assert_eq!(tx.members(&org, None, 10).await.expect("members").len(), 3);
    drop(tx);

    // Password hashes, and sign-in's lookup by email across organizations.
    let mut tx = locked(s, &org).await;
    tx.set_password_hash(&org, &a.id, Some("argon2id$h1"))
        .await
        .expect("set hash");
    tx.commit().await.expect("commit");
    let (other, other_owner) = create_org(s, "n", "a@m.example").await;
    let found = s
        .credentials_by_email(&email("A@m.example"))
        .await
        .expect("credentials");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((&found[0].org, &found[0].member.id), (&org, &a.id));
    assert_eq!(found[0].member.role, Role::Owner);
    assert_eq!(found[0].password_hash.as_deref(), Some("argon2id$h1"));
    assert_eq!((&found[1].org, &found[1].member), (&other, &other_owner));
    assert_eq!(found[1].password_hash, None);
    let mut tx = locked(s, &org).await;
    tx.set_password_hash(&org, &a.id, None)
        .await
        .expect("clear hash");
    tx.commit().await.expect("commit");
    let found = s.credentials_by_email(&a.email).await.expect("credentials");
    assert_eq!(found[0].password_hash, None);
    assert!(s
        .credentials_by_email(&email("nobody@m.example"))
        .await
        .expect("credentials")
        .is_empty());
}

pub async fn extensions_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "x", "owner@x.example").await;
    // Set, then changed below: the purchase is replaced, not added to.
    set_quantity(s, &org, Code::PhoneSystem, 9).await;
    for (code, q) in [
        (Code::PhoneSystem, 5),
        (Code::DeviceIpPhone, 5),
        (Code::LicenseCenter, 2),
        (Code::LicenseNumber, 4),
        (Code::DeviceMobileApp, 2),
    ] {
        set_quantity(s, &org, code, q).await;
    }
    add_numbers(
        s,
        &org,
        &["+6531000001", "+6531000002", "+6531000003", "+6531000004"],
    )
    .await;
    let m = add_member(s, &org, "mem_x", "m@x.example", Role::Member).await;

    provision(s, &org, 3, 1001).await.expect("provision");
    let mut tx = read(s).await;
    assert_eq!(
        tx.taken_keys(&org).await.expect("taken"),
        BTreeSet::from([1001, 1002, 1003])
    );
    let seats0 = tx.seats(&org).await.expect("seats");
    assert_eq!(seats0.get(Code::PhoneSystem), seat(5, 3));
    assert_eq!(seats0.get(Code::LicenseCenter), seat(2, 0));
    assert_eq!(seats0.get(Code::TeamChat), seat(0, 0));
    assert_eq!(seats0.assigned, 0);
    assert_eq!(
        tx.extension(&org, key(1002)).await.unwrap(),
        Some(Extension::new(key(1002)))
    );
    assert_eq!(tx.extension(&org, key(1004)).await.unwrap(), None);
    drop(tx);

    assign(s, &org, 1002, &m).await.expect("assign");
    use Code::*;
    let codes = [DeviceIpPhone, LicenseCenter, LicenseNumber, LicenseNumber];
    set_addons(s, &org, 1002, &codes).await.expect("addons");
    set_numbers(s, &org, 1002, &["+6531000002", "+6531000001"])
        .await
        .expect("numbers");

    let want = Extension {
        key: key(1002),
        member: Some(m.id.clone()),
        addons: addons(&codes),
        numbers: vec![e164("+6531000001"), e164("+6531000002")],
    };
    let mut tx = read(s).await;
    assert_eq!(
        tx.extension(&org, key(1002)).await.unwrap(),
        Some(want.clone())
    );
    assert_eq!(
        tx.extension_of(&org, &m.id).await.unwrap(),
        Some(want.clone())
    );
    assert_eq!(tx.extension_of(&org, &owner.id).await.unwrap(), None);
    let seats1 = tx.seats(&org).await.expect("seats");
    assert_eq!(seats1.get(PhoneSystem), seat(5, 3));
    assert_eq!(seats1.get(DeviceIpPhone), seat(5, 1));
    assert_eq!(seats1.get(LicenseCenter), seat(2, 1));
    assert_eq!(seats1.get(LicenseNumber), seat(4, 2));
    assert_eq!(seats1.assigned, 1);

    let q = |f: fn(&mut ExtensionQuery)| {
        let mut q = ExtensionQuery {
            limit: 10,
            ..ExtensionQuery::default()
        };
        f(&mut q);
        q
    };
    let all = tx.extensions(&org, &q(|_| {})).await.expect("all");
    assert_eq!(keys(&all), [1001, 1002, 1003]);
    assert_eq!(all[1], want);
    let cases: [QueryCase; 8] = [
        (|q| q.after = Some(1001), &[1002, 1003]),
        (|q| q.limit = 1, &[1001]),
        (|q| q.members = vec![MemberId("mem_x".into())], &[1002]),
        (|q| q.members = vec![MemberId("own_x".into())], &[]),
        (|q| q.unassigned = true, &[1001, 1003]),
        (|q| q.addon = Some(Code::LicenseCenter), &[1002]),
        (|q| q.key_prefix = Some("1003".into()), &[1003]),
        (|q| q.key_prefix = Some("2".into()), &[]),
    ];
    for (i, (f, want_keys)) in cases.into_iter().enumerate() {
        let got = tx.extensions(&org, &q(f)).await.expect("query");
        assert_eq!(keys(&got), want_keys, "extension query #{i}");
    }
    let only = tx
        .extensions(&org, &q(|q| q.addon = Some(Code::LicenseNumber)))
        .await
        .expect("by addon");
    assert_eq!(
        only,
        vec![want.clone()],
        "a filtered extension comes complete"
    );
    drop(tx);

    // A sparse page (keys far apart) still comes complete, and only with its own parts.
    provision(s, &org, 1, 5000)
        .await
        .expect("provision far key");
    set_addons(s, &org, 5000, &[DeviceIpPhone])
        .await
        .expect("addons");
    let mut tx = read(s).await;
    let phones = tx
        .extensions(&org, &q(|q| q.addon = Some(DeviceIpPhone)))
        .await
        .expect("by addon");
    assert_eq!(keys(&phones), [1002, 5000]);
    assert_eq!(phones[0], want, "sparse page: 1002 complete");
    assert_eq!(
        phones[1].addons,
        addons(&[DeviceIpPhone]),
        "sparse page: 5000 complete"
    );
    drop(tx);
    on_extension(s, &org, 5000, |ext, _| rules::deprovision(ext, None))
        .await
        .expect("deprovision far key");

    // Extensions inserted with member, add-ons and numbers at once (the bulk shape).
    let bulk = Extension {
        key: key(2001),
        member: None,
        addons: addons(&[DeviceMobileApp, DeviceMobileApp, LicenseNumber]),
        numbers: vec![e164("+6531000003")],
    };
    force(s, &org, vec![Change::InsertExtensions(vec![bulk.clone()])])
        .await
        .expect("insert with parts");
    assert_eq!(extension(s, &org, 2001).await, Some(bulk.clone()));
    assert_eq!(seats(s, &org).await.get(DeviceMobileApp), seat(2, 2));

    // Replacing numbers frees the ones dropped.
    set_numbers(s, &org, 1002, &["+6531000004"])
        .await
        .expect("replace numbers");
    let mut tx = read(s).await;
    let number = |n: &str, k: Option<u32>| NumberRow {
        number: e164(n),
        extension: k.map(key),
    };
    assert_eq!(
        tx.number(&org, &e164("+6531000001")).await.unwrap(),
        Some(number("+6531000001", None))
    );
    assert_eq!(
        tx.number(&org, &e164("+6531000004")).await.unwrap(),
        Some(number("+6531000004", Some(1002)))
    );
    drop(tx);

    // Unassign keeps add-ons and numbers; deprovision returns seats and numbers.
    on_extension(s, &org, 1002, |ext, _| Ok(rules::unassign(ext)))
        .await
        .expect("unassign");
    let unassigned = extension(s, &org, 1002).await.expect("still there");
    assert_eq!(
        (unassigned.member, unassigned.addons.clone()),
        (None, want.addons.clone())
    );
    on_extension(s, &org, 1002, |ext, _| rules::deprovision(ext, None))
        .await
        .expect("deprovision");
    assert_eq!(extension(s, &org, 1002).await, None);
    let seats2 = seats(s, &org).await;
    assert_eq!(seats2.get(PhoneSystem), seat(5, 3));
    assert_eq!(seats2.get(LicenseCenter), seat(2, 0));
    assert_eq!(seats2.get(LicenseNumber), seat(4, 1));
    assert_eq!(seats2.assigned, 0);

    let snap = snapshot(s, &org).await;
    assert_eq!(keys(&snap.extensions), [1001, 1003, 2001]);
    assert_eq!(snap.extensions[2], bulk);
    assert_eq!(snap.members.len(), 2);
    assert_eq!(
        snap.numbers,
        vec![
            number("+6531000001", None),
            number("+6531000002", None),
            number("+6531000003", Some(2001)),
            number("+6531000004", None),
        ]
    );
    assert_eq!(snap.seats, seats2);
}

pub async fn numbers_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "n", "owner@n.example").await;
    add_numbers(s, &org, &["+6531000003", "+14155550100", "+6531000001"]).await;
    let mut tx = read(s).await;
    let all = tx.numbers(&org, None, 10).await.expect("numbers");
    let listed: Vec<&str> = all.iter().map(|n| n.number.as_str()).collect();
    assert_eq!(listed, ["+14155550100", "+6531000001", "+6531000003"]);
    assert!(all.iter().all(|n| n.extension.is_none()));
    let page = tx
        .numbers(&org, Some("+14155550100"), 1)
        .await
        .expect("page");
    assert_eq!(page[0].number.as_str(), "+6531000001");
    assert_eq!(page.len(), 1);
    assert_eq!(tx.number(&org, &e164("+6531000009")).await.unwrap(), None);
    let row = tx.number(&org, &e164("+6531000001")).await.unwrap();
    drop(tx);

    let n = e164("+6531000001");
    let d = rules::remove_number(&n, row.as_ref()).expect("free number");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("remove");
    let mut tx = read(s).await;
    assert_eq!(tx.number(&org, &n).await.unwrap(), None);
    assert_eq!(tx.numbers(&org, None, 10).await.unwrap().len(), 2);
}

pub async fn audit_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "a", "owner@a.example").await;
    let entry = |i: i64, action: &str, before, after, request_id: Option<&str>| AuditEntry {
        id: 0,
        at: format!("2026-01-0{}T00:00:00.000Z", i + 1),
        actor: format!("member:mem_{i}"),
        action: action.to_owned(),
        target: format!("extension:{}", 1000 + i),
        before,
        after,
        request_id: request_id.map(str::to_owned),
        // Entries round-trip the teams they name, in order.
        teams: (0..i % 3).map(|t| format!("team_{t}")).collect(),
    };
    let written = vec![
        entry(
            1,
            "x.one",
            json!(null),
            json!({"key": "1001", "addons": ["a", "b"]}),
            Some("r1"),
        ),
        entry(
            2,
            "x.two",
            json!({"nested": {"deep": [1, 2.5, true, null]}}),
            json!(null),
            None,
        ),
        entry(
            3,
            "x.one",
            json!("quote \" and ünïcode ✓"),
            json!(42),
            Some("r3"),
        ),
        entry(4, "x.two", json!([]), json!({}), None),
        entry(
            5,
            "x.one",
            json!({"n": -7}),
            json!({"big": 9_007_199_254_740_993_u64}),
            Some("r5"),
        ),
    ];
    let mut tx = locked(s, &org).await;
    tx.append_audit(&org, &written).await.expect("append");
    tx.commit().await.expect("commit");

    let mut tx = read(s).await;
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        };
        f(&mut q);
        q
    };
    let all = tx.audit(&org, &q(|_| {})).await.expect("audit");
    assert_eq!(all.len(), 6, "five entries and org.create");
    assert_eq!(all[5].action, "org.create");
    assert_eq!(all[5].request_id.as_deref(), Some("req_conformance"));
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    // Entries appended together keep their order in their ids.
    for (got, want) in all[..5].iter().rev().zip(&written) {
        assert_eq!(
            AuditEntry {
                id: 0,
                ..got.clone()
            },
            *want
        );
    }

    let first = tx.audit(&org, &q(|q| q.limit = 2)).await.expect("page 1");
    assert_eq!(first, all[..2]);
    let next = AuditQuery {
        before_id: Some(first[1].id),
        limit: 2,
        ..AuditQuery::default()
    };
    assert_eq!(tx.audit(&org, &next).await.expect("page 2"), all[2..4]);
    let ones = tx
        .audit(&org, &q(|q| q.action = Some("x.one".into())))
        .await
        .expect("by action");
    assert_eq!(
        ones.iter().map(|e| &e.target).collect::<Vec<_>>(),
        ["extension:1005", "extension:1003", "extension:1001"]
    );
    let target = tx
        .audit(&org, &q(|q| q.target = Some("extension:1002".into())))
        .await
        .expect("by target");
    assert_eq!(target, all[3..4]);
    let both = tx
        .audit(
            &org,
            &q(|q| {
                q.action = Some("x.two".into());
                q.target = Some("extension:1001".into());
            }),
        )
        .await
        .expect("by both");
    assert!(both.is_empty());
}

pub async fn tokens_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "t", "owner@t.example").await;
    let m = add_member(s, &org, "mem_t", "m@t.example", Role::Member).await;
    let token = |id: &str, member: &Member, at: &str| TokenRow {
        id: id.to_owned(),
        org: org.clone(),
        member: member.id.clone(),
        hash: format!("hash_{id}"),
        created_at: at.to_owned(),
        revoked: false,
    };
    let t2 = token("tok_2", &m, "2026-01-02T00:00:00.000Z");
    let t1 = token("tok_1", &m, "2026-01-01T00:00:00.000Z");
    let t3 = token("tok_3", &owner, "2026-01-01T00:00:00.000Z");
    let mut tx = locked(s, &org).await;
    for t in [&t2, &t1, &t3] {
        tx.insert_token(t).await.expect("insert token");
    }
    tx.commit().await.expect("commit");

    assert_eq!(
        s.token_holder("hash_tok_1").await.unwrap().map(|(t, _)| t),
        Some(t1.clone())
    );
    assert_eq!(s.token_holder("nope").await.unwrap().map(|(t, _)| t), None);
    let (_, holder) = s.token_holder("hash_tok_1").await.unwrap().expect("held");
    assert_eq!(holder, m, "the token's holder comes with it");
    let mut tx = locked(s, &org).await;
    assert_eq!(
        tx.tokens(&org, &m.id).await.unwrap(),
        vec![t1.clone(), t2.clone()]
    );
    assert!(tx.revoke_token(&org, &m.id, "tok_1").await.unwrap());
    assert!(
        !tx.revoke_token(&org, &m.id, "tok_3").await.unwrap(),
        "another member's token"
    );
    assert!(!tx.revoke_token(&org, &m.id, "tok_9").await.unwrap());
    tx.commit().await.expect("commit");
    let revoked = s
        .token_holder("hash_tok_1")
        .await
        .unwrap()
        .map(|(t, _)| t)
        .expect("still stored");
    assert!(revoked.revoked);
    assert!(
        !s.token_holder("hash_tok_3")
            .await
            .unwrap()
            .map(|(t, _)| t)
            .expect("kept")
            .revoked
    );

    // A deleted member's tokens go with it.
    let d = rules::set_status(&m, Status::Disabled).expect("disable");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("commit");
    let disabled = Member {
        status: Status::Disabled,
        ..m.clone()
    };
    let d = rules::delete_member(&disabled, None).expect("delete");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("commit");
    assert_eq!(
        s.token_holder("hash_tok_2").await.unwrap().map(|(t, _)| t),
        None
    );
    assert!(read(s).await.tokens(&org, &m.id).await.unwrap().is_empty());
}

pub async fn plans_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "p", "owner@p.example").await;
    let plan = PlanRow {
        id: "plan_1".into(),
        created_at: AT.into(),
        status: "planned".into(),
        body: r#"{"rows":[{"key":"1001"}]}"#.into(),
    };
    let mut tx = locked(s, &org).await;
    tx.insert_plan(&org, &plan).await.expect("insert plan");
    assert_eq!(tx.plan(&org, "plan_1").await.unwrap(), Some(plan.clone()));
    tx.commit().await.expect("commit");

    let applied = PlanRow {
        status: "applied".into(),
        body: r#"{"rows":[]}"#.into(),
        ..plan.clone()
    };
    let mut tx = locked(s, &org).await;
    tx.update_plan(&org, &applied).await.expect("update");
    tx.commit().await.expect("commit");
    let mut tx = read(s).await;
    assert_eq!(tx.plan(&org, "plan_1").await.unwrap(), Some(applied));
    assert_eq!(tx.plan(&org, "plan_2").await.unwrap(), None);
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert!(
        is_constraint(tx.insert_plan(&org, &plan).await),
        "plan ids are unique"
    );
}

pub async fn idempotency_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let done = |scope: &str, body: &str, at: &str| IdempotencyRow {
        scope: scope.into(),
        key: "k1".into(),
        request_hash: "sha_1".into(),
        status: 201,
        body: body.into(),
        created_at: at.into(),
    };
    let t1 = "2026-01-01T00:00:00.000Z";
    let t3 = "2026-01-03T00:00:00.000Z";
    let long_ago = "2000-01-01T00:00:00.000Z";
    assert_eq!(s.idempotency_get("org_a", "k1").await.unwrap(), None);
    assert!(s
        .idempotency_claim("org_a", "k1", "sha_1", t1, long_ago)
        .await
        .unwrap());
    assert_eq!(
        s.idempotency_get("org_a", "k1").await.unwrap(),
        Some(IdempotencyRow {
            status: IDEMPOTENCY_PENDING,
            body: String::new(),
            ..done("org_a", "", t1)
        }),
        "a claim is a pending row"
    );
    assert!(
        !s.idempotency_claim("org_a", "k1", "sha_1", t3, long_ago)
            .await
            .unwrap(),
        "a fresh claim is not taken twice"
    );
    let first = done("org_a", "first", t1);
    assert!(s.idempotency_complete(&first).await.unwrap());
    assert!(
        !s.idempotency_complete(&done("org_a", "second", t1))
            .await
            .unwrap(),
        "a completed row is not completed again"
    );
    assert!(
        !s.idempotency_claim("org_a", "k1", "sha_1", t3, t3)
            .await
            .unwrap(),
        "a completed row is never taken over, however old"
    );
    s.idempotency_release("org_a", "k1", t1).await.unwrap();
    assert_eq!(
        s.idempotency_get("org_a", "k1").await.unwrap(),
        Some(first.clone()),
        "the first response stays, release leaves a completed row alone"
    );

    // A stale claim of the same request is taken over; the old claimer can then neither
    // complete nor release it.
    assert!(s
        .idempotency_claim("org_b", "k1", "sha_1", t1, long_ago)
        .await
        .unwrap());
    assert!(
        !s.idempotency_claim("org_b", "k1", "sha_other", t3, t3)
            .await
            .unwrap(),
        "another request never takes a claim over"
    );
    assert!(s
        .idempotency_claim("org_b", "k1", "sha_1", t3, "2026-01-02T00:00:00.000Z")
        .await
        .unwrap());
    assert!(!s
        .idempotency_complete(&done("org_b", "late", t1))
        .await
        .unwrap());
    s.idempotency_release("org_b", "k1", t1).await.unwrap();
    let other = done("org_b", "other", t3);
    assert!(s.idempotency_complete(&other).await.unwrap());
    assert_eq!(
        s.idempotency_get("org_b", "k1").await.unwrap(),
        Some(other.clone())
    );

    // A released claim is gone, and the key can be claimed again at once.
    assert!(s
        .idempotency_claim("org_c", "k1", "sha_1", t3, long_ago)
        .await
        .unwrap());
    s.idempotency_release("org_c", "k1", t3).await.unwrap();
    assert_eq!(s.idempotency_get("org_c", "k1").await.unwrap(), None);
    assert!(s
        .idempotency_claim("org_c", "k1", "sha_1", t3, long_ago)
        .await
        .unwrap());
    s.idempotency_release("org_c", "k1", t3).await.unwrap();

    assert_eq!(
        s.idempotency_prune("2026-01-02T00:00:00.000Z")
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.idempotency_get("org_a", "k1").await.unwrap(), None);
    assert_eq!(s.idempotency_get("org_b", "k1").await.unwrap(), Some(other));
    assert_eq!(
        s.idempotency_prune("2026-01-02T00:00:00.000Z")
            .await
            .unwrap(),
        0
    );
}

/// Of many concurrent claims of one key, through as many connections, exactly one wins.
pub async fn idempotency_claim_race(b: &impl Backend) {
    let stores = [b.store().await, b.store().await];
    let start = Arc::new(Barrier::new(16));
    let claims = (0..16).map(|i| {
        let s = stores[i % 2].clone();
        let start = start.clone();
        tokio::spawn(async move {
            start.wait().await;
            s.idempotency_claim("org_a", "k1", "sha_1", AT, "2000-01-01T00:00:00.000Z")
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for c in claims.collect::<Vec<_>>() {
        won += usize::from(c.await.unwrap());
    }
    assert_eq!(won, 1);
}

/// Nothing of org A is visible through org B, and writes scoped by B cannot touch A, even
/// where both use the same extension key or the same email.
pub async fn tenant_isolation(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let (b_org, b_owner) = create_org(s, "b", "owner@b.example").await;
    for org in [&a, &b_org] {
        set_quantity(s, org, Code::PhoneSystem, 3).await;
        set_quantity(s, org, Code::LicenseNumber, 1).await;
    }
    set_quantity(s, &a, Code::LicenseCenter, 1).await;
    add_numbers(s, &a, &["+6531000001"]).await;
    let am = add_member(s, &a, "mem_a", "shared@x.example", Role::Member).await;
    let bm = add_member(s, &b_org, "mem_b", "shared@x.example", Role::Member).await;
    provision(s, &a, 2, 1001).await.expect("provision a");
    provision(s, &b_org, 1, 1001).await.expect("provision b");
    assign(s, &a, 1002, &am).await.expect("assign");
    set_addons(s, &a, 1002, &[Code::LicenseCenter, Code::LicenseNumber])
        .await
        .expect("addons");
    set_numbers(s, &a, 1002, &["+6531000001"])
        .await
        .expect("numbers");
    let mut tx = locked(s, &a).await;
    let a_token = TokenRow {
        id: "tok_a".into(),
        org: a.clone(),
        member: am.id.clone(),
        hash: "hash_a".into(),
        created_at: AT.into(),
        revoked: false,
    };
    tx.insert_token(&a_token).await.expect("token");
    let a_plan = PlanRow {
        id: "plan_a".into(),
        created_at: AT.into(),
        status: "planned".into(),
        body: "{}".into(),
    };
    tx.insert_plan(&a, &a_plan).await.expect("plan");
    tx.commit().await.expect("commit");
    let a_before = snapshot(s, &a).await;
    let a_audit = read(s)
        .await
        .audit(
            &a,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();

    // Reads through B.
    let mut tx = read(s).await;
    let b = &b_org;
    assert_eq!(tx.member(b, &am.id).await.unwrap(), None);
    assert_eq!(
        tx.member_by_email(b, &email("owner@a.example"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.member_by_email(b, &am.email).await.unwrap(),
        Some(bm.clone())
    );
    assert_eq!(
        tx.members(b, None, 100).await.unwrap(),
        vec![b_owner.clone(), bm.clone()]
    );
    assert_eq!(tx.extension(b, key(1002)).await.unwrap(), None);
    assert_eq!(
        tx.extension(b, key(1001)).await.unwrap(),
        Some(Extension::new(key(1001)))
    );
    assert_eq!(tx.extension_of(b, &am.id).await.unwrap(), None);
    let everything = ExtensionQuery {
        limit: 100,
        ..ExtensionQuery::default()
    };
    assert_eq!(keys(&tx.extensions(b, &everything).await.unwrap()), [1001]);
    let of_a = ExtensionQuery {
        members: vec![am.id.clone()],
        ..everything.clone()
    };
    assert!(tx.extensions(b, &of_a).await.unwrap().is_empty());
    let center = ExtensionQuery {
        addon: Some(Code::LicenseCenter),
        ..everything.clone()
    };
    assert!(tx.extensions(b, &center).await.unwrap().is_empty());
    assert_eq!(tx.taken_keys(b).await.unwrap(), BTreeSet::from([1001]));
    let bs = tx.seats(b).await.unwrap();
    assert_eq!(bs.get(Code::PhoneSystem), seat(3, 1));
    assert_eq!(bs.get(Code::LicenseCenter), seat(0, 0));
    assert_eq!(bs.get(Code::LicenseNumber), seat(1, 0));
    assert_eq!(bs.assigned, 0);
    assert_eq!(tx.number(b, &e164("+6531000001")).await.unwrap(), None);
    assert!(tx.numbers(b, None, 100).await.unwrap().is_empty());
    let b_audit = tx
        .audit(
            b,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(b_audit
        .iter()
        .all(|e| !a_audit.iter().any(|x| x.id == e.id)));
    assert_eq!(
        b_audit.len(),
        5,
        "org.create, two quantities, member, provision: {b_audit:?}"
    );
    assert!(tx.tokens(b, &am.id).await.unwrap().is_empty());
    assert_eq!(tx.plan(b, "plan_a").await.unwrap(), None);
    let bsnap = tx.snapshot(b).await.unwrap();
    assert_eq!(
        (
            bsnap.members.len(),
            keys(&bsnap.extensions),
            bsnap.numbers.len()
        ),
        (2, vec![1001], 0)
    );
    drop(tx);

    // Writes scoped by B naming A's rows: no effect, or refused.
    let renamed = Member {
        name: "Hijacked".into(),
        role: Role::Admin,
        ..am.clone()
    };
    let harmless = [
        Change::UpdateMember(renamed),
        Change::DeleteMember(am.id.clone()),
        Change::SetExtensionMember {
            key: key(1002),
            member: None,
        },
        Change::DeleteExtension(key(1002)),
        Change::DeleteNumber(e164("+6531000001")),
    ];
    for change in harmless {
        force(s, b, vec![change.clone()])
            .await
            .unwrap_or_else(|e| panic!("{change:?}: {e}"));
    }
    let refused = [
        Change::SetAddons {
            key: key(1002),
            addons: addons(&[Code::TeamChat]),
        },
        Change::SetNumbers {
            key: key(1001),
            numbers: vec![e164("+6531000001")],
        },
        Change::SetExtensionMember {
            key: key(1001),
            member: Some(am.id.clone()),
        },
    ];
    for change in refused {
        assert!(
            is_constraint(force(s, b, vec![change.clone()]).await),
            "{change:?}"
        );
    }
    let mut tx = locked(s, b).await;
    assert!(!tx.revoke_token(b, &am.id, "tok_a").await.unwrap());
    tx.update_plan(
        b,
        &PlanRow {
            status: "applied".into(),
            ..a_plan.clone()
        },
    )
    .await
    .unwrap();
    tx.set_password_hash(b, &am.id, Some("stolen"))
        .await
        .unwrap();
    tx.append_audit(
        b,
        &[AuditEntry {
            id: 0,
            at: AT.into(),
            actor: "x".into(),
            action: "x".into(),
            target: "x".into(),
            before: json!(null),
            after: json!(null),
            request_id: None,
            teams: Vec::new(),
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A is exactly as it was.
    let a_after = snapshot(s, &a).await;
    assert_eq!(a_after.members, a_before.members);
    assert_eq!(a_after.extensions, a_before.extensions);
    assert_eq!(a_after.numbers, a_before.numbers);
    assert_eq!(a_after.seats, a_before.seats);
    let mut tx = read(s).await;
    assert_eq!(tx.plan(&a, "plan_a").await.unwrap(), Some(a_plan));
    assert_eq!(tx.tokens(&a, &am.id).await.unwrap(), vec![a_token]);
    assert_eq!(
        tx.audit(
            &a,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            }
        )
        .await
        .unwrap(),
        a_audit
    );
    let creds = s.credentials_by_email(&am.email).await.unwrap();
    let of_a: Vec<_> = creds.iter().filter(|c| c.org == a).collect();
    assert_eq!(of_a.len(), 1);
    assert_eq!((&of_a[0].member, &of_a[0].password_hash), (&am, &None));
}

/// Every read of a read transaction sees the state of its first read, whatever commits since.
pub async fn read_sees_one_snapshot(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "s", "owner@s.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 5).await;
    let mut reader = read(s).await;
    let before = reader.seats(&org).await.expect("seats");
    provision(s, &org, 2, 1001)
        .await
        .expect("a writer commits meanwhile");
    assert!(reader.taken_keys(&org).await.unwrap().is_empty());
    assert_eq!(reader.seats(&org).await.unwrap(), before);
    let exts = reader
        .extensions(
            &org,
            &ExtensionQuery {
                limit: 10,
                ..ExtensionQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(exts.is_empty());
    drop(reader);
    assert_eq!(seats(s, &org).await.get(Code::PhoneSystem), seat(5, 2));
}

/// A transaction that applied changes and audit entries and then failed, or was dropped
/// without commit, leaves no rows and no audit entry, and releases the organization's lock.
pub async fn rollback_leaves_no_trace(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "r", "owner@r.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    let before = snapshot(s, &org).await;
    let audit_before = read(s)
        .await
        .audit(
            &org,
            &AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();

    let o = &org;
    let provision_then = |failing: Option<Change>| async move {
        let (org, mut tx) = (o, locked(s, o).await);
        let taken = tx.taken_keys(org).await.unwrap();
        let seats = tx.seats(org).await.unwrap();
        let d = rules::provision(3, key(1001), &taken, &seats).expect("allowed");
        tx.apply(org, &d.changes).await.expect("apply");
        tx.append_audit(org, &audit_entries(&d))
            .await
            .expect("audit");
        // Inside the transaction the changes are visible.
        assert_eq!(tx.taken_keys(org).await.unwrap().len(), 3);
        if let Some(change) = failing {
            assert!(is_constraint(tx.apply(org, &[change]).await));
        }
        // Dropped without commit.
    };
    let dup = rules::new_member(
        MemberId("mem_dup".into()),
        owner.email.clone(),
        "Dup",
        Role::Member,
    )
    .unwrap();
    provision_then(Some(Change::InsertMember(dup))).await;
    provision_then(Some(Change::InsertExtensions(vec![Extension::new(key(
        1001,
    ))])))
    .await;
    provision_then(None).await;
    // A failure inside a bulk insert (a number not in the inventory) rolls back the rest.
    let mut tx = locked(s, &org).await;
    let ext = Extension {
        numbers: vec![e164("+6531000009")],
        ..Extension::new(key(1005))
    };
    assert!(is_constraint(
        tx.apply(
            &org,
            &[Change::InsertExtensions(vec![
                Extension::new(key(1004)),
                ext
            ])]
        )
        .await
    ));
    drop(tx);

    let after = snapshot(s, &org).await;
    assert!(after.extensions.is_empty(), "{:?}", after.extensions);
    assert_eq!(after.members, before.members);
    assert_eq!(after.seats, before.seats);
    let audit_after = read(s)
        .await
        .audit(
            &org,
            &AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit_after, audit_before);
    // The lock was released: the same provision now commits.
    provision(s, &org, 3, 1001)
        .await
        .expect("provision after rollbacks");
    assert_eq!(audit_of(s, &org, "extension.provision").await.len(), 3);
}

/// The schema's keys refuse what the rules would refuse, should a change get past them.
pub async fn constraints_back_the_rules(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "c", "owner@c.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    set_quantity(s, &org, Code::LicenseNumber, 10).await;
    add_numbers(s, &org, &["+6531000001"]).await;
    let m = add_member(s, &org, "mem_c", "m@c.example", Role::Member).await;
    provision(s, &org, 2, 1001).await.expect("provision");
    assign(s, &org, 1001, &m).await.expect("assign");
    set_addons(s, &org, 1001, &[Code::LicenseNumber])
        .await
        .expect("addons");
    set_addons(s, &org, 1002, &[Code::LicenseNumber])
        .await
        .expect("addons");
    set_numbers(s, &org, 1001, &["+6531000001"])
        .await
        .expect("numbers");
    let before = snapshot(s, &org).await;

    let member = |id: &str, mail: &str, role| Member {
        id: MemberId(id.into()),
        email: email(mail),
        name: id.into(),
        role,
        status: Status::Active,
    };
    let refused: Vec<(&str, Change)> = vec![
        (
            "extension key per org",
            Change::InsertExtensions(vec![Extension::new(key(1002))]),
        ),
        (
            "one extension per member",
            Change::SetExtensionMember {
                key: key(1002),
                member: Some(m.id.clone()),
            },
        ),
        (
            "extension of an unknown member",
            Change::SetExtensionMember {
                key: key(1002),
                member: Some(MemberId("mem_none".into())),
            },
        ),
        (
            "one owner per org",
            Change::InsertMember(member("mem_o2", "o2@c.example", Role::Owner)),
        ),
        (
            "a second owner by update",
            Change::UpdateMember(Member {
                role: Role::Owner,
                ..m.clone()
            }),
        ),
        (
            "email per org",
            Change::InsertMember(member("mem_x", "owner@c.example", Role::Member)),
        ),
        (
            "member id per org",
            Change::InsertMember(member(owner.id.as_str(), "new@c.example", Role::Member)),
        ),
        ("number per org", Change::InsertNumber(e164("+6531000001"))),
        (
            "one extension per number",
            Change::SetNumbers {
                key: key(1002),
                numbers: vec![e164("+6531000001")],
            },
        ),
        (
            "number not in the inventory",
            Change::SetNumbers {
                key: key(1002),
                numbers: vec![e164("+6531000002")],
            },
        ),
        (
            "a member holding an extension",
            Change::DeleteMember(m.id.clone()),
        ),
        (
            "add-ons of a missing extension",
            Change::SetAddons {
                key: key(1003),
                addons: addons(&[Code::TeamChat]),
            },
        ),
    ];
    for (why, change) in refused {
        let r = force(s, &org, vec![change]).await;
        assert!(is_constraint(r), "{why}: expected a constraint violation");
    }
    let mut tx = locked(s, &org).await;
    let dup = TokenRow {
        id: "tok_1".into(),
        org: org.clone(),
        member: m.id.clone(),
        hash: "h".into(),
        created_at: AT.into(),
        revoked: false,
    };
    tx.insert_token(&dup).await.expect("token");
    tx.commit().await.expect("commit");
    let mut tx = locked(s, &org).await;
    let same_hash = TokenRow {
        id: "tok_2".into(),
        ..dup
    };
    assert!(
        is_constraint(tx.insert_token(&same_hash).await),
        "token hashes are unique"
    );
    drop(tx);

    let after = snapshot(s, &org).await;
    assert_eq!(
        (after.members, after.extensions, after.numbers),
        (before.members, before.extensions, before.numbers)
    );
}

/// A bulk change (thousands of extensions with add-ons and numbers, numbers added to the
/// inventory, one audit entry per extension) commits in one transaction; backends must batch
/// it under their parameter limits.
pub async fn bulk_insert(b: &impl Backend) {
    const N: u32 = 12_000;
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "bulk", "owner@bulk.example").await;
    let numbers: Vec<String> = (0..N).map(|i| format!("+65310{i:05}")).collect();
    let exts: Vec<Extension> = (0..N)
        .map(|i| Extension {
            key: key(10_000 + i),
            member: None,
            addons: addons(&[Code::DeviceMobileApp, Code::LicenseNumber, Code::TeamChat]),
            numbers: vec![e164(&numbers[i as usize])],
        })
        .collect();
    let mut d = merge(
        numbers
            .iter()
            .map(|n| rules::add_number(e164(n), None).expect("number")),
    );
    for e in &exts {
        d.audit.push(seatline_domain::AuditRecord {
            action: "extension.provision",
            target: format!("extension:{}", e.key),
            before: json!(null),
            after: e.audit_json(),
        });
    }
    d.changes.push(Change::InsertExtensions(exts.clone()));
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("bulk commit");

    let seats = seats(s, &org).await;
    for code in [
        Code::PhoneSystem,
        Code::DeviceMobileApp,
        Code::LicenseNumber,
        Code::TeamChat,
    ] {
        assert_eq!(seats.get(code).in_use, N, "{code}");
    }
    let snap = snapshot(s, &org).await;
    assert_eq!(snap.extensions, exts);
    assert!(snap.numbers.iter().all(|n| n.extension.is_some()));
    assert_eq!(
        audit_of(s, &org, "extension.provision").await.len(),
        N as usize
    );
}

/// What each racer tries: a new extension, or `license_center` on its own extension.
#[derive(Clone, Copy)]
enum Contest {
    Provision,
    Addon,
}

const RACERS: u32 = 32;
const SEATS: i64 = 10;

/// 32 writers at once, spread over `pools` stores, against 10 seats: exactly 10 are granted,
/// the rest are refused with `seats_exhausted`, and the stored seats agree.
async fn race(b: &impl Backend, contest: Contest, pools: usize) {
    let stores: Vec<Arc<dyn Store>> = {
        let mut v = Vec::new();
        for _ in 0..pools {
            v.push(b.store().await);
        }
        v
    };
    let s = &*stores[0];
    let (org, _) = create_org(s, "race", "owner@race.example").await;
    let (code, action) = match contest {
        Contest::Provision => {
            set_quantity(s, &org, Code::PhoneSystem, SEATS).await;
            (Code::PhoneSystem, "extension.provision")
        }
        Contest::Addon => {
            set_quantity(s, &org, Code::PhoneSystem, RACERS.into()).await;
            set_quantity(s, &org, Code::LicenseCenter, SEATS).await;
            provision(s, &org, RACERS.into(), 3000)
                .await
                .expect("extensions to race on");
            (Code::LicenseCenter, "extension.addons")
        }
    };
    let start = Arc::new(Barrier::new(RACERS as usize));
    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = stores[i as usize % pools].clone();
            let (org, start) = (org.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let s = &*store;
                match contest {
                    Contest::Provision => provision(s, &org, 1, 2000 + i).await,
                    Contest::Addon => {
                        on_extension(s, &org, 3000 + i, |ext, seats| {
                            let mut more = ext.addons.clone();
                            more.add(Code::LicenseCenter, 1);
                            rules::set_addons(ext, more, seats)
                        })
                        .await
                    }
                }
            })
        })
        .collect();
    let mut granted = 0;
    for r in racers {
        match r.await.expect("racer panicked") {
            Ok(()) => granted += 1,
            Err(Failure::Rule(e)) if e.code == ErrorCode::SeatsExhausted => {}
            Err(Failure::Rule(e)) => panic!(
                "a racer was refused with {}: {}",
                e.code.as_str(),
                e.message
            ),
            Err(Failure::Store(e)) => panic!("a racer failed in the store: {e}"),
        }
    }
    assert_eq!(granted, SEATS, "granted writers");
    assert_eq!(
        seats(s, &org).await.get(code),
        seat(SEATS as u32, SEATS as u32)
    );
    assert_eq!(audit_of(s, &org, action).await.len(), SEATS as usize);
}

pub async fn race_provision(b: &impl Backend) {
    race(b, Contest::Provision, 1).await;
}

pub async fn race_provision_two_pools(b: &impl Backend) {
    race(b, Contest::Provision, 2).await;
}

pub async fn race_addons(b: &impl Backend) {
    race(b, Contest::Addon, 1).await;
}

pub async fn race_addons_two_pools(b: &impl Backend) {
    race(b, Contest::Addon, 2).await;
}

/// A member's session epoch starts at 0, is read with the member, and is bumped by ending
/// its sessions and by any password change, only for that member of that organization, and
/// only when the transaction commits.
pub async fn session_epochs(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "se", "owner@se.example").await;
    let (other, other_owner) = create_org(s, "se2", "owner@se2.example").await;
    let agent = add_member(s, &org, "mem_se_agent", "agent@se.example", Role::Member).await;
    let epoch = |org: OrgId, id: MemberId| async move {
        read(s)
            .await
            .session_member(&org, &id)
            .await
            .expect("session member")
            .map(|(m, e)| {
                assert_eq!(m.id, id);
                e
            })
    };
    assert_eq!(epoch(org.clone(), owner.id.clone()).await, Some(0));
    let (m, _) = read(s)
        .await
        .session_member(&org, &agent.id)
        .await
        .expect("session member")
        .expect("agent exists");
    assert_eq!(m, agent);
    assert_eq!(
        epoch(other.clone(), agent.id.clone()).await,
        None,
        "another org's member"
    );

    let mut tx = locked(s, &org).await;
    assert_eq!(
        tx.end_sessions(&org, &owner.id).await.expect("end"),
        Some(1)
    );
    assert_eq!(
        tx.end_sessions(&org, &owner.id).await.expect("end"),
        Some(2)
    );
    assert_eq!(
        tx.end_sessions(&org, &other_owner.id).await.expect("end"),
        None,
        "a member of another organization is not touched"
    );
    tx.commit().await.expect("commit");
    assert_eq!(epoch(org.clone(), owner.id.clone()).await, Some(2));
    assert_eq!(epoch(org.clone(), agent.id.clone()).await, Some(0));
    assert_eq!(epoch(other.clone(), other_owner.id.clone()).await, Some(0));

    let mut tx = locked(s, &org).await;
    tx.end_sessions(&org, &agent.id).await.expect("end");
    drop(tx);
    assert_eq!(
        epoch(org.clone(), agent.id.clone()).await,
        Some(0),
        "rolled back"
    );

    let mut tx = locked(s, &org).await;
    tx.set_password_hash(&org, &agent.id, Some("$argon2id$x"))
        .await
        .expect("set hash");
    tx.set_password_hash(&org, &owner.id, None)
        .await
        .expect("clear hash");
    tx.commit().await.expect("commit");
    assert_eq!(epoch(org.clone(), agent.id.clone()).await, Some(1));
    assert_eq!(epoch(org.clone(), owner.id.clone()).await, Some(3));
}

/// Subscription lifecycle (issue 12): a subscription's state, term, state time and price
/// round-trip exactly; the seats carry the state; a quantity change keeps the rest; the
/// scheduler's candidates are the orgs with a term over or a subscription in grace or
/// suspended; another organization's subscriptions are not seen.
pub async fn subscriptions_round_trip(b: &impl Backend) {
    use seatline_domain::lifecycle::{parse_term_end, Currency, Price};
    use seatline_domain::{SubState, Subscription};
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "lc", "owner@lc.example").await;
    let (other, _) = create_org(s, "lc2", "owner@lc2.example").await;
    let (quiet, _) = create_org(s, "lc3", "owner@lc3.example").await;
    assert!(read(s)
        .await
        .subscriptions(&org)
        .await
        .expect("subs")
        .is_empty());
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    set_quantity(s, &quiet, Code::PhoneSystem, 10).await;
    let center = Subscription {
        code: Code::LicenseCenter,
        quantity: 4,
        state: SubState::Suspended,
        term_end: Some(parse_term_end("2026-03-31").expect("date")),
        state_since: Some(
            chrono::DateTime::parse_from_rfc3339("2026-05-01T00:00:00.123Z")
                .expect("time")
                .with_timezone(&chrono::Utc),
        ),
        unit_price: Some("12.50".parse::<Price>().expect("price")),
        currency: Some("EUR".parse::<Currency>().expect("currency")),
    };
    force(s, &org, vec![Change::SetSubscription(center.clone())])
        .await
        .expect("set subscription");
    let subs = read(s).await.subscriptions(&org).await.expect("subs");
    assert_eq!(
        subs,
        [
            Subscription {
                quantity: 10,
                ..Subscription::none(Code::PhoneSystem)
            },
            center.clone()
        ]
    );
    let seats = seats(s, &org).await;
    assert_eq!(seats.get(Code::LicenseCenter).state, SubState::Suspended);
    assert_eq!(seats.get(Code::LicenseCenter).purchased, 4);
    assert_eq!(seats.get(Code::PhoneSystem).state, SubState::Active);
    // A plain quantity change leaves state, term and price alone.
    set_quantity(s, &org, Code::LicenseCenter, 6).await;
    let subs = read(s).await.subscriptions(&org).await.expect("subs");
    assert_eq!(
        subs[1],
        Subscription {
            quantity: 6,
            ..center.clone()
        }
    );
    assert!(read(s)
        .await
        .subscriptions(&other)
        .await
        .expect("subs")
        .is_empty());
    // Candidates: suspended (org), and an active one whose term ended before today (other).
    let ended = Subscription {
        code: Code::TeamChat,
        term_end: Some(parse_term_end("2026-06-09").expect("date")),
        ..Subscription::none(Code::TeamChat)
    };
    force(s, &other, vec![Change::SetSubscription(ended)])
        .await
        .expect("set subscription");
    assert_eq!(
        s.lifecycle_candidates("2026-06-09")
            .await
            .expect("candidates"),
        std::slice::from_ref(&org)
    );
    let mut both = vec![org.clone(), other.clone()];
    both.sort();
    assert_eq!(
        s.lifecycle_candidates("2026-06-10")
            .await
            .expect("candidates"),
        both
    );
}

// ---- SCIM (product.md §9) ----

/// SCIM tokens: found by hash whatever the organization, listed and revoked only in their own.
pub async fn scim_tokens_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "st", "owner@st.example").await;
    let (other, _) = create_org(s, "st2", "owner@st2.example").await;
    let token = |id: &str, org: &OrgId, at: &str| ScimTokenRow {
        id: id.to_owned(),
        org: org.clone(),
        name: format!("IdP {id}"),
        hash: format!("hash_{id}"),
        created_at: at.to_owned(),
        revoked: false,
    };
    let (a, b2, c) = (
        token("scim_a", &org, "2026-01-01T00:00:01.000Z"),
        token("scim_b", &org, "2026-01-01T00:00:02.000Z"),
        token("scim_c", &other, "2026-01-01T00:00:03.000Z"),
    );
    let mut tx = locked(s, &org).await;
    for t in [&b2, &a, &c] {
        tx.insert_scim_token(t).await.expect("insert token");
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        s.scim_token("hash_scim_a").await.expect("by hash"),
        Some(a.clone())
    );
    assert_eq!(
        s.scim_token("hash_scim_c").await.expect("by hash"),
        Some(c.clone())
    );
    assert_eq!(s.scim_token("nope").await.expect("by hash"), None);
    let listed = read(s).await.scim_tokens(&org).await.expect("list");
    assert_eq!(
        listed,
        vec![a.clone(), b2.clone()],
        "oldest first, own org only"
    );

    let mut tx = locked(s, &org).await;
    assert!(
        !tx.revoke_scim_token(&org, "scim_c").await.expect("revoke"),
        "another org's token"
    );
    assert!(tx.revoke_scim_token(&org, "scim_a").await.expect("revoke"));
    assert!(
        !tx.revoke_scim_token(&org, "scim_a").await.expect("revoke"),
        "already revoked"
    );
    tx.commit().await.expect("commit");
    assert!(
        s.scim_token("hash_scim_a")
            .await
            .expect("by hash")
            .expect("kept")
            .revoked
    );
    assert!(
        !s.scim_token("hash_scim_c")
            .await
            .expect("by hash")
            .expect("kept")
            .revoked
    );
    let mut tx = locked(s, &org).await;
    let dup = ScimTokenRow {
        hash: "hash_scim_b".into(),
        ..token("scim_d", &org, AT)
    };
    assert!(
        is_constraint(tx.insert_scim_token(&dup).await),
        "a hash is unique"
    );
}

/// A SCIM member query of up to 100 rows, shaped by `f`.
fn scim_q(f: impl FnOnce(&mut ScimQuery)) -> ScimQuery {
    let mut q = ScimQuery {
        limit: 100,
        ..ScimQuery::default()
    };
    f(&mut q);
    q
}

/// SCIM member queries: filters, creation order, paging and totals; `externalId` and the
/// member times the database keeps.
pub async fn scim_members_query_and_fields(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "sm", "owner@sm.example").await;
    let (other, _) = create_org(s, "sm2", "owner@sm2.example").await;
    let ann = add_member(s, &org, "mem_sm_ann", "ann@sm.example", Role::Member).await;
    let bob = add_member(s, &org, "mem_sm_bob", "bob@sm.example", Role::Admin).await;
    add_member(s, &other, "mem_sm_x", "ann@sm.example", Role::Member).await;
    let run = |q: ScimQuery| {
        let org = org.clone();
        async move {
            read(s)
                .await
                .scim_members(&org, &q)
                .await
                .expect("scim members")
        }
    };
    let (total, all) = run(scim_q(|_| {})).await;
    assert_eq!(total, 3);
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|m| (m.created_at.as_str(), m.member.id.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "creation order, then id");
    let mut ids: Vec<&str> = order.iter().map(|(_, id)| *id).collect();
    ids.sort();
    assert_eq!(ids, ["mem_sm_ann", "mem_sm_bob", "own_sm"]);
    assert!(all.iter().all(|m| m.external_id.is_none()));
    assert!(all
        .iter()
        .all(|m| m.created_at.len() == AT.len() && m.created_at.ends_with('Z')));
    assert!(all.iter().any(|m| m.member == ann));
    let (total, page) = run(ScimQuery {
        offset: 1,
        limit: 1,
        ..scim_q(|_| {})
    })
    .await;
    assert_eq!((total, page.len()), (3, 1));
    assert_eq!(page[0].member.id, all[1].member.id);
    let (total, none) = run(ScimQuery {
        limit: 0,
        ..scim_q(|_| {})
    })
    .await;
    assert_eq!(
        (total, none.len()),
        (3, 0),
        "count 0 answers the total only"
    );
    let (total, found) = run(scim_q(|q| {
        q.email = Some("bob@sm.example".parse().unwrap())
    }))
    .await;
    assert_eq!((total, found[0].member.id.as_str()), (1, "mem_sm_bob"));
    let (total, _) = run(scim_q(|q| q.status = Some(Status::Disabled))).await;
    assert_eq!(total, 0);

    // SetScimFields stores the externalId and the last-modified time; a rule's member update
    // moves the time too (the database keeps it).
    let before = all[1].updated_at.clone();
    let mut tx = locked(s, &org).await;
    tx.apply(
        &org,
        &[Change::SetScimFields {
            member: ann.id.clone(),
            external_id: Some("entra-ann".into()),
            given_name: Some("Ann".into()),
            family_name: Some("Entra".into()),
            modified_at: "2999-01-01T00:00:00.000Z".into(),
        }],
    )
    .await
    .expect("set scim fields");
    tx.commit().await.expect("commit");
    let (total, found) = run(scim_q(|q| q.external_id = Some("entra-ann".into()))).await;
    assert_eq!(total, 1);
    assert_eq!(found[0].member.id, ann.id);
    assert_eq!(found[0].external_id.as_deref(), Some("entra-ann"));
    assert_eq!(
        (
            found[0].given_name.as_deref(),
            found[0].family_name.as_deref()
        ),
        (Some("Ann"), Some("Entra")),
        "the SCIM name parts as written"
    );
    assert_eq!(
        found[0].updated_at, "2999-01-01T00:00:00.000Z",
        "the write's own time"
    );
    assert_ne!(found[0].updated_at, before);
    let (total, _) = run(scim_q(|q| {
        q.id = Some(MemberId("mem_sm_bob".into()));
        q.status = Some(Status::Active);
    }))
    .await;
    assert_eq!(total, 1);
    let long_ago = "2000-01-01T00:00:00.000Z";
    let mut tx = locked(s, &org).await;
    let d = rules::set_status(&bob, Status::Disabled).expect("disable");
    let mut changes = vec![Change::SetScimFields {
        member: bob.id.clone(),
        external_id: None,
        given_name: None,
        family_name: None,
        modified_at: long_ago.into(),
    }];
    changes.extend(d.changes);
    tx.apply(&org, &changes).await.expect("apply");
    tx.commit().await.expect("commit");
    let (_, found) = run(scim_q(|q| q.id = Some(MemberId("mem_sm_bob".into())))).await;
    assert_eq!(found[0].member.status, Status::Disabled);
    assert!(
        found[0].updated_at.as_str() > long_ago,
        "a rule's change of the member moves its last-modified time: {}",
        found[0].updated_at
    );
    let bob_created = all
        .iter()
        .find(|m| m.member.id == bob.id)
        .map(|m| m.created_at.clone());
    assert_eq!(
        Some(found[0].created_at.clone()),
        bob_created,
        "created_at never moves"
    );
    let (_, found) = run(scim_q(|q| q.external_id = Some("entra-ann".into()))).await;
    assert_eq!(found.len(), 1);
    let (total, _) = read(s)
        .await
        .scim_members(
            &other,
            &scim_q(|q| q.external_id = Some("entra-ann".into())),
        )
        .await
        .expect("other org");
    assert_eq!(total, 0, "another organization's members are not found");
    let (_, found) = run(scim_q(|q| q.id = Some(owner.id.clone()))).await;
    assert_eq!(found[0].member, owner);
}

// ---- the change feed (product.md §8) ----

/// An event as a use case would append it; the body says which seq and type it is.
fn new_event(seq: i64, kind: &str, at: &str, ext: Option<u32>) -> NewEvent {
    let subject = ext.map_or_else(|| "member:m".to_owned(), |k| format!("extension:{k}"));
    NewEvent {
        row: EventRow {
            seq,
            id: format!("evt_{seq}"),
            kind: kind.to_owned(),
            at: at.to_owned(),
            body: json!({"seq": seq, "type": kind, "subject": subject}).to_string(),
        },
        subject,
        extension: ext.map(key),
    }
}

/// Reserve seqs for `kinds` under the lock and append them; the first seq.
async fn append(
    store: &dyn Store,
    org: &OrgId,
    kinds: &[(&str, Option<u32>)],
    at: &str,
    commit: bool,
) -> i64 {
    let mut tx = locked(store, org).await;
    let first = tx
        .reserve_event_seqs(org, kinds.len() as u32)
        .await
        .expect("reserve");
    let events: Vec<NewEvent> = kinds
        .iter()
        .enumerate()
        .map(|(i, (kind, ext))| new_event(first + i as i64, kind, at, *ext))
        .collect();
    tx.append_events(org, &events).await.expect("append");
    if commit {
        tx.commit().await.expect("commit events");
    }
    first
}

async fn events_of(store: &dyn Store, org: &OrgId, q: EventQuery) -> Vec<i64> {
    read(store)
        .await
        .events(org, &q)
        .await
        .expect("events")
        .iter()
        .map(|e| e.seq)
        .collect()
}

async fn horizon(store: &dyn Store, org: &OrgId) -> EventHorizon {
    read(store).await.event_horizon(org).await.expect("horizon")
}

fn after(after: i64, types: &[&str]) -> EventQuery {
    EventQuery {
        after,
        limit: 1000,
        types: types.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// Versions told before the changes (`Tx::expect_versions`): an extension inserted meanwhile
/// carries its version, one that existed gets it from the events, and the org's counter ends
/// at the last seq, whether or not the backend writes versions with the rows.
pub async fn versions_expected_before_apply(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "ver", "owner@ver.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 5).await;
    provision(s, &org, 1, 1001).await.expect("provision");
    let mut tx = locked(s, &org).await;
    let first = tx.reserve_event_seqs(&org, 3).await.expect("reserve");
    assert_eq!(first, 1);
    tx.expect_versions(&[(key(1001), 2), (key(1002), 3)])
        .await
        .expect("expect");
    tx.apply(
        &org,
        &[Change::InsertExtensions(vec![Extension::new(key(1002))])],
    )
    .await
    .expect("insert");
    let events = [
        new_event(1, "member.updated", AT, None),
        new_event(2, "extension.entitlements_changed", AT, Some(1001)),
        new_event(3, "extension.provisioned", AT, Some(1002)),
    ];
    tx.append_events(&org, &events).await.expect("append");
    tx.commit().await.expect("commit");
    let versions = read(s)
        .await
        .extension_versions(&org, &[key(1001), key(1002)])
        .await
        .expect("versions");
    assert_eq!(versions, [(key(1001), 2), (key(1002), 3)]);
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 1, last: 3 });
    assert_eq!(
        append(s, &org, &[("member.updated", None)], AT, true).await,
        4
    );
}

pub async fn events_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "ev", "owner@ev.example").await;
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 1, last: 0 });
    set_quantity(s, &org, Code::PhoneSystem, 5).await;
    provision(s, &org, 2, 1001).await.expect("provision");
    let first = append(
        s,
        &org,
        &[
            ("extension.provisioned", Some(1001)),
            ("extension.provisioned", Some(1002)),
            ("member.created", None),
            ("extension.entitlements_changed", Some(1001)),
        ],
        AT,
        true,
    )
    .await;
    assert_eq!(first, 1, "the feed starts at 1");
    assert_eq!(events_of(s, &org, after(0, &[])).await, [1, 2, 3, 4]);
    assert_eq!(events_of(s, &org, after(2, &[])).await, [3, 4]);
    assert_eq!(events_of(s, &org, after(0, &["member.created"])).await, [3]);
    assert_eq!(
        events_of(s, &org, after(0, &["extension.*"])).await,
        [1, 2, 4]
    );
    assert_eq!(
        events_of(s, &org, after(1, &["extension.provisioned", "member.*"])).await,
        [2, 3]
    );
    assert!(events_of(s, &org, after(0, &["bulk.*"])).await.is_empty());
    let mut q = after(0, &[]);
    q.limit = 2;
    assert_eq!(events_of(s, &org, q).await, [1, 2]);
    let rows = read(s)
        .await
        .events(&org, &after(3, &[]))
        .await
        .expect("events");
    assert_eq!(
        rows,
        [EventRow {
            seq: 4,
            id: "evt_4".into(),
            kind: "extension.entitlements_changed".into(),
            at: AT.into(),
            body: json!({"seq": 4, "type": "extension.entitlements_changed", "subject": "extension:1001"}).to_string(),
        }]
    );
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 1, last: 4 });
    // The last event naming an extension sets its version; unknown keys are skipped.
    let versions = read(s)
        .await
        .extension_versions(&org, &[key(1001), key(1002), key(1003)])
        .await
        .expect("versions");
    assert_eq!(versions, [(key(1001), 4), (key(1002), 2)]);
    assert_eq!(
        append(s, &org, &[("member.updated", None)], AT, true).await,
        5
    );
}

pub async fn events_rollback_and_isolation(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "evr", "owner@evr.example").await;
    let (other, _) = create_org(s, "evo", "owner@evo.example").await;
    append(s, &org, &[("member.created", None)], AT, true).await;
    // A rolled-back transaction leaves neither its events nor its seqs behind.
    append(
        s,
        &org,
        &[("member.updated", None), ("member.disabled", None)],
        AT,
        false,
    )
    .await;
    assert_eq!(horizon(s, &org).await.last, 1);
    assert_eq!(
        append(s, &org, &[("member.enabled", None)], AT, true).await,
        2
    );
    assert_eq!(events_of(s, &org, after(0, &[])).await, [1, 2]);
    // Each organization has its own feed.
    assert!(events_of(s, &other, after(0, &[])).await.is_empty());
    assert_eq!(
        append(s, &other, &[("member.created", None)], AT, true).await,
        1
    );
    assert_eq!(events_of(s, &org, after(0, &[])).await, [1, 2]);
    assert_eq!(
        horizon(s, &OrgId("org_missing".into())).await,
        EventHorizon { oldest: 1, last: 0 }
    );
}

pub async fn events_prune_keeps_a_suffix(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "evp", "owner@evp.example").await;
    let (other, _) = create_org(s, "evq", "owner@evq.example").await;
    append(
        s,
        &org,
        &[("member.created", None); 3],
        "2026-01-01T00:00:00.000Z",
        true,
    )
    .await;
    append(
        s,
        &org,
        &[("member.updated", None)],
        "2026-01-03T00:00:00.000Z",
        true,
    )
    .await;
    // A clock behind the others stamped this later event earlier: still it is kept, the feed
    // is pruned as a prefix.
    append(
        s,
        &org,
        &[("member.updated", None)],
        "2026-01-01T00:00:00.000Z",
        true,
    )
    .await;
    append(
        s,
        &other,
        &[("member.created", None)],
        "2026-01-05T00:00:00.000Z",
        true,
    )
    .await;
    let pruned = s
        .events_prune("2026-01-02T00:00:00.000Z")
        .await
        .expect("prune");
    assert_eq!(pruned, 3);
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 4, last: 5 });
    assert_eq!(events_of(s, &org, after(0, &[])).await, [4, 5]);
    assert_eq!(
        s.events_prune("2026-02-01T00:00:00.000Z")
            .await
            .expect("prune"),
        3
    );
    // With everything pruned the horizon is just past the last seq.
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 6, last: 5 });
    assert_eq!(
        horizon(s, &other).await,
        EventHorizon { oldest: 2, last: 1 }
    );
    assert_eq!(
        append(s, &org, &[("member.updated", None)], AT, true).await,
        6
    );
}

/// 8 writers from two pools append 25 transactions of 1–3 events each: the feed holds every
/// seq from 1 once, in order, with nothing lost or doubled.
pub async fn events_gapless_two_pools(b: &impl Backend) {
    let stores = [b.store().await, b.store().await];
    let (org, _) = create_org(&*stores[0], "evg", "owner@evg.example").await;
    let start = Arc::new(Barrier::new(8));
    let writers: Vec<_> = (0..8usize)
        .map(|w| {
            let store = stores[w % 2].clone();
            let (org, start) = (org.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let mut n = 0;
                for i in 0..25usize {
                    let count = 1 + (w + i) % 3;
                    append(
                        &*store,
                        &org,
                        &vec![("member.updated", None); count],
                        AT,
                        true,
                    )
                    .await;
                    n += count;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for w in writers {
        total += w.await.expect("writer panicked");
    }
    let seqs = events_of(
        &*stores[1],
        &org,
        EventQuery {
            after: 0,
            limit: u32::MAX,
            types: vec![],
        },
    )
    .await;
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>());
    assert_eq!(horizon(&*stores[0], &org).await.last, total as i64);
}

pub async fn integration_tokens_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "it", "owner@it.example").await;
    let (other, _) = create_org(s, "io", "owner@io.example").await;
    let token = |id: &str, org: &OrgId, at: &str| IntegrationTokenRow {
        id: id.to_owned(),
        org: org.clone(),
        name: format!("PBX {id}"),
        hash: format!("hash_{id}"),
        created_at: at.to_owned(),
        revoked: false,
    };
    let (t1, t2) = (
        token("int_1", &org, "2026-01-01T00:00:00.000Z"),
        token("int_2", &org, "2026-01-02T00:00:00.000Z"),
    );
    let t3 = token("int_3", &other, AT);
    let mut tx = read(s).await;
    for t in [&t2, &t1, &t3] {
        tx.insert_integration_token(t).await.expect("insert");
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        read(s).await.integration_tokens(&org).await.expect("list"),
        [t1.clone(), t2.clone()]
    );
    assert_eq!(
        s.integration_token("hash_int_3").await.expect("get"),
        Some(t3)
    );
    assert_eq!(s.integration_token("hash_nope").await.expect("get"), None);
    let mut tx = read(s).await;
    assert!(
        !tx.revoke_integration_token(&other, "int_1")
            .await
            .expect("revoke"),
        "another org's token"
    );
    assert!(tx
        .revoke_integration_token(&org, "int_1")
        .await
        .expect("revoke"));
    tx.commit().await.expect("commit");
    let got = s
        .integration_token("hash_int_1")
        .await
        .expect("get")
        .expect("kept");
    assert!(got.revoked);
    let dup = token("int_4", &org, AT);
    let mut tx = read(s).await;
    assert!(is_constraint(
        tx.insert_integration_token(&IntegrationTokenRow {
            hash: t2.hash.clone(),
            ..dup
        })
        .await
    ));
}

// ---- webhooks: endpoints, deliveries, claims ----

fn webhook_row(org: &OrgId, id: &str, at: &str) -> crate::WebhookRow {
    crate::WebhookRow {
        id: id.to_owned(),
        org: org.clone(),
        url: "https://hooks.example/in".to_owned(),
        types: vec!["extension.*".to_owned()],
        description: "PBX".to_owned(),
        enabled: true,
        disabled_reason: None,
        secrets: vec![crate::WebhookSecret {
            secret: "whsec_a".to_owned(),
            expires_at: None,
        }],
        created_at: at.to_owned(),
        cursor: 0,
        failing_since: None,
    }
}

fn delivery_row(org: &OrgId, endpoint: &str, seq: i64, due: &str) -> crate::DeliveryRow {
    crate::DeliveryRow {
        id: 0,
        org: org.clone(),
        endpoint: endpoint.to_owned(),
        event_seq: seq,
        event_id: format!("evt_{seq}"),
        event_type: "extension.provisioned".to_owned(),
        body: format!(r#"{{"seq":{seq}}}"#),
        status: "pending".to_owned(),
        attempts: 0,
        next_attempt_at: due.to_owned(),
        last_status: None,
        last_error: None,
        last_duration_ms: None,
        created_at: AT.to_owned(),
        updated_at: AT.to_owned(),
    }
}

fn all_deliveries(status: Option<&str>) -> crate::DeliveryQuery {
    crate::DeliveryQuery {
        status: status.map(str::to_owned),
        before_id: None,
        limit: u32::MAX,
    }
}

const LATER: &str = "2026-01-01T00:10:00.000Z";

/// Endpoints round-trip, move their cursor only from where it is, and are invisible to other
/// organizations; deliveries list newest first by status and cursor and go with their endpoint.
pub async fn webhooks_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let (other, _) = create_org(s, "b", "owner@b.example").await;
    let w = webhook_row(&a, "whk_1", AT);
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&w).await.unwrap();
    tx.insert_webhook(&webhook_row(&a, "whk_2", LATER))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = read(s).await;
    assert_eq!(tx.webhook(&a, "whk_1").await.unwrap(), Some(w.clone()));
    let ids: Vec<String> = tx
        .webhooks(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(ids, ["whk_1", "whk_2"]);
    assert_eq!(tx.webhook(&other, "whk_1").await.unwrap(), None);
    assert!(tx.webhooks(&other).await.unwrap().is_empty());
    drop(tx);

    let mut changed = w.clone();
    changed.url = "https://hooks.example/v2".to_owned();
    changed.types = Vec::new();
    changed.enabled = false;
    changed.disabled_reason = Some("disabled by member:own_a".to_owned());
    changed.secrets.push(crate::WebhookSecret {
        secret: "whsec_b".to_owned(),
        expires_at: Some(LATER.to_owned()),
    });
    changed.failing_since = Some(AT.to_owned());
    changed.cursor = 99; // not stored by update_webhook
    let mut tx = locked(s, &a).await;
    assert!(tx.update_webhook(&changed).await.unwrap());
    let mut foreign = changed.clone();
    foreign.org = other.clone();
    assert!(!tx.update_webhook(&foreign).await.unwrap());
    assert!(tx.advance_webhook(&a, "whk_1", 0, 5).await.unwrap());
    assert!(
        !tx.advance_webhook(&a, "whk_1", 0, 6).await.unwrap(),
        "moved only from where it is"
    );
    assert!(!tx.advance_webhook(&other, "whk_1", 5, 6).await.unwrap());
    tx.commit().await.unwrap();
    let stored = read(s).await.webhook(&a, "whk_1").await.unwrap().unwrap();
    changed.cursor = 5;
    assert_eq!(stored, changed);

    let mut tx = locked(s, &a).await;
    let rows: Vec<_> = (1..=5)
        .map(|seq| delivery_row(&a, "whk_1", seq, AT))
        .collect();
    tx.insert_deliveries(&rows).await.unwrap();
    tx.insert_deliveries(&[delivery_row(&a, "whk_2", 1, AT)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = read(s).await;
    let got = tx
        .deliveries(&a, "whk_1", &all_deliveries(None))
        .await
        .unwrap();
    let seqs: Vec<i64> = got.iter().map(|d| d.event_seq).collect();
    assert_eq!(seqs, [5, 4, 3, 2, 1], "newest first");
    assert!(got.windows(2).all(|w| w[0].id > w[1].id));
    let first = &got[4];
    assert_eq!(
        (
            first.event_id.as_str(),
            first.body.as_str(),
            first.status.as_str(),
            first.attempts
        ),
        ("evt_1", r#"{"seq":1}"#, "pending", 0)
    );
    let page = tx
        .deliveries(
            &a,
            "whk_1",
            &crate::DeliveryQuery {
                status: None,
                before_id: Some(got[1].id),
                limit: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.iter().map(|d| d.event_seq).collect::<Vec<_>>(), [3, 2]);
    assert!(tx
        .deliveries(&a, "whk_1", &all_deliveries(Some("failed")))
        .await
        .unwrap()
        .is_empty());
    assert!(tx
        .deliveries(&other, "whk_1", &all_deliveries(None))
        .await
        .unwrap()
        .is_empty());
    drop(tx);

    let mut tx = locked(s, &a).await;
    assert!(!tx.delete_webhook(&other, "whk_1").await.unwrap());
    assert!(tx.delete_webhook(&a, "whk_1").await.unwrap());
    assert!(!tx.delete_webhook(&a, "whk_1").await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = read(s).await;
    assert!(tx
        .deliveries(&a, "whk_1", &all_deliveries(None))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        tx.deliveries(&a, "whk_2", &all_deliveries(None))
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Claims take due deliveries of enabled endpoints once, count the attempt, expire, and guard
/// the recording of an outcome; outcomes keep the endpoint's run of failures.
pub async fn delivery_claims(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut off = webhook_row(&a, "whk_off", AT);
    off.enabled = false;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_on", AT))
        .await
        .unwrap();
    tx.insert_webhook(&off).await.unwrap();
    tx.insert_deliveries(&[
        delivery_row(&a, "whk_on", 1, AT),
        delivery_row(&a, "whk_on", 2, LATER),
        delivery_row(&a, "whk_off", 1, AT),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let enabled: Vec<String> = s
        .enabled_webhooks()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(enabled, ["whk_on"]);

    let t1 = "2026-01-01T00:00:01.000Z";
    let until = "2026-01-01T00:00:21.000Z";
    let got = s
        .claim_deliveries(t1, "clm_1", until, 10, 64)
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "only what is due, of enabled endpoints");
    let d = &got[0];
    assert_eq!(
        (d.event_seq, d.status.as_str(), d.attempts),
        (1, "delivering", 1)
    );
    assert!(
        s.claim_deliveries(t1, "clm_2", until, 10, 64)
            .await
            .unwrap()
            .is_empty(),
        "claimed once"
    );

    // The claim expires: its process died. Another claimer takes it, and the first one's
    // outcome is no longer recorded.
    let t2 = "2026-01-01T00:00:22.000Z";
    let again = s
        .claim_deliveries(t2, "clm_3", "2026-01-01T00:00:42.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(),
        [(d.id, 2)]
    );
    let failed = crate::DeliveryOutcome {
        id: d.id,
        claim: "clm_1".to_owned(),
        status: "pending".to_owned(),
        next_attempt_at: "2026-01-01T00:00:27.000Z".to_owned(),
        last_status: Some(500),
        last_error: Some("the endpoint answered 500".to_owned()),
        last_duration_ms: 12,
        at: t2.to_owned(),
        succeeded: false,
    };
    assert_eq!(
        s.finish_deliveries(std::slice::from_ref(&failed))
            .await
            .unwrap(),
        [false]
    );
    let failed = crate::DeliveryOutcome {
        claim: "clm_3".to_owned(),
        ..failed
    };
    assert_eq!(
        s.finish_deliveries(std::slice::from_ref(&failed))
            .await
            .unwrap(),
        [true]
    );
    assert_eq!(
        s.finish_deliveries(std::slice::from_ref(&failed))
            .await
            .unwrap(),
        [false],
        "recorded once"
    );
    let mut tx = read(s).await;
    let stored = tx
        .deliveries(&a, "whk_on", &all_deliveries(Some("pending")))
        .await
        .unwrap();
    let row = stored.iter().find(|r| r.id == d.id).unwrap();
    assert_eq!(
        (
            row.attempts,
            row.last_status,
            row.last_error.as_deref(),
            row.last_duration_ms
        ),
        (2, Some(500), Some("the endpoint answered 500"), Some(12))
    );
    assert_eq!(row.next_attempt_at, "2026-01-01T00:00:27.000Z");
    let hook = tx.webhook(&a, "whk_on").await.unwrap().unwrap();
    assert_eq!(
        hook.failing_since.as_deref(),
        Some(t2),
        "a failure starts the run"
    );
    drop(tx);

    // The retry is due at its time; a later failure keeps the run's start, a success ends it.
    assert!(s
        .claim_deliveries("2026-01-01T00:00:26.999Z", "clm_4", until, 10, 64)
        .await
        .unwrap()
        .is_empty());
    let retry = s
        .claim_deliveries(LATER, "clm_5", "2026-01-01T00:10:20.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(
        retry.iter().map(|d| d.event_seq).collect::<Vec<_>>(),
        [1, 2],
        "oldest due first"
    );
    let at = "2026-01-01T00:10:01.000Z";
    let outcome = |id: i64, ok: bool| crate::DeliveryOutcome {
        id,
        claim: "clm_5".to_owned(),
        status: if ok { "succeeded" } else { "pending" }.to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(if ok { 200 } else { 503 }),
        last_error: None,
        last_duration_ms: 3,
        at: at.to_owned(),
        succeeded: ok,
    };
    assert_eq!(
        s.finish_deliveries(&[outcome(retry[1].id, false)])
            .await
            .unwrap(),
        [true]
    );
    let hook = read(s).await.webhook(&a, "whk_on").await.unwrap().unwrap();
    assert_eq!(hook.failing_since.as_deref(), Some(t2));
    assert_eq!(
        s.finish_deliveries(&[outcome(retry[0].id, true)])
            .await
            .unwrap(),
        [true]
    );
    let hook = read(s).await.webhook(&a, "whk_on").await.unwrap().unwrap();
    assert_eq!(hook.failing_since, None);
    let done = read(s)
        .await
        .deliveries(&a, "whk_on", &all_deliveries(Some("succeeded")))
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert!(
        s.claim_deliveries(
            "2030-01-01T00:00:00.000Z",
            "clm_6",
            "2030-01-01T00:00:20.000Z",
            10,
            64
        )
        .await
        .unwrap()
        .iter()
        .all(|d| d.id != retry[0].id),
        "a succeeded delivery is never claimed again"
    );
}

/// A round's outcomes are recorded together: each only under its own live claim, the
/// endpoint's run of failures following them in order.
pub async fn delivery_outcomes_in_one_batch(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_1", AT))
        .await
        .unwrap();
    tx.insert_deliveries(&[
        delivery_row(&a, "whk_1", 1, AT),
        delivery_row(&a, "whk_1", 2, AT),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(s.finish_deliveries(&[]).await.unwrap().is_empty());
    let t1 = "2026-01-01T00:00:01.000Z";
    let first = s
        .claim_deliveries(t1, "clm_a", "2026-01-01T00:00:21.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    // The first delivery's claim expires and another claimer takes it over.
    let t2 = "2026-01-01T00:00:22.000Z";
    let taken = s
        .claim_deliveries(t2, "clm_b", "2026-01-01T01:00:00.000Z", 1, 64)
        .await
        .unwrap();
    assert_eq!(
        taken.iter().map(|d| d.id).collect::<Vec<_>>(),
        [first[0].id]
    );
    let outcome = |id: i64, claim: &str, ok: bool, at: &str| crate::DeliveryOutcome {
        id,
        claim: claim.to_owned(),
        status: if ok { "succeeded" } else { "pending" }.to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(if ok { 200 } else { 503 }),
        last_error: None,
        last_duration_ms: 4,
        at: at.to_owned(),
        succeeded: ok,
    };
    let t3 = "2026-01-01T00:00:23.000Z";
    let recorded = s
        .finish_deliveries(&[
            outcome(first[0].id, "clm_a", false, t3),
            outcome(first[1].id, "clm_a", false, t3),
        ])
        .await
        .unwrap();
    assert_eq!(recorded, [false, true], "only under the claim still held");
    let hook = read(s).await.webhook(&a, "whk_1").await.unwrap().unwrap();
    assert_eq!(
        hook.failing_since.as_deref(),
        Some(t3),
        "a failure starts the run"
    );
    // A failure then a success in one batch: applied in order, the run ends.
    let t4 = "2026-01-01T00:00:24.000Z";
    let retry = s
        .claim_deliveries(LATER, "clm_c", "2026-01-01T00:20:00.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(
        retry.iter().map(|d| d.id).collect::<Vec<_>>(),
        [first[1].id]
    );
    assert_eq!(
        s.finish_deliveries(&[
            outcome(first[0].id, "clm_b", false, t4),
            outcome(first[1].id, "clm_c", true, t4),
        ])
        .await
        .unwrap(),
        [true, true]
    );
    let hook = read(s).await.webhook(&a, "whk_1").await.unwrap().unwrap();
    assert_eq!(hook.failing_since, None);
    let stored = read(s)
        .await
        .deliveries(&a, "whk_1", &all_deliveries(None))
        .await
        .unwrap();
    let status = |id: i64| {
        let r = stored.iter().find(|r| r.id == id).unwrap();
        (r.status.clone(), r.attempts, r.last_status)
    };
    assert_eq!(status(first[0].id), ("pending".to_owned(), 2, Some(503)));
    assert_eq!(status(first[1].id), ("succeeded".to_owned(), 2, Some(200)));
}

/// An endpoint gets at most `per_endpoint` deliveries under live claims: the rest of its
/// backlog stays pending, another endpoint's deliveries are claimed beside it, and a slot
/// freed by a recorded outcome is taken by the next of its backlog (issue 28).
pub async fn delivery_claims_leave_a_busy_endpoints_backlog(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    for id in ["whk_slow", "whk_fast"] {
        tx.insert_webhook(&webhook_row(&a, id, AT)).await.unwrap();
    }
    let mut rows: Vec<_> = (1..=5)
        .map(|seq| delivery_row(&a, "whk_slow", seq, AT))
        .collect();
    rows.push(delivery_row(&a, "whk_fast", 6, LATER));
    tx.insert_deliveries(&rows).await.unwrap();
    tx.commit().await.unwrap();
    let until = "2026-01-01T01:00:00.000Z";
    let seqs = |got: &[crate::DeliveryRow]| got.iter().map(|d| d.event_seq).collect::<Vec<_>>();

    let first = s
        .claim_deliveries(LATER, "clm_1", until, 10, 2)
        .await
        .unwrap();
    assert_eq!(
        seqs(&first),
        [1, 2, 6],
        "two of the slow endpoint's, and the other's"
    );
    assert!(
        s.claim_deliveries(LATER, "clm_2", until, 10, 2)
            .await
            .unwrap()
            .is_empty(),
        "a busy endpoint's backlog is not claimed"
    );
    let done = crate::DeliveryOutcome {
        id: first[0].id,
        claim: "clm_1".to_owned(),
        status: "succeeded".to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(200),
        last_error: None,
        last_duration_ms: 5_000,
        at: LATER.to_owned(),
        succeeded: true,
    };
    assert_eq!(s.finish_deliveries(&[done]).await.unwrap(), [true]);
    let next = s
        .claim_deliveries(LATER, "clm_3", until, 10, 2)
        .await
        .unwrap();
    assert_eq!(
        seqs(&next),
        [3],
        "a freed slot takes the next of the backlog"
    );
    // The overall limit still applies with slots to spare.
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_more", AT))
        .await
        .unwrap();
    tx.insert_deliveries(&[
        delivery_row(&a, "whk_more", 7, AT),
        delivery_row(&a, "whk_more", 8, AT),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let one = s
        .claim_deliveries(LATER, "clm_4", until, 1, 2)
        .await
        .unwrap();
    assert_eq!(seqs(&one), [7]);
}

/// A claim is tied to its holder's life (issue 26): while the holding process lives, its
/// idempotency claim and its delivery claim are respected however fresh or long-leased; once
/// it is gone (its store dropped, standing for a killed process) another process takes both
/// over within a second, long before their leases end, and the dead holder's late outcome is
/// not recorded.
pub async fn claims_of_a_gone_process_are_taken_over_at_once(b: &impl Backend) {
    let killed = b.store().await;
    let restarted = b.store().await;
    let s = &*restarted;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_1", AT))
        .await
        .unwrap();
    tx.insert_deliveries(&[delivery_row(&a, "whk_1", 1, AT)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let long_ago = "2000-01-01T00:00:00.000Z";
    let lease_end = "2026-01-01T01:00:00.000Z";
    assert!(killed
        .idempotency_claim("org_a", "k1", "sha_1", AT, long_ago)
        .await
        .unwrap());
    let held = killed
        .claim_deliveries(AT, "clm_killed", lease_end, 10, 64)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);

    // A live holder's claims are respected.
    assert!(!s
        .idempotency_claim("org_a", "k1", "sha_1", LATER, long_ago)
        .await
        .unwrap());
    assert!(s
        .claim_deliveries(LATER, "clm_live", lease_end, 10, 64)
        .await
        .unwrap()
        .is_empty());

    drop(held);
    drop(killed);
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(1);
    // Polled: on PostgreSQL the server ends the dropped session a moment after it closes.
    while !s
        .idempotency_claim("org_a", "k1", "sha_1", LATER, long_ago)
        .await
        .unwrap()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the idempotency claim of a gone process was not taken over within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let taken = s
        .claim_deliveries(LATER, "clm_restarted", lease_end, 10, 64)
        .await
        .unwrap();
    assert_eq!(
        taken
            .iter()
            .map(|d| (d.event_seq, d.attempts))
            .collect::<Vec<_>>(),
        [(1, 2)],
        "the delivery claim of a gone process is taken over at once"
    );
    let late = crate::DeliveryOutcome {
        id: taken[0].id,
        claim: "clm_killed".to_owned(),
        status: "succeeded".to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(200),
        last_error: None,
        last_duration_ms: 1,
        at: LATER.to_owned(),
        succeeded: true,
    };
    assert_eq!(s.finish_deliveries(&[late]).await.unwrap(), [false]);
}

/// 8 claimers on two connection pools drain 60 due deliveries: each is claimed exactly once.
pub async fn delivery_claim_race_two_pools(b: &impl Backend) {
    let stores = [b.store().await, b.store().await];
    let s = &*stores[0];
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_1", AT))
        .await
        .unwrap();
    let rows: Vec<_> = (1..=60)
        .map(|seq| delivery_row(&a, "whk_1", seq, AT))
        .collect();
    tx.insert_deliveries(&rows).await.unwrap();
    tx.commit().await.unwrap();
    let start = Arc::new(Barrier::new(8));
    let claimers = (0..8).map(|i| {
        let s = stores[i % 2].clone();
        let start = start.clone();
        tokio::spawn(async move {
            start.wait().await;
            let mut mine = Vec::new();
            loop {
                let got = s
                    .claim_deliveries(
                        LATER,
                        &format!("clm_{i}"),
                        "2026-01-01T01:00:00.000Z",
                        3,
                        64,
                    )
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|d| d.id));
            }
        })
    });
    let mut all = Vec::new();
    for c in claimers.collect::<Vec<_>>() {
        all.extend(c.await.unwrap());
    }
    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(
        (all.len(), unique.len()),
        (60, 60),
        "every delivery claimed exactly once"
    );
}

/// A password reset link is found by its hash from any organization with its member, is
/// replaced by a newer link of the same member, is used up by taking it (only in its own
/// organization, only once, only when the transaction commits), and goes with its member.
pub async fn password_resets(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "pr", "owner@pr.example").await;
    let (other, _) = create_org(s, "pr2", "owner@pr2.example").await;
    let agent = add_member(s, &org, "mem_pr_agent", "agent@pr.example", Role::Member).await;
    let later = "2026-01-02T00:00:00.000Z";

    let mut tx = locked(s, &org).await;
    tx.insert_password_reset(&org, &agent.id, "hash-1", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(
        s.password_reset("hash-1").await.expect("read"),
        Some(PasswordReset {
            org: org.clone(),
            member: agent.clone(),
            created_at: AT.to_owned(),
            expires_at: later.to_owned(),
        })
    );
    assert_eq!(s.password_reset("no-such").await.expect("read"), None);

    // A newer link replaces the older one.
    let mut tx = locked(s, &org).await;
    tx.insert_password_reset(&org, &agent.id, "hash-2", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(s.password_reset("hash-1").await.expect("read"), None);
    assert!(s.password_reset("hash-2").await.expect("read").is_some());

    // Another organization cannot take it; a rolled-back take leaves it; a take uses it up.
    let mut tx = locked(s, &other).await;
    assert_eq!(
        tx.take_password_reset(&other, "hash-2")
            .await
            .expect("take"),
        None
    );
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert!(tx
        .take_password_reset(&org, "hash-2")
        .await
        .expect("take")
        .is_some());
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert_eq!(
        tx.take_password_reset(&org, "hash-2").await.expect("take"),
        Some((agent.id.clone(), later.to_owned()))
    );
    assert_eq!(
        tx.take_password_reset(&org, "hash-2").await.expect("take"),
        None,
        "used once"
    );
    tx.commit().await.expect("commit");
    assert_eq!(s.password_reset("hash-2").await.expect("read"), None);

    // Deleting the member deletes its link.
    let mut tx = locked(s, &org).await;
    tx.insert_password_reset(&org, &agent.id, "hash-3", AT, later)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    force(s, &org, vec![Change::DeleteMember(agent.id.clone())])
        .await
        .expect("delete member");
    assert_eq!(s.password_reset("hash-3").await.expect("read"), None);
}

// ---- the one-statement entitlement read (issue 15) ----

/// The entitlement read answers, by id and by email, exactly what the transaction's reads
/// answer (member, its extension with add-ons and sorted numbers, the subscriptions), and
/// nothing of another organization.
pub async fn entitlement_sources_in_one_read(b: &impl Backend) {
    use seatline_domain::lifecycle::{Currency, Price};
    use seatline_domain::{SubState, Subscription};
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "ent", "owner@ent.example").await;
    let (other, _) = create_org(s, "ent2", "owner@ent2.example").await;
    use Code::*;
    for (code, q) in [
        (PhoneSystem, 3),
        (LicenseCenter, 2),
        (LicenseNumber, 2),
        (DeviceIpPhone, 1),
        // Held by nobody: no member's entitlements depend on it.
        (TeamChat, 4),
    ] {
        set_quantity(s, &org, code, q).await;
    }
    set_quantity(s, &other, PhoneSystem, 5).await;
    let center = Subscription {
        code: LicenseCenter,
        quantity: 2,
        state: SubState::Suspended,
        term_end: None,
        state_since: Some(
            chrono::DateTime::parse_from_rfc3339("2026-05-01T00:00:00.123Z")
                .expect("time")
                .with_timezone(&chrono::Utc),
        ),
        unit_price: Some("12.50".parse::<Price>().expect("price")),
        currency: Some("EUR".parse::<Currency>().expect("currency")),
    };
    add_numbers(s, &org, &["+6532000002", "+6532000001"]).await;
    let agent = add_member(s, &org, "mem_ent", "agent@ent.example", Role::Member).await;
    let idle = add_member(s, &org, "mem_idle", "idle@ent.example", Role::Member).await;
    provision(s, &org, 1, 2001).await.expect("provision");
    assign(s, &org, 2001, &agent).await.expect("assign");
    set_addons(
        s,
        &org,
        2001,
        &[LicenseCenter, LicenseNumber, LicenseNumber, DeviceIpPhone],
    )
    .await
    .expect("addons");
    set_numbers(s, &org, 2001, &["+6532000002", "+6532000001"])
        .await
        .expect("numbers");
    // Suspended after the copies were taken: the read carries the state that makes them
    // not effective.
    force(s, &org, vec![Change::SetSubscription(center)])
        .await
        .expect("set subscription");

    // What the transaction's reads say, member by member: the subscriptions of the codes
    // the member's extension holds, none without one.
    for m in [agent.clone(), idle.clone(), owner.clone()] {
        let mut tx = read(s).await;
        let extension = tx.extension_of(&org, &m.id).await.expect("extension");
        let mut subscriptions = tx.subscriptions(&org).await.expect("subscriptions");
        subscriptions.retain(|sub| {
            extension.as_ref().is_some_and(|e| {
                sub.code == PhoneSystem || e.addons.iter().any(|(c, _)| c == sub.code)
            })
        });
        let want = EntitlementSources {
            extension,
            subscriptions,
            member: m.clone(),
        };
        drop(tx);
        let by_id = s
            .entitlement_sources(&org, &MemberRef::Id(m.id.clone()))
            .await
            .expect("by id");
        assert_eq!(by_id.as_ref(), Some(&want), "by id: {}", m.id.as_str());
        let by_email = s
            .entitlement_sources(&org, &MemberRef::Email(m.email.clone()))
            .await
            .expect("by email");
        assert_eq!(by_email, Some(want), "by email: {}", m.email.as_str());
    }
    let got = s
        .entitlement_sources(&org, &MemberRef::Id(agent.id.clone()))
        .await
        .expect("agent")
        .expect("agent exists");
    let ext = got.extension.expect("agent holds 2001");
    assert_eq!(ext.key, key(2001));
    assert_eq!(ext.numbers, [e164("+6532000001"), e164("+6532000002")]);
    assert_eq!(
        ext.addons,
        addons(&[LicenseCenter, LicenseNumber, LicenseNumber, DeviceIpPhone])
    );
    // Five subscriptions, four of them the extension's codes.
    let codes: Vec<Code> = got.subscriptions.iter().map(|sub| sub.code).collect();
    assert_eq!(
        codes.len(),
        4,
        "the extension's subscriptions only: {codes:?}"
    );
    assert!(!codes.contains(&TeamChat), "{codes:?}");
    // Unknown members are not there, nor members asked for in another organization.
    let unknown = [
        (&org, MemberRef::Id(MemberId("mem_nobody".into()))),
        (&org, MemberRef::Email(email("nobody@ent.example"))),
        (&other, MemberRef::Id(agent.id.clone())),
        (&other, MemberRef::Email(agent.email.clone())),
    ];
    for (o, r) in unknown {
        let got = s.entitlement_sources(o, &r).await.expect("read");
        assert_eq!(got, None, "{r:?} in {}", o.as_str());
    }
}

/// The PBX's read with its authentication: the same answer as the token's lookup followed
/// by [`Store::entitlement_sources`], however the backend reads them.
pub async fn token_entitlements_read_together(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "tk", "owner@tk.example").await;
    let (other, stranger) = create_org(s, "tk2", "owner@tk2.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 2).await;
    let agent = add_member(s, &org, "mem_tk", "agent@tk.example", Role::Member).await;
    provision(s, &org, 1, 3001).await.expect("provision");
    assign(s, &org, 3001, &agent).await.expect("assign");
    let token = |id: &str, org: &OrgId, m: &Member, revoked| TokenRow {
        id: id.to_owned(),
        org: org.clone(),
        member: m.id.clone(),
        hash: format!("hash_{id}"),
        created_at: AT.to_owned(),
        revoked,
    };
    let integration = |id: &str, org: &OrgId, revoked| IntegrationTokenRow {
        id: id.to_owned(),
        org: org.clone(),
        name: format!("PBX {id}"),
        hash: format!("hash_{id}"),
        created_at: AT.to_owned(),
        revoked,
    };
    let mut tx = read(s).await;
    tx.insert_token(&token("tok_own", &org, &owner, false))
        .await
        .expect("token");
    tx.insert_token(&token("tok_off", &org, &agent, true))
        .await
        .expect("token");
    tx.insert_token(&token("tok_far", &other, &stranger, false))
        .await
        .expect("token");
    tx.insert_integration_token(&integration("int_pbx", &org, false))
        .await
        .expect("integration token");
    tx.insert_integration_token(&integration("int_old", &org, true))
        .await
        .expect("integration token");
    tx.commit().await.expect("commit");

    let asked = [
        MemberRef::Id(agent.id.clone()),
        MemberRef::Email(agent.email.clone()),
        MemberRef::Id(owner.id.clone()),
        MemberRef::Id(MemberId("mem_nobody".into())),
        MemberRef::Email(email("nobody@tk.example")),
    ];
    let hashes = [
        ("hash_tok_own", false),
        ("hash_tok_off", false),
        ("hash_tok_far", false),
        ("hash_int_pbx", true),
        ("hash_int_old", true),
        ("hash_nope", false),
        ("hash_nope", true),
        // A hash looked up in the other kind's table is unknown.
        ("hash_int_pbx", false),
        ("hash_tok_own", true),
    ];
    let mut seen_sources = 0;
    for (hash, is_integration) in hashes {
        let holder = if is_integration {
            s.integration_token(hash)
                .await
                .expect("integration token")
                .map(TokenHolder::Integration)
        } else {
            s.token_holder(hash)
                .await
                .expect("token")
                .map(|(row, m)| TokenHolder::Member(row, m))
        };
        for (o, r) in [&org, &other]
            .into_iter()
            .flat_map(|o| asked.iter().map(move |r| (o, r)))
        {
            let sources = match &holder {
                Some(h) if h.org() == o => s.entitlement_sources(o, r).await.expect("sources"),
                _ => None,
            };
            seen_sources += usize::from(sources.is_some());
            let want = TokenEntitlements {
                holder: holder.clone(),
                sources,
            };
            let got = s
                .token_entitlements(hash, is_integration, o, r)
                .await
                .expect("read");
            assert_eq!(
                got,
                want,
                "{hash} (integration: {is_integration}) asking {r:?} in {}",
                o.as_str()
            );
        }
    }
    // The member's sources came back for its organization's four tokens, by id and email,
    // and the owner's: the comparison above is not of empty reads only.
    assert_eq!(seen_sources, 4 * 3);
}

// ---- teams (product.md §12) ----

fn team_id(s: &str) -> TeamId {
    TeamId(s.to_owned())
}

async fn teams_of(store: &dyn Store, org: &OrgId) -> Vec<seatline_domain::Team> {
    read(store).await.teams(org).await.expect("teams")
}

async fn create_team(store: &dyn Store, org: &OrgId, id: &str, name: &str) {
    let mut tx = locked(store, org).await;
    let existing = tx.teams(org).await.expect("teams");
    let d = seatline_domain::teams::create_team(&existing, team_id(id), name).expect("team");
    commit(tx, org, d).await.expect("commit team");
}

async fn set_team_members(store: &dyn Store, org: &OrgId, id: &str, members: &[&Member]) {
    let mut tx = locked(store, org).await;
    let teams = tx.teams(org).await.expect("teams");
    let team = teams.iter().find(|t| t.id.as_str() == id).expect("team");
    let ids: Vec<MemberId> = members.iter().map(|m| m.id.clone()).collect();
    let d = seatline_domain::teams::set_team_members(team, ids);
    commit(tx, org, d).await.expect("commit members");
}

async fn set_scope(store: &dyn Store, org: &OrgId, m: &Member, scope: Option<&[&str]>) {
    let mut tx = locked(store, org).await;
    let teams = tx.teams(org).await.expect("teams");
    let current = tx.admin_scope(org, &m.id).await.expect("scope");
    let d = seatline_domain::teams::set_scope(
        m,
        current.as_deref(),
        scope.map(|s| s.iter().map(|t| team_id(t)).collect()),
        &teams,
    )
    .expect("scope");
    commit(tx, org, d).await.expect("commit scope");
}

pub async fn teams_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "teams", "owner@teams.test").await;
    let (other, _) = create_org(s, "teams2", "owner@teams2.test").await;
    let m1 = add_member(s, &org, "m1", "m1@teams.test", Role::Member).await;
    let m2 = add_member(s, &org, "m2", "m2@teams.test", Role::Member).await;
    assert!(teams_of(s, &org).await.is_empty());
    create_team(s, &org, "t_b", "beta").await;
    create_team(s, &org, "t_a", "Alpha").await;
    create_team(s, &other, "t_x", "Other org").await;
    // Ordered by name ignoring case, whatever the ids.
    let names: Vec<String> = teams_of(s, &org)
        .await
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Alpha", "beta"]);
    set_team_members(s, &org, "t_a", &[&m2, &m1]).await;
    set_team_members(s, &org, "t_b", &[&m1]).await;
    let teams = teams_of(s, &org).await;
    assert_eq!(teams[0].members, [m1.id.clone(), m2.id.clone()]);
    // The database keeps each team's times, in the stored time format.
    for t in &teams {
        assert_eq!(t.created_at.len(), AT.len(), "{t:?}");
        assert!(t.updated_at >= t.created_at, "{t:?}");
    }
    assert_eq!(teams[1].members, std::slice::from_ref(&m1.id));
    assert_eq!(teams_of(s, &other).await.len(), 1, "one org's teams only");
    // Rename and disable.
    let d = seatline_domain::teams::update_team(&teams, &teams[1], Some("Gamma"), Some(false))
        .expect("update");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("update");
    let t = teams_of(s, &org).await;
    assert_eq!((t[1].name.as_str(), t[1].enabled), ("Gamma", false));
    assert_eq!(
        t[1].members,
        std::slice::from_ref(&m1.id),
        "an update keeps the members"
    );
    // The schema refuses a second team of the same name, in any ASCII case.
    let clash = seatline_domain::Team {
        id: team_id("t_c"),
        name: "ALPHA".into(),
        enabled: true,
        members: vec![],
        created_at: String::new(),
        updated_at: String::new(),
    };
    assert!(is_constraint(
        force(s, &org, vec![Change::InsertTeam(clash)]).await
    ));
    // A member of another organization cannot join.
    let stranger = force(
        s,
        &other,
        vec![Change::SetTeamMembers {
            team: team_id("t_x"),
            members: vec![m1.id.clone()],
        }],
    )
    .await;
    assert!(
        matches!(stranger, Err(StoreError::Constraint(_))),
        "{stranger:?}"
    );
    // Deleting a member drops its memberships; deleting a team keeps its members.
    let d = rules::set_status(&m2, Status::Disabled).expect("disable");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("disable");
    let disabled = Member {
        status: Status::Disabled,
        ..m2.clone()
    };
    let d = rules::delete_member(&disabled, None).expect("delete");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("delete");
    assert_eq!(
        teams_of(s, &org).await[0].members,
        std::slice::from_ref(&m1.id)
    );
    let t = teams_of(s, &org).await;
    let d = seatline_domain::teams::delete_team(&t[0]);
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("delete team");
    let t = teams_of(s, &org).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].id, team_id("t_b"));
    assert!(read(s)
        .await
        .member(&org, &m1.id)
        .await
        .expect("m1")
        .is_some());
    assert_eq!(audit_of(s, &org, "team.create").await.len(), 2);
}

pub async fn team_scopes(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "scopes", "owner@scopes.test").await;
    let admin = add_member(s, &org, "adm", "adm@scopes.test", Role::Admin).await;
    let a1 = add_member(s, &org, "a1", "a1@scopes.test", Role::Member).await;
    let a2 = add_member(s, &org, "a2", "a2@scopes.test", Role::Member).await;
    let b1 = add_member(s, &org, "b1", "b1@scopes.test", Role::Member).await;
    let c1 = add_member(s, &org, "c1", "c1@scopes.test", Role::Member).await;
    create_team(s, &org, "ta", "A").await;
    create_team(s, &org, "tb", "B").await;
    create_team(s, &org, "tc", "C").await;
    set_team_members(s, &org, "ta", &[&a1, &a2]).await;
    set_team_members(s, &org, "tb", &[&b1, &a1]).await;
    set_team_members(s, &org, "tc", &[&c1]).await;

    let scope = || {
        let (org, id) = (org.clone(), admin.id.clone());
        let store = store.clone();
        async move {
            read(&*store)
                .await
                .admin_scope(&org, &id)
                .await
                .expect("scope")
        }
    };
    assert_eq!(scope().await, None, "the whole organization by default");
    set_scope(s, &org, &admin, Some(&["tb", "ta"])).await;
    assert_eq!(scope().await, Some(vec![team_id("ta"), team_id("tb")]));

    let members_in = |teams: Vec<TeamId>, after: Option<&'static str>, limit: u32| {
        let org = org.clone();
        async move {
            read(s)
                .await
                .members_in_teams(&org, &teams, after, limit)
                .await
                .expect("members in teams")
                .into_iter()
                .map(|m| m.id.0)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        members_in(vec![team_id("ta"), team_id("tb")], None, 100).await,
        ["a1", "a2", "b1"],
        "each member once, by email"
    );
    assert_eq!(
        members_in(
            vec![team_id("ta"), team_id("tb")],
            Some("a1@scopes.test"),
            1
        )
        .await,
        ["a2"]
    );
    assert!(members_in(vec![], None, 100).await.is_empty());

    // Extensions in reach: unassigned, or held by a member of an enabled team of the scope.
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    provision(s, &org, 5, 1000).await.expect("provision");
    assign(s, &org, 1000, &a1).await.expect("assign");
    assign(s, &org, 1001, &b1).await.expect("assign");
    assign(s, &org, 1002, &c1).await.expect("assign");
    let exts = |teams: Option<Vec<TeamId>>| {
        let org = org.clone();
        async move {
            let q = ExtensionQuery {
                teams,
                limit: 100,
                ..ExtensionQuery::default()
            };
            keys(
                &read(s)
                    .await
                    .extensions(&org, &q)
                    .await
                    .expect("extensions"),
            )
        }
    };
    assert_eq!(exts(None).await, [1000, 1001, 1002, 1003, 1004]);
    assert_eq!(
        exts(Some(vec![team_id("ta"), team_id("tb")])).await,
        [1000, 1001, 1003, 1004]
    );
    assert_eq!(exts(Some(vec![team_id("ta")])).await, [1000, 1003, 1004]);
    assert_eq!(exts(Some(vec![])).await, [1003, 1004]);
    // A disabled team reaches no one.
    let t = teams_of(s, &org).await;
    let tb = t.iter().find(|t| t.id.as_str() == "tb").expect("tb");
    let d = seatline_domain::teams::update_team(&t, tb, None, Some(false)).expect("disable");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("disable");
    assert_eq!(
        exts(Some(vec![team_id("tb")])).await,
        [1003, 1004],
        "disabled team"
    );
    assert!(members_in(vec![team_id("tb")], None, 100).await.is_empty());

    // Deleting a team narrows a scope; it never widens it to the whole organization.
    let t = teams_of(s, &org).await;
    for id in ["ta", "tb"] {
        let team = t.iter().find(|t| t.id.as_str() == id).expect("team");
        let d = seatline_domain::teams::delete_team(team);
        commit(locked(s, &org).await, &org, d)
            .await
            .expect("delete");
    }
    assert_eq!(scope().await, Some(vec![]));
    set_scope(s, &org, &admin, None).await;
    assert_eq!(scope().await, None);
    assert_eq!(audit_of(s, &org, "member.scope").await.len(), 2);
}
