//! The property: after every step of a random sequence, what the store answers (licenses,
//! extensions with their effective flags, each member's entitlements and Contact Center
//! readiness) equals what a small model of §10 predicts, every refusal is the one the model
//! predicts, and §10's invariants hold: nothing is effective while its subscription (or the
//! Phone System) is suspended or terminated, nothing new is assignable outside `active` or
//! while over-allocated, no seat is counted twice, and no state change, quantity change or
//! tick ever removes anything.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use seatline_app::{App, AppResult, Ctx};
use seatline_domain::lifecycle::{stamp, SubscriptionUpdate, REACTIVATION_DAYS};
use seatline_domain::permissions::Actor;
use seatline_domain::{
    Code, Effective, ErrorCode, MemberId, OrgId, Reason, Role, Status, SubState,
};
use seatline_store::ExtensionQuery;

use crate::support::World;

/// The codes in play: the extension itself, a device that repeats, a device and Contact
/// Center at most once per extension, so readiness and every refusal are reachable.
const CODES: [Code; 4] = [
    Code::PhoneSystem,
    Code::DeviceMobileApp,
    Code::DeviceWebRtc,
    Code::LicenseCenter,
];
const ADDONS: [Code; 3] = [
    Code::DeviceMobileApp,
    Code::DeviceWebRtc,
    Code::LicenseCenter,
];
const MEMBERS: usize = 3;

/// A term end sent with a state change or a renewal, in days from the fake clock's date.
#[derive(Debug, Clone)]
enum Term {
    NotSent,
    Clear,
    Days(i64),
}

#[derive(Debug, Clone)]
enum Advance {
    Hours(i64),
    Days(i64),
    /// To the instant the next time-driven transition of a code falls due, ± 1 ms.
    ToDue {
        code: usize,
        ms: i64,
    },
}

#[derive(Debug, Clone)]
enum Op {
    Quantity {
        code: usize,
        quantity: u32,
        allow: bool,
    },
    State {
        code: usize,
        to: SubState,
        term: Term,
    },
    Renew {
        code: usize,
        term: Term,
    },
    TermEnd {
        code: usize,
        days: Option<i64>,
    },
    /// The scheduler runs at the new time.
    Tick(Advance),
    /// Time passes before the scheduler runs: billing may act on a transition not yet made.
    Wait(Advance),
    Provision,
    AddAddon {
        ext: usize,
        code: usize,
    },
    RemoveAddon {
        ext: usize,
        code: usize,
    },
    Assign {
        ext: usize,
        member: usize,
    },
    Unassign {
        ext: usize,
    },
    Deprovision {
        ext: usize,
    },
    SetStatus {
        member: usize,
        disabled: bool,
    },
}

impl Op {
    /// Operations of billing and of the clock: §10 says they never remove anything.
    fn is_lifecycle(&self) -> bool {
        matches!(
            self,
            Op::Quantity { .. }
                | Op::State { .. }
                | Op::Renew { .. }
                | Op::TermEnd { .. }
                | Op::Tick(_)
                | Op::Wait(_)
        )
    }
}

fn term() -> impl Strategy<Value = Term> {
    prop_oneof![
        2 => Just(Term::NotSent),
        1 => Just(Term::Clear),
        3 => (-3i64..45).prop_map(Term::Days),
    ]
}

fn advance(code: std::ops::Range<usize>) -> impl Strategy<Value = Advance> {
    prop_oneof![
        1 => (0i64..72).prop_map(Advance::Hours),
        1 => (1i64..100).prop_map(Advance::Days),
        2 => (code, -1i64..=1).prop_map(|(code, ms)| Advance::ToDue { code, ms }),
    ]
}

fn state() -> impl Strategy<Value = SubState> {
    prop::sample::select(SubState::ALL.to_vec())
}

fn op() -> impl Strategy<Value = Op> {
    let code = 0..CODES.len();
    let addon = 0..ADDONS.len();
    prop_oneof![
        3 => (code.clone(), 0u32..5, prop::bool::weighted(0.7))
            .prop_map(|(code, quantity, allow)| Op::Quantity { code, quantity, allow }),
        3 => (code.clone(), state(), term()).prop_map(|(code, to, term)| Op::State { code, to, term }),
        1 => (code.clone(), term()).prop_map(|(code, term)| Op::Renew { code, term }),
        1 => (code.clone(), prop::option::of(-3i64..45))
            .prop_map(|(code, days)| Op::TermEnd { code, days }),
        4 => advance(code.clone()).prop_map(Op::Tick),
        1 => advance(code).prop_map(Op::Wait),
        3 => Just(Op::Provision),
        4 => (0usize..4, addon.clone()).prop_map(|(ext, code)| Op::AddAddon { ext, code }),
        1 => (0usize..4, addon).prop_map(|(ext, code)| Op::RemoveAddon { ext, code }),
        2 => (0usize..4, 0..MEMBERS).prop_map(|(ext, member)| Op::Assign { ext, member }),
        1 => (0usize..4).prop_map(|ext| Op::Unassign { ext }),
        1 => (0usize..4).prop_map(|ext| Op::Deprovision { ext }),
        1 => (0..MEMBERS, any::<bool>()).prop_map(|(member, disabled)| Op::SetStatus { member, disabled }),
    ]
}

// ---- the model ----

#[derive(Debug, Clone, PartialEq)]
struct Sub {
    quantity: u32,
    state: SubState,
    term_end: Option<NaiveDate>,
    since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Ext {
    key: u32,
    member: Option<usize>,
    addons: BTreeMap<Code, u32>,
}

#[derive(Debug, Clone)]
struct Model {
    now: DateTime<Utc>,
    grace_days: i64,
    subs: BTreeMap<Code, Sub>,
    /// By key, ascending.
    exts: Vec<Ext>,
    disabled: [bool; MEMBERS],
}

/// Service runs through the whole last day of the term (UTC).
fn term_over(end: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(end + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap())
}

/// Why a code in this state gives no service.
fn blocked(state: SubState) -> Option<Reason> {
    match state {
        SubState::Suspended => Some(Reason::SubscriptionSuspended),
        SubState::Terminated => Some(Reason::SubscriptionTerminated),
        SubState::Active | SubState::Expired => None,
    }
}

/// §10's operator transitions (same-state requests change nothing and are not asked here).
fn allowed(from: SubState, to: SubState) -> bool {
    use SubState::*;
    match (from, to) {
        (Terminated, _) => false,
        (_, Terminated) => true,
        (Active, Expired | Suspended) | (Expired, Active | Suspended) | (Suspended, Active) => true,
        _ => false,
    }
}

impl Model {
    fn sub(&self, code: Code) -> &Sub {
        &self.subs[&code]
    }

    fn in_use(&self, code: Code) -> u32 {
        match code {
            Code::PhoneSystem => self.exts.len() as u32,
            c => self
                .exts
                .iter()
                .map(|e| e.addons.get(&c).copied().unwrap_or(0))
                .sum(),
        }
    }

    /// The clock after `advance` (never backwards).
    fn after(&self, advance: &Advance) -> DateTime<Utc> {
        match advance {
            Advance::Hours(h) => self.now + Duration::hours(*h),
            Advance::Days(d) => self.now + Duration::days(*d),
            Advance::ToDue { code, ms } => self
                .due(CODES[*code])
                .map_or(self.now, |(_, at)| at + Duration::milliseconds(*ms)),
        }
        .max(self.now)
    }

    fn date_in(&self, days: i64) -> NaiveDate {
        self.now.date_naive() + Duration::days(days)
    }

    /// Whether `n` new copies of `code` may be taken now.
    fn may_take(&self, code: Code, n: u32) -> Result<(), ErrorCode> {
        let s = self.sub(code);
        match s.state {
            SubState::Active => {}
            SubState::Expired => return Err(ErrorCode::SubscriptionExpired),
            SubState::Suspended => return Err(ErrorCode::SubscriptionSuspended),
            SubState::Terminated => return Err(ErrorCode::SubscriptionTerminated),
        }
        let used = self.in_use(code);
        if used > s.quantity {
            return Err(ErrorCode::SubscriptionOverAllocated);
        }
        if s.quantity - used < n {
            return Err(ErrorCode::SeatsExhausted);
        }
        Ok(())
    }

    /// The operator's request: `to` a state (or a renewal), and maybe a new term end. An
    /// active subscription must not be left with a term already over (the next tick would
    /// expire it at once).
    fn operator(
        &mut self,
        code: Code,
        to: Option<SubState>,
        renew: bool,
        term: Option<Option<NaiveDate>>,
    ) -> Result<(), ErrorCode> {
        let cur = self.sub(code).clone();
        let mut next = cur.clone();
        if renew {
            next.state = SubState::Active;
            next.since = Some(self.now);
            next.term_end = None;
        } else if let Some(to) = to.filter(|to| *to != cur.state) {
            if !allowed(cur.state, to) {
                return Err(ErrorCode::InvalidTransition);
            }
            if cur.state == SubState::Suspended {
                let since = cur.since.expect("a suspension has its start");
                if self.now >= since + Duration::days(REACTIVATION_DAYS) {
                    return Err(ErrorCode::InvalidTransition);
                }
            }
            next.state = to;
            next.since = Some(self.now);
        }
        if let Some(t) = term {
            next.term_end = t;
        }
        let activates = next.state == SubState::Active
            && (cur.state != SubState::Active || renew || term.is_some());
        if activates && next.term_end.is_some_and(|e| term_over(e) <= self.now) {
            return Err(ErrorCode::InvalidTermEnd);
        }
        self.subs.insert(code, next);
        Ok(())
    }

    fn quantity(&mut self, code: Code, q: u32, allow: bool) -> Result<(), ErrorCode> {
        let cur = self.sub(code).quantity;
        if q < self.in_use(code) && q != cur && !allow {
            return Err(ErrorCode::QuantityBelowUsage);
        }
        self.subs.get_mut(&code).unwrap().quantity = q;
        Ok(())
    }

    /// The next time-driven transition of a code: (to, when).
    fn due(&self, code: Code) -> Option<(SubState, DateTime<Utc>)> {
        let s = self.sub(code);
        match s.state {
            SubState::Active => s.term_end.map(|e| (SubState::Expired, term_over(e))),
            SubState::Expired => Some((
                SubState::Suspended,
                s.since? + Duration::days(self.grace_days),
            )),
            SubState::Suspended => Some((
                SubState::Terminated,
                s.since? + Duration::days(REACTIVATION_DAYS),
            )),
            SubState::Terminated => None,
        }
    }

    /// Move the clock to `now` and make every transition due by then, each stamped with the
    /// instant it fell due.
    fn tick(&mut self, now: DateTime<Utc>) -> Vec<(Code, SubState, String)> {
        self.now = now;
        let mut made = Vec::new();
        for code in CODES {
            while let Some((to, at)) = self.due(code).filter(|(_, at)| *at <= now) {
                let s = self.subs.get_mut(&code).unwrap();
                s.state = to;
                s.since = Some(at);
                made.push((code, to, stamp(at)));
            }
        }
        made.sort_by_key(|(c, ..)| *c);
        made
    }

    fn effective(&self, e: &Ext) -> Vec<Effective> {
        let disabled = e.member.is_some_and(|m| self.disabled[m]);
        let member = disabled.then_some(Reason::MemberDisabled);
        let phone = blocked(self.sub(Code::PhoneSystem).state);
        let base = phone.or(member);
        let mut out = vec![Effective {
            code: Code::PhoneSystem,
            effective: base.is_none(),
            reason: base,
        }];
        for (code, n) in &e.addons {
            if *n == 0 {
                continue;
            }
            let reason = blocked(self.sub(*code).state)
                .or(phone.map(|_| Reason::PhoneSystemNotEffective))
                .or(member);
            out.push(Effective {
                code: *code,
                effective: reason.is_none(),
                reason,
            });
        }
        out
    }

    fn expected(&self, c: &Case) -> Seen {
        let licenses = CODES
            .iter()
            .map(|code| {
                let s = self.sub(*code);
                let used = self.in_use(*code);
                License {
                    code: *code,
                    purchased: s.quantity,
                    in_use: used,
                    available: s.quantity.saturating_sub(used),
                    over_allocated: used.saturating_sub(s.quantity),
                    assigned: (*code == Code::PhoneSystem)
                        .then(|| self.exts.iter().filter(|e| e.member.is_some()).count() as u32),
                    state: s.state,
                    term_end: s.term_end.map(|d| d.to_string()),
                    state_since: s.since.map(stamp),
                }
            })
            .collect();
        let extensions = self
            .exts
            .iter()
            .map(|e| ExtSeen {
                key: e.key.to_string(),
                member: e.member.map(|m| c.members[m].clone()),
                addons: e
                    .addons
                    .iter()
                    .flat_map(|(code, n)| std::iter::repeat_n(*code, *n as usize))
                    .collect(),
                effective: self.effective(e),
            })
            .collect();
        let members = (0..MEMBERS)
            .map(|m| {
                let ext = self.exts.iter().find(|e| e.member == Some(m));
                let (entitled, ready) = match ext {
                    Some(e) if !self.disabled[m] => {
                        let eff = self.effective(e);
                        let on = |code: Code| eff.iter().any(|f| f.code == code && f.effective);
                        let mut entitled = Vec::new();
                        if on(Code::PhoneSystem) {
                            entitled.push(Code::PhoneSystem);
                        }
                        for (code, n) in &e.addons {
                            if on(*code) {
                                entitled.extend(std::iter::repeat_n(*code, *n as usize));
                            }
                        }
                        let ready = on(Code::LicenseCenter)
                            && (on(Code::DeviceMobileApp) || on(Code::DeviceWebRtc));
                        (entitled, ready)
                    }
                    _ => (Vec::new(), false),
                };
                MemberSeen {
                    extension: ext.map(|e| e.key.to_string()),
                    entitled,
                    ready,
                }
            })
            .collect();
        Seen {
            licenses,
            extensions,
            members,
        }
    }
}

// ---- what the store answers ----

#[derive(Debug, Clone, PartialEq)]
struct License {
    code: Code,
    purchased: u32,
    in_use: u32,
    available: u32,
    over_allocated: u32,
    assigned: Option<u32>,
    state: SubState,
    term_end: Option<String>,
    state_since: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct ExtSeen {
    key: String,
    member: Option<String>,
    addons: Vec<Code>,
    effective: Vec<Effective>,
}

#[derive(Debug, Clone, PartialEq)]
struct MemberSeen {
    extension: Option<String>,
    entitled: Vec<Code>,
    ready: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    licenses: Vec<License>,
    extensions: Vec<ExtSeen>,
    members: Vec<MemberSeen>,
}

/// One generated case's organization: its owner and its three members (role member).
struct Case {
    org: OrgId,
    owner: Ctx,
    members: Vec<String>,
}

fn fail(msg: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(msg.into())
}

/// A use case's outcome as the model states it: done, or refused with this code.
fn outcome<T>(r: AppResult<T>) -> Result<Result<(), ErrorCode>, TestCaseError> {
    match r {
        Ok(_) => Ok(Ok(())),
        Err(e) => match e.code() {
            Some(code) => Ok(Err(code)),
            None => Err(fail(format!("a storage error: {e}"))),
        },
    }
}

async fn observe(app: &App, c: &Case) -> Result<Seen, TestCaseError> {
    let store = |e: seatline_app::AppError| fail(format!("read failed: {e}"));
    let licenses = app
        .licenses(&c.owner, &c.org)
        .await
        .map_err(store)?
        .into_iter()
        .filter(|l| CODES.contains(&l.code))
        .map(|l| License {
            code: l.code,
            purchased: l.purchased,
            in_use: l.in_use,
            available: l.available,
            over_allocated: l.over_allocated,
            assigned: l.assigned,
            state: l.state,
            term_end: l.term_end,
            state_since: l.state_since,
        })
        .collect();
    let q = ExtensionQuery {
        limit: 100,
        ..Default::default()
    };
    let extensions = app
        .extensions(&c.owner, &c.org, q, None)
        .await
        .map_err(store)?
        .items
        .into_iter()
        .map(|e| ExtSeen {
            key: e.key,
            member: e.member.map(|m| m.id),
            addons: e.addons,
            effective: e.effective,
        })
        .collect();
    let mut members = Vec::new();
    for id in &c.members {
        let ent = app
            .entitlements(&c.owner, &c.org, id)
            .await
            .map_err(store)?;
        members.push(MemberSeen {
            extension: ent.extension.map(|e| e.key),
            entitled: ent.entitled,
            ready: ent.contact_center.ready,
        });
    }
    Ok(Seen {
        licenses,
        extensions,
        members,
    })
}

/// §10's invariants, stated on what the store answers alone.
fn invariants(seen: &Seen) -> Result<(), String> {
    let license = |code: Code| seen.licenses.iter().find(|l| l.code == code).unwrap();
    let off = |code: Code| blocked(license(code).state).is_some();
    for e in &seen.extensions {
        for f in &e.effective {
            if f.effective && (off(f.code) || off(Code::PhoneSystem)) {
                return Err(format!(
                    "extension {}: {:?} is effective while it or the Phone System is suspended or terminated",
                    e.key, f.code
                ));
            }
        }
    }
    for code in CODES {
        let counted = match code {
            Code::PhoneSystem => seen.extensions.len(),
            c => seen
                .extensions
                .iter()
                .map(|e| e.addons.iter().filter(|a| **a == c).count())
                .sum(),
        };
        if license(code).in_use as usize != counted {
            return Err(format!(
                "{code:?}: the license counts {} in use, the extensions hold {counted}",
                license(code).in_use
            ));
        }
    }
    let holders: Vec<&String> = seen
        .extensions
        .iter()
        .filter_map(|e| e.member.as_ref())
        .collect();
    let mut unique = holders.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != holders.len() {
        return Err("a member holds two extensions".into());
    }
    if license(Code::PhoneSystem).assigned != Some(holders.len() as u32) {
        return Err("phone_system's assigned count is not the extensions with a member".into());
    }
    Ok(())
}

/// The extensions as provisioned and assigned, without the flags a state change may move.
fn holdings(seen: &Seen) -> Vec<(String, Option<String>, Vec<Code>)> {
    seen.extensions
        .iter()
        .map(|e| (e.key.clone(), e.member.clone(), e.addons.clone()))
        .collect()
}

static CASES: AtomicU64 = AtomicU64::new(0);

async fn setup(app: &App, t0: DateTime<Utc>) -> Result<(Case, Model), TestCaseError> {
    let n = CASES.fetch_add(1, Ordering::Relaxed);
    let op = Ctx::operator();
    let err = |e: seatline_app::AppError| fail(format!("setup: {e}"));
    let created = app
        .create_org(
            &op,
            &format!("life{n}"),
            &format!("owner@life{n}.example"),
            "Owner",
        )
        .await
        .map_err(err)?;
    let org = OrgId(created.id.clone());
    let owner = Ctx {
        actor: Actor::Member {
            id: MemberId(created.owner.id.clone()),
            role: Role::Owner,
            status: Status::Active,
            scope: None,
        },
        org: Some(org.clone()),
        request_id: None,
    };
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        let m = app
            .create_member(&owner, &org, &format!("m{i}@life{n}.example"), "", "member")
            .await
            .map_err(err)?;
        members.push(m.id);
    }
    let mut subs = BTreeMap::new();
    for (code, quantity) in CODES.into_iter().zip([3u32, 3, 2, 2]) {
        let req = SubscriptionUpdate {
            quantity: Some(quantity.into()),
            ..Default::default()
        };
        app.set_subscription_at(&op, &org, code.as_str(), req, t0)
            .await
            .map_err(err)?;
        subs.insert(
            code,
            Sub {
                quantity,
                state: SubState::Active,
                term_end: None,
                since: None,
            },
        );
    }
    Ok((
        Case {
            org,
            owner,
            members,
        },
        Model {
            now: t0,
            grace_days: 0,
            subs,
            exts: Vec::new(),
            disabled: [false; MEMBERS],
        },
    ))
}

fn term_of(m: &Model, t: &Term) -> Option<Option<NaiveDate>> {
    match t {
        Term::NotSent => None,
        Term::Clear => Some(None),
        Term::Days(d) => Some(Some(m.date_in(*d))),
    }
}

fn codes_of(addons: &BTreeMap<Code, u32>) -> Vec<String> {
    addons
        .iter()
        .flat_map(|(c, n)| std::iter::repeat_n(c.as_str().to_owned(), *n as usize))
        .collect()
}

/// Run one step on the store and on the model; compare the outcomes (and a tick's
/// transitions).
async fn step(app: &App, c: &Case, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let operator = Ctx::operator();
    let ext_at = |m: &Model, i: usize| (!m.exts.is_empty()).then(|| i % m.exts.len());
    let (got, want) = match op {
        Op::Quantity {
            code,
            quantity,
            allow,
        } => {
            let code = CODES[*code];
            let req = SubscriptionUpdate {
                quantity: Some((*quantity).into()),
                allow_over_allocation: *allow,
                ..Default::default()
            };
            let got = app
                .set_subscription_at(&operator, &c.org, code.as_str(), req, m.now)
                .await;
            (outcome(got)?, m.quantity(code, *quantity, *allow))
        }
        Op::State { code, to, term } => {
            let code = CODES[*code];
            let term = term_of(m, term);
            let req = SubscriptionUpdate {
                state: Some(*to),
                term_end: term,
                ..Default::default()
            };
            let got = app
                .set_subscription_at(&operator, &c.org, code.as_str(), req, m.now)
                .await;
            (outcome(got)?, m.operator(code, Some(*to), false, term))
        }
        Op::Renew { code, term } => {
            let code = CODES[*code];
            let term = term_of(m, term);
            let req = SubscriptionUpdate {
                state: Some(SubState::Active),
                renew: true,
                term_end: term,
                ..Default::default()
            };
            let got = app
                .set_subscription_at(&operator, &c.org, code.as_str(), req, m.now)
                .await;
            (outcome(got)?, m.operator(code, None, true, term))
        }
        Op::TermEnd { code, days } => {
            let code = CODES[*code];
            let term = Some(days.map(|d| m.date_in(d)));
            let req = SubscriptionUpdate {
                term_end: term,
                ..Default::default()
            };
            let got = app
                .set_subscription_at(&operator, &c.org, code.as_str(), req, m.now)
                .await;
            (outcome(got)?, m.operator(code, None, false, term))
        }
        Op::Wait(advance) => {
            m.now = m.after(advance);
            (Ok(()), Ok(()))
        }
        Op::Tick(advance) => {
            let target = m.after(advance);
            let report = app
                .lifecycle_tick(target, m.grace_days as u32)
                .await
                .map_err(|e| fail(format!("tick: {e}")))?;
            let mut made: Vec<(Code, SubState, String)> = report
                .transitions
                .into_iter()
                .filter(|t| t.org == c.org.to_string())
                .map(|t| (t.code, t.to, t.at))
                .collect();
            made.sort_by_key(|(code, ..)| *code);
            let expected = m.tick(target);
            if made != expected {
                return Err(fail(format!(
                    "tick at {}: made {made:?}, the model expects {expected:?}",
                    stamp(target)
                )));
            }
            (Ok(()), Ok(()))
        }
        Op::Provision => {
            let mut key = 1000;
            while m.exts.iter().any(|e| e.key == key) {
                key += 1;
            }
            let got = app.provision(&c.owner, &c.org, 1, &key.to_string()).await;
            let want = m.may_take(Code::PhoneSystem, 1).map(|()| {
                m.exts.push(Ext {
                    key,
                    member: None,
                    addons: BTreeMap::new(),
                });
                m.exts.sort_by_key(|e| e.key);
            });
            (outcome(got)?, want)
        }
        Op::AddAddon { ext, code } => {
            let Some(i) = ext_at(m, *ext) else {
                return Ok(());
            };
            let code = ADDONS[*code];
            let mut addons = m.exts[i].addons.clone();
            *addons.entry(code).or_default() += 1;
            let got = app
                .set_addons(
                    &c.owner,
                    &c.org,
                    &m.exts[i].key.to_string(),
                    &codes_of(&addons),
                )
                .await;
            let once = matches!(code, Code::DeviceWebRtc | Code::LicenseCenter);
            let want = if once && addons[&code] > 1 {
                Err(ErrorCode::AddonLimit)
            } else {
                m.may_take(code, 1).map(|()| m.exts[i].addons = addons)
            };
            (outcome(got)?, want)
        }
        Op::RemoveAddon { ext, code } => {
            let Some(i) = ext_at(m, *ext) else {
                return Ok(());
            };
            let code = ADDONS[*code];
            let mut addons = m.exts[i].addons.clone();
            if let Some(n) = addons.get_mut(&code) {
                *n -= 1;
                if *n == 0 {
                    addons.remove(&code);
                }
            }
            let got = app
                .set_addons(
                    &c.owner,
                    &c.org,
                    &m.exts[i].key.to_string(),
                    &codes_of(&addons),
                )
                .await;
            m.exts[i].addons = addons;
            (outcome(got)?, Ok(()))
        }
        Op::Assign { ext, member } => {
            let Some(i) = ext_at(m, *ext) else {
                return Ok(());
            };
            let got = app
                .assign(
                    &c.owner,
                    &c.org,
                    &m.exts[i].key.to_string(),
                    &c.members[*member],
                    false,
                )
                .await;
            let holds = m.exts.iter().any(|e| e.member == Some(*member));
            let want = match m.exts[i].member {
                Some(h) if h == *member => Ok(()),
                Some(_) => Err(ErrorCode::ExtensionHasMember),
                None if m.disabled[*member] => Err(ErrorCode::MemberDisabled),
                None if holds => Err(ErrorCode::MemberHasExtension),
                None => {
                    m.exts[i].member = Some(*member);
                    Ok(())
                }
            };
            (outcome(got)?, want)
        }
        Op::Unassign { ext } => {
            let Some(i) = ext_at(m, *ext) else {
                return Ok(());
            };
            let got = app
                .unassign(&c.owner, &c.org, &m.exts[i].key.to_string())
                .await;
            m.exts[i].member = None;
            (outcome(got)?, Ok(()))
        }
        Op::Deprovision { ext } => {
            let Some(i) = ext_at(m, *ext) else {
                return Ok(());
            };
            let got = app
                .deprovision(&c.owner, &c.org, &m.exts[i].key.to_string())
                .await;
            let want = if m.exts[i].member.is_some() {
                Err(ErrorCode::ExtensionHasMember)
            } else {
                m.exts.remove(i);
                Ok(())
            };
            (outcome(got)?, want)
        }
        Op::SetStatus { member, disabled } => {
            let status = if *disabled { "disabled" } else { "active" };
            let got = app
                .update_member(&c.owner, &c.org, &c.members[*member], None, Some(status))
                .await;
            m.disabled[*member] = *disabled;
            (outcome(got)?, Ok(()))
        }
    };
    if got != want {
        return Err(fail(format!(
            "the store answered {got:?}, the model expects {want:?}"
        )));
    }
    Ok(())
}

async fn run(w: &World, grace_days: u32, ops: &[Op]) -> Result<(), TestCaseError> {
    let t0 = Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap();
    let (case, mut model) = setup(&w.app, t0).await?;
    model.grace_days = grace_days.into();
    let mut before = observe(&w.app, &case).await?;
    for (i, op) in ops.iter().enumerate() {
        let pre = model.clone();
        let at = |msg: String| {
            fail(format!(
                "[{}] step {i} {op:?} at {}: {msg}",
                w.name,
                stamp(pre.now)
            ))
        };
        step(&w.app, &case, &mut model, op)
            .await
            .map_err(|e| at(e.to_string()))?;
        let seen = observe(&w.app, &case).await?;
        invariants(&seen).map_err(at)?;
        if op.is_lifecycle() && holdings(&seen) != holdings(&before) {
            return Err(at(format!(
                "billing or the clock changed what is provisioned: {:?} → {:?}",
                holdings(&before),
                holdings(&seen)
            )));
        }
        // A new copy was taken only where the subscription allowed it.
        let grew = |code: Code| {
            let count = |s: &Seen| s.licenses.iter().find(|l| l.code == code).unwrap().in_use;
            count(&seen) > count(&before)
        };
        for code in CODES {
            let was = before.licenses.iter().find(|l| l.code == code).unwrap();
            if grew(code) && (was.state != SubState::Active || was.in_use >= was.purchased) {
                return Err(at(format!(
                    "a new {code:?} copy was taken while {:?} with {}/{} in use",
                    was.state, was.in_use, was.purchased
                )));
            }
        }
        let expected = model.expected(&case);
        if seen != expected {
            return Err(at(format!(
                "the store shows\n{seen:#?}\nthe model expects\n{expected:#?}\n(before the step the model was {pre:?})"
            )));
        }
        before = seen;
    }
    Ok(())
}

#[test]
fn lifecycle_matches_the_model_on_both_stores() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let worlds = rt.block_on(World::all());
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(vec![1u32, 30]),
        prop::collection::vec(op(), 1..48),
    );
    let result = runner.run(&strategy, |(grace_days, ops)| {
        for w in &worlds {
            rt.block_on(run(w, grace_days, &ops))?;
        }
        Ok(())
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (grace_days, ops))) => {
            panic!("{why}\nminimal case: grace {grace_days} days, ops {ops:#?}")
        }
        Err(e) => panic!("{e}"),
    }
}
