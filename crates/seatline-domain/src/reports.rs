//! The usage report and cleanup plans (product.md §11): what is paid for and not used, and
//! the rows of one reviewed plan that give it back. Pure: the organization's state in,
//! a report, findings or a plan out.
//!
//! - A copy is *in productive use* when it sits on an extension held by an active member and
//!   is effective (§10). `monthly_cost` = unit price × purchased; `monthly_waste` = unit
//!   price × (purchased − copies in productive use), never below zero (an over-allocated code
//!   uses copies nobody pays for).
//! - Money is exact: prices are decimal strings of at most 4 decimals, summed as integer
//!   ten-thousandths and shown with at least 2 decimals.
//! - A cleanup plan is a bulk plan ([`crate::bulk::Plan`]) whose rows act on existing
//!   extensions ([`Outcome::Unassign`], [`Outcome::RemoveAddons`],
//!   [`Outcome::DetachNumbers`], [`Outcome::Deprovision`]); applying it replays the rows on
//!   the organization as it is then ([`replay`]): a row that no longer matches its extension
//!   makes the plan stale, and nothing is applied.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::bulk::{
    Outcome, Plan, PlanStatus, RowError, RowPlan, SeatChange, SeatFreed, COL_ADDON, COL_KEY,
    COL_USER,
};
use crate::catalog::Code;
use crate::error::{Error, ErrorCode};
use crate::lifecycle::{effective, SubState, Subscription};
use crate::model::{Addons, AuditRecord, Change, Decision, Extension, Member, Seats};
use crate::rules;
use crate::spelling;
use crate::values::{ExtKey, MemberId, Status, E164};

/// The kinds of findings, in the order a report lists them on one extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    ExtensionUnassigned,
    AddonOnUnassignedExtension,
    NumberOnUnassignedExtension,
    DisabledMemberHoldsExtension,
    ContactCenterNotReady,
    OverAllocated,
    NotEffective,
}

impl FindingKind {
    pub const ALL: [FindingKind; 7] = [
        FindingKind::ExtensionUnassigned,
        FindingKind::AddonOnUnassignedExtension,
        FindingKind::NumberOnUnassignedExtension,
        FindingKind::DisabledMemberHoldsExtension,
        FindingKind::ContactCenterNotReady,
        FindingKind::OverAllocated,
        FindingKind::NotEffective,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ExtensionUnassigned => "extension_unassigned",
            FindingKind::AddonOnUnassignedExtension => "addon_on_unassigned_extension",
            FindingKind::NumberOnUnassignedExtension => "number_on_unassigned_extension",
            FindingKind::DisabledMemberHoldsExtension => "disabled_member_holds_extension",
            FindingKind::ContactCenterNotReady => "contact_center_not_ready",
            FindingKind::OverAllocated => "over_allocated",
            FindingKind::NotEffective => "not_effective",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        if let Some(k) = FindingKind::ALL.into_iter().find(|k| k.as_str() == t) {
            return Ok(k);
        }
        let hint = match spelling::closest(t, FindingKind::ALL.map(FindingKind::as_str)) {
            Some(near) => format!("did you mean {near:?}? "),
            None => String::new(),
        };
        let all: Vec<&str> = FindingKind::ALL.iter().map(|k| k.as_str()).collect();
        Err(Error::new(
            ErrorCode::InvalidFindingKind,
            format!(
                "{t:?} is not a finding kind; {hint}the kinds are {}",
                all.join(", ")
            ),
        )
        .detail("field", "kind")
        .detail("value", t))
    }
}

/// An amount of money in ten-thousandths of the currency unit: exact sums of 4-decimal prices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub u128);

impl Money {
    /// A price string (already validated by [`crate::lifecycle::Price`]) as money.
    pub fn parse(price: &str) -> Option<Money> {
        let (whole, frac) = price.split_once('.').unwrap_or((price, ""));
        if frac.len() > 4 || whole.is_empty() {
            return None;
        }
        let whole: u128 = whole.parse().ok()?;
        let mut f = String::from(frac);
        while f.len() < 4 {
            f.push('0');
        }
        let frac: u128 = f.parse().ok()?;
        Some(Money(whole * 10_000 + frac))
    }
    pub fn times(self, n: u64) -> Money {
        Money(self.0 * u128::from(n))
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0 + o.0)
    }
}

impl fmt::Display for Money {
    /// At least 2 decimals, more only when the amount has them: `37.50`, `1.2345`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 10_000;
        let mut frac = format!("{:04}", self.0 % 10_000);
        while frac.len() > 2 && frac.ends_with('0') {
            frac.pop();
        }
        write!(f, "{whole}.{frac}")
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the reports read of an organization, indexed once.
pub struct OrgUsage<'a> {
    extensions: &'a [Extension],
    members: HashMap<&'a MemberId, &'a Member>,
    seats: &'a Seats,
    /// Each priced code's unit price and currency.
    prices: BTreeMap<Code, (Money, Option<&'a str>)>,
}

impl<'a> OrgUsage<'a> {
    pub fn new(
        members: &'a [Member],
        extensions: &'a [Extension],
        seats: &'a Seats,
        subscriptions: &'a [Subscription],
    ) -> Self {
        OrgUsage {
            extensions,
            members: members.iter().map(|m| (&m.id, m)).collect(),
            seats,
            prices: subscriptions
                .iter()
                .filter_map(|s| {
                    let price = Money::parse(s.unit_price.as_ref()?.as_str())?;
                    Some((s.code, (price, s.currency.as_ref().map(|c| c.as_str()))))
                })
                .collect(),
        }
    }

    fn member(&self, e: &Extension) -> Option<&'a Member> {
        e.member
            .as_ref()
            .and_then(|id| self.members.get(id).copied())
    }

    fn price(&self, code: Code) -> Option<Money> {
        self.prices.get(&code).map(|(p, _)| *p)
    }

    /// The waste of these copies: null when any of their codes has no price.
    fn waste_of(&self, codes: &[Code]) -> Option<Money> {
        codes
            .iter()
            .try_fold(Money::default(), |sum, c| Some(sum + self.price(*c)?))
    }
}

/// One code's line of the usage report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageItem {
    pub code: Code,
    pub name: &'static str,
    pub purchased: u32,
    /// Copies on extensions (for phone_system: the extensions).
    pub in_use: u32,
    /// Copies on extensions that have a member.
    pub assigned: u32,
    /// Copies that give service (§10; a disabled holder's copies do not).
    pub effective: u32,
    /// Copies in productive use: held by an active member and effective.
    pub productive: u32,
    pub available: u32,
    pub over_allocated: u32,
    pub state: SubState,
    pub unit_price: Option<String>,
    pub currency: Option<String>,
    /// unit price × purchased; null without a price.
    pub monthly_cost: Option<Money>,
    /// unit price × (purchased − productive); null without a price.
    pub monthly_waste: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageTotals {
    /// The sum over the priced codes; null when no code has a price, or when prices are in
    /// more than one currency (they do not add up).
    pub monthly_cost: Option<Money>,
    pub monthly_waste: Option<Money>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    pub items: Vec<UsageItem>,
    pub totals: UsageTotals,
}

/// The usage report: every code of the catalog, in catalog order, and the totals.
pub fn usage(org: &OrgUsage<'_>) -> Usage {
    let n = Code::ALL.len();
    let (mut in_use, mut assigned, mut eff, mut productive) =
        (vec![0u32; n], vec![0u32; n], vec![0u32; n], vec![0u32; n]);
    for e in org.extensions {
        let member = org.member(e);
        let active = member.is_some_and(|m| m.status == Status::Active);
        for f in effective(e, member, org.seats) {
            let copies = if f.code == Code::PhoneSystem {
                1
            } else {
                e.addons.count(f.code)
            };
            let i = f.code as usize;
            in_use[i] += copies;
            if e.member.is_some() {
                assigned[i] += copies;
            }
            if f.effective {
                eff[i] += copies;
                if active {
                    productive[i] += copies;
                }
            }
        }
    }
    let mut items = Vec::with_capacity(n);
    let mut cost = Money::default();
    let mut waste = Money::default();
    let mut currencies: HashSet<Option<&str>> = HashSet::new();
    for code in Code::ALL {
        let i = code as usize;
        let seat = org.seats.get(code);
        let priced = org.prices.get(&code);
        let (monthly_cost, monthly_waste) = match priced {
            Some((price, currency)) => {
                currencies.insert(*currency);
                let c = price.times(seat.purchased.into());
                let w = price.times(seat.purchased.saturating_sub(productive[i]).into());
                cost = cost + c;
                waste = waste + w;
                (Some(c), Some(w))
            }
            None => (None, None),
        };
        items.push(UsageItem {
            code,
            name: code.name(),
            purchased: seat.purchased,
            in_use: in_use[i],
            assigned: assigned[i],
            effective: eff[i],
            productive: productive[i],
            available: seat.purchased.saturating_sub(in_use[i]),
            over_allocated: in_use[i].saturating_sub(seat.purchased),
            state: seat.state,
            unit_price: priced.map(|(p, _)| p.to_string()),
            currency: priced.and_then(|(_, c)| c.map(str::to_owned)),
            monthly_cost,
            monthly_waste,
        });
    }
    let one = currencies.len() == 1;
    Usage {
        items,
        totals: UsageTotals {
            monthly_cost: one.then_some(cost),
            monthly_waste: one.then_some(waste),
            currency: if one {
                currencies.into_iter().next().flatten().map(str::to_owned)
            } else {
                None
            },
        },
    }
}

/// A member as a finding names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRef {
    pub id: MemberId,
    pub email: String,
}

/// One thing paid for and not used, and what would fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The extension; null for a finding about a whole code (over_allocated).
    pub extension: Option<ExtKey>,
    pub member: Option<MemberRef>,
    /// The copies concerned, one entry per copy.
    pub codes: Vec<Code>,
    /// The numbers concerned (number_on_unassigned_extension).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<E164>,
    /// The unit prices of `codes`, summed; null when one has no price. Over-allocated copies
    /// are not paid for: their finding wastes nothing.
    pub monthly_waste: Option<Money>,
    /// The cleanup row that resolves it: unassign, remove_addons, detach_numbers,
    /// deprovision.
    pub suggested_action: Outcome,
}

/// Add-on copies of an extension that its attached numbers do not need (its numbers need
/// one `license_number` each).
fn spare(e: &Extension) -> Addons {
    let mut out = Addons::default();
    for (code, n) in e.addons.iter() {
        let keep = if code == Code::LicenseNumber {
            e.numbers.len() as u32
        } else {
            0
        };
        out.add(code, n.saturating_sub(keep));
    }
    out
}

/// Whether an add-on's own subscription gives no service (suspended or terminated).
fn dead(seats: &Seats, code: Code) -> bool {
    !seats.get(code).state.is_effective()
}

/// Every finding of the organization (or of one kind), extension by extension in key order,
/// then the over-allocated codes in catalog order.
pub fn findings(org: &OrgUsage<'_>, kind: Option<FindingKind>) -> Vec<Finding> {
    let want = |k: FindingKind| kind.is_none_or(|w| w == k);
    let mut out = Vec::new();
    let mut exts: Vec<&Extension> = org.extensions.iter().collect();
    exts.sort_by_key(|e| e.key);
    for e in exts {
        let member = org.member(e);
        let mref = member.map(|m| MemberRef {
            id: m.id.clone(),
            email: m.email.to_string(),
        });
        let mut push = |k: FindingKind, codes: Vec<Code>, numbers: Vec<E164>, action| {
            if want(k) && !codes.is_empty() {
                out.push(Finding {
                    kind: k,
                    extension: Some(e.key),
                    member: mref.clone(),
                    monthly_waste: org.waste_of(&codes),
                    codes,
                    numbers,
                    suggested_action: action,
                });
            }
        };
        if e.member.is_none() {
            push(
                FindingKind::ExtensionUnassigned,
                vec![Code::PhoneSystem],
                Vec::new(),
                Outcome::Deprovision,
            );
            push(
                FindingKind::AddonOnUnassignedExtension,
                spare(e).codes(),
                Vec::new(),
                Outcome::RemoveAddons,
            );
            push(
                FindingKind::NumberOnUnassignedExtension,
                vec![Code::LicenseNumber; e.numbers.len()],
                e.numbers.clone(),
                Outcome::DetachNumbers,
            );
        }
        if member.is_some_and(|m| m.status == Status::Disabled) {
            let mut codes = vec![Code::PhoneSystem];
            codes.extend(e.addons.codes());
            push(
                FindingKind::DisabledMemberHoldsExtension,
                codes,
                Vec::new(),
                Outcome::Unassign,
            );
        }
        if e.addons.count(Code::LicenseCenter) > 0 && (e.member.is_none() || !e.addons.has_device())
        {
            push(
                FindingKind::ContactCenterNotReady,
                vec![Code::LicenseCenter],
                Vec::new(),
                Outcome::RemoveAddons,
            );
        }
        let dead_codes: Vec<Code> = e
            .addons
            .codes()
            .into_iter()
            .filter(|c| dead(org.seats, *c))
            .collect();
        push(
            FindingKind::NotEffective,
            dead_codes,
            Vec::new(),
            Outcome::RemoveAddons,
        );
    }
    if want(FindingKind::OverAllocated) {
        let mut in_use = [0u32; Code::ALL.len()];
        for e in org.extensions {
            in_use[Code::PhoneSystem as usize] += 1;
            for (c, n) in e.addons.iter() {
                in_use[c as usize] += n;
            }
        }
        for code in Code::ALL {
            let over = in_use[code as usize].saturating_sub(org.seats.get(code).purchased);
            if over > 0 {
                out.push(Finding {
                    kind: FindingKind::OverAllocated,
                    extension: None,
                    member: None,
                    codes: vec![code; over as usize],
                    numbers: Vec::new(),
                    monthly_waste: org.price(code).map(|_| Money::default()),
                    suggested_action: if code == Code::PhoneSystem {
                        Outcome::Deprovision
                    } else {
                        Outcome::RemoveAddons
                    },
                });
            }
        }
    }
    out
}

/// What a cleanup plan was asked for: the kinds to clean up and, optionally, the only
/// extensions to touch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanupRequest {
    pub kinds: Vec<FindingKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Vec<ExtKey>>,
}

/// A cleanup row under construction.
fn row(
    outcome: Outcome,
    finding: FindingKind,
    e: &Extension,
    addons: Vec<Code>,
    numbers: Vec<E164>,
) -> RowPlan {
    let mut freed: Vec<SeatFreed> = Vec::new();
    let mut copies: BTreeMap<Code, u64> = BTreeMap::new();
    if outcome == Outcome::Deprovision {
        copies.insert(Code::PhoneSystem, 1);
    }
    for c in &addons {
        *copies.entry(*c).or_default() += 1;
    }
    freed.extend(
        copies
            .into_iter()
            .map(|(code, freed)| SeatFreed { code, freed }),
    );
    RowPlan {
        row: 0,
        outcome,
        key: Some(e.key),
        member: e.member.clone(),
        user: None,
        numbers,
        addons,
        freed,
        finding: Some(finding),
    }
}

/// Remove `codes` (copies) and `numbers` from a draft extension.
fn take(e: &mut Extension, codes: &[Code], numbers: &[E164]) {
    let mut left = Addons::default();
    for (c, n) in e.addons.iter() {
        let gone = codes.iter().filter(|x| **x == c).count() as u32;
        left.add(c, n.saturating_sub(gone));
    }
    e.addons = left;
    e.numbers.retain(|n| !numbers.contains(n));
}

/// Plan the cleanup of the selected kinds: for each extension (in key order, only those
/// listed when `extensions` is given), the rows that resolve its findings, each planned on
/// what the previous rows leave:
/// 1. a disabled holder is unassigned (the extension is then unassigned for what follows);
/// 2. an unassigned extension is deprovisioned with its add-ons and numbers
///    (extension_unassigned), or else loses its numbers with their `license_number` copies
///    (number_on_unassigned_extension) and its other add-ons (addon_on_unassigned_extension);
/// 3. `license_center` without a member or a device is removed (contact_center_not_ready);
/// 4. add-ons of suspended or terminated subscriptions are removed, with the numbers a
///    removed `license_number` carried (not_effective);
/// 5. over-allocated codes lose copies from extensions that use them unproductively
///    (unassigned, disabled holder, not effective), lowest key first; what cannot be freed
///    that way is a warning: buy more, or remove copies by hand.
pub fn plan_cleanup(org: &OrgUsage<'_>, request: &CleanupRequest) -> Plan {
    let on = |k: FindingKind| request.kinds.contains(&k);
    let only: Option<HashSet<ExtKey>> = request
        .extensions
        .as_ref()
        .map(|ks| ks.iter().copied().collect());
    let mut exts: Vec<&Extension> = org
        .extensions
        .iter()
        .filter(|e| only.as_ref().is_none_or(|s| s.contains(&e.key)))
        .collect();
    exts.sort_by_key(|e| e.key);
    let mut rows: Vec<RowPlan> = Vec::new();
    // What each extension looks like after its rows (None: deprovisioned).
    let mut after: Vec<(Option<Extension>, bool)> = Vec::with_capacity(exts.len());
    for e in &exts {
        let mut d: Extension = (*e).clone();
        let disabled = org.member(e).is_some_and(|m| m.status == Status::Disabled);
        if on(FindingKind::DisabledMemberHoldsExtension) && disabled {
            rows.push(row(
                Outcome::Unassign,
                FindingKind::DisabledMemberHoldsExtension,
                &d,
                Vec::new(),
                Vec::new(),
            ));
            d.member = None;
        }
        if d.member.is_none() && on(FindingKind::ExtensionUnassigned) {
            rows.push(row(
                Outcome::Deprovision,
                FindingKind::ExtensionUnassigned,
                &d,
                d.addons.codes(),
                d.numbers.clone(),
            ));
            after.push((None, true));
            continue;
        }
        if d.member.is_none()
            && on(FindingKind::NumberOnUnassignedExtension)
            && !d.numbers.is_empty()
        {
            let codes = vec![Code::LicenseNumber; d.numbers.len()];
            let numbers = d.numbers.clone();
            rows.push(row(
                Outcome::DetachNumbers,
                FindingKind::NumberOnUnassignedExtension,
                &d,
                codes.clone(),
                numbers.clone(),
            ));
            take(&mut d, &codes, &numbers);
        }
        if d.member.is_none() && on(FindingKind::AddonOnUnassignedExtension) {
            let codes = spare(&d).codes();
            if !codes.is_empty() {
                rows.push(row(
                    Outcome::RemoveAddons,
                    FindingKind::AddonOnUnassignedExtension,
                    &d,
                    codes.clone(),
                    Vec::new(),
                ));
                take(&mut d, &codes, &[]);
            }
        }
        if on(FindingKind::ContactCenterNotReady)
            && d.addons.count(Code::LicenseCenter) > 0
            && (d.member.is_none() || !d.addons.has_device())
        {
            let codes = vec![Code::LicenseCenter];
            rows.push(row(
                Outcome::RemoveAddons,
                FindingKind::ContactCenterNotReady,
                &d,
                codes.clone(),
                Vec::new(),
            ));
            take(&mut d, &codes, &[]);
        }
        if on(FindingKind::NotEffective) {
            let codes: Vec<Code> = d
                .addons
                .codes()
                .into_iter()
                .filter(|c| dead(org.seats, *c))
                .collect();
            if !codes.is_empty() {
                // Removing every license_number copy detaches the numbers they carry.
                let numbers = if codes.contains(&Code::LicenseNumber) {
                    d.numbers.clone()
                } else {
                    Vec::new()
                };
                rows.push(row(
                    Outcome::RemoveAddons,
                    FindingKind::NotEffective,
                    &d,
                    codes.clone(),
                    numbers.clone(),
                ));
                take(&mut d, &codes, &numbers);
            }
        }
        after.push((Some(d), disabled));
    }
    let mut warnings = Vec::new();
    if on(FindingKind::OverAllocated) {
        over_allocation(org, &mut after, &mut rows, &mut warnings);
    }
    // Rows in extension order (over-allocation rows join their extension's rows).
    rows.sort_by_key(|r| r.key);
    for (i, r) in rows.iter_mut().enumerate() {
        r.row = i + 1;
    }
    let warning_count = warnings.len();
    Plan {
        status: PlanStatus::Ready,
        rows: rows.len(),
        can_apply: true,
        seats: freed(&rows),
        errors: Vec::new(),
        warnings,
        error_count: 0,
        warning_count,
        items: rows,
        cleanup: Some(request.clone()),
    }
}

/// Rows taking an over-allocated code back under its purchased quantity, from copies used
/// unproductively, counted after the rows planned so far.
fn over_allocation(
    org: &OrgUsage<'_>,
    after: &mut [(Option<Extension>, bool)],
    rows: &mut Vec<RowPlan>,
    warnings: &mut Vec<RowError>,
) {
    let mut in_use = [0u32; Code::ALL.len()];
    for e in org.extensions {
        in_use[Code::PhoneSystem as usize] += 1;
        for (c, n) in e.addons.iter() {
            in_use[c as usize] += n;
        }
    }
    for r in rows.iter() {
        for f in &r.freed {
            in_use[f.code as usize] -= f.freed as u32;
        }
    }
    for code in Code::ALL {
        let mut over = in_use[code as usize].saturating_sub(org.seats.get(code).purchased);
        for slot in after.iter_mut() {
            if over == 0 {
                break;
            }
            let (Some(d), disabled) = slot else {
                continue;
            };
            if !(d.member.is_none() || *disabled || dead(org.seats, code)) {
                continue;
            }
            if code == Code::PhoneSystem {
                if d.member.is_some() {
                    continue;
                }
                rows.push(row(
                    Outcome::Deprovision,
                    FindingKind::OverAllocated,
                    d,
                    d.addons.codes(),
                    d.numbers.clone(),
                ));
                slot.0 = None;
                over -= 1;
                continue;
            }
            let n = spare(d).count(code).min(over);
            if n == 0 {
                continue;
            }
            let codes = vec![code; n as usize];
            rows.push(row(
                Outcome::RemoveAddons,
                FindingKind::OverAllocated,
                d,
                codes.clone(),
                Vec::new(),
            ));
            take(d, &codes, &[]);
            over -= n;
        }
        if over > 0 {
            warnings.push(RowError {
                row: None,
                column: if code == Code::PhoneSystem { COL_KEY } else { COL_ADDON }.to_owned(),
                value: code.as_str().to_owned(),
                code: ErrorCode::SubscriptionOverAllocated,
                message: format!(
                    "{} over-allocated: the plan removes no copy in productive use; buy more, or remove copies on the extensions' pages",
                    crate::words::plural(over, &format!("{code} copy stays"), &format!("{code} copies stay")),
                ),
            });
        }
    }
}

/// The seats rows give back, per code in catalog order.
pub fn freed(rows: &[RowPlan]) -> Vec<SeatChange> {
    let mut by: BTreeMap<Code, u64> = BTreeMap::new();
    for r in rows {
        for f in &r.freed {
            *by.entry(f.code).or_default() += f.freed;
        }
    }
    by.into_iter()
        .map(|(code, freed)| SeatChange::Freed(SeatFreed { code, freed }))
        .collect()
}

/// Replay a cleanup plan's rows on the organization as it is: each row must still match its
/// extension (it exists, has the holder the row names, holds the copies and numbers the row
/// takes; an unassigned member is still disabled; a deprovisioned extension holds exactly
/// what the row lists). Answers the problems of the rows that no longer match, and the
/// changes of all rows with one audit record per row.
pub fn replay(items: &[RowPlan], org: &OrgUsage<'_>) -> (Vec<RowError>, Decision) {
    let index: HashMap<ExtKey, &Extension> = org.extensions.iter().map(|e| (e.key, e)).collect();
    let mut draft: HashMap<ExtKey, Option<Extension>> = HashMap::new();
    let mut errors = Vec::new();
    let mut d = Decision::default();
    // An extension whose row no longer matches: its later rows are not checked again (they
    // would only repeat the problem).
    let mut failed: HashSet<ExtKey> = HashSet::new();
    let (mut seen, mut prev) = (0, None);
    for r in items {
        if errors.len() > seen {
            failed.extend(prev);
            seen = errors.len();
        }
        prev = r.key;
        if r.key.is_some_and(|k| failed.contains(&k)) {
            continue;
        }
        let fail = |errors: &mut Vec<RowError>, column: &str, value: String, why: String| {
            errors.push(RowError {
                row: Some(r.row),
                column: column.to_owned(),
                value,
                code: ErrorCode::CleanupRowChanged,
                message: format!("{why}; make a new cleanup plan"),
            });
        };
        let Some(key) = r.key.filter(|_| r.outcome.is_cleanup()) else {
            fail(
                &mut errors,
                COL_KEY,
                String::new(),
                "the row is not a cleanup row".to_owned(),
            );
            continue;
        };
        let cur = draft
            .entry(key)
            .or_insert_with(|| index.get(&key).map(|e| (*e).clone()));
        let Some(ext) = cur.as_mut() else {
            fail(
                &mut errors,
                COL_KEY,
                key.to_string(),
                format!("extension {key} no longer exists"),
            );
            continue;
        };
        if ext.member != r.member {
            let now = ext.member.as_ref().map_or("nobody".to_owned(), |m| {
                org.members
                    .get(m)
                    .map_or(m.to_string(), |m| m.email.to_string())
            });
            fail(
                &mut errors,
                COL_USER,
                now.clone(),
                format!("extension {key} is now held by {now}"),
            );
            continue;
        }
        let before = ext.clone();
        match r.outcome {
            Outcome::Unassign => {
                let holder = ext.member.as_ref().and_then(|m| org.members.get(m));
                if !holder.is_some_and(|m| m.status == Status::Disabled) {
                    let who = holder.map_or(String::new(), |m| m.email.to_string());
                    fail(
                        &mut errors,
                        COL_USER,
                        who.clone(),
                        format!("{who} on extension {key} is no longer disabled"),
                    );
                    continue;
                }
                let one = rules::unassign(ext);
                ext.member = None;
                d.changes.extend(one.changes);
                d.audit.extend(one.audit);
            }
            Outcome::Deprovision => {
                let mut numbers = r.numbers.clone();
                numbers.sort();
                if ext.addons.codes() != sorted(&r.addons) || ext.numbers != numbers {
                    fail(
                        &mut errors,
                        COL_KEY,
                        key.to_string(),
                        format!("extension {key}'s add-ons or numbers changed"),
                    );
                    continue;
                }
                let holder = ext.member.as_ref().and_then(|m| org.members.get(m));
                match rules::deprovision(ext, holder.copied()) {
                    Ok(one) => {
                        d.changes.extend(one.changes);
                        d.audit.extend(one.audit);
                        *cur = None;
                    }
                    Err(e) => fail(&mut errors, COL_KEY, key.to_string(), e.message),
                }
            }
            Outcome::RemoveAddons | Outcome::DetachNumbers => {
                let wanted: Addons = r.addons.iter().copied().collect();
                let short = wanted.iter().find(|(c, n)| ext.addons.count(*c) < *n);
                if let Some((c, _)) = short {
                    fail(
                        &mut errors,
                        COL_ADDON,
                        c.as_str().to_owned(),
                        format!("extension {key} no longer holds the {c} copies to remove"),
                    );
                    continue;
                }
                if let Some(n) = r.numbers.iter().find(|n| !ext.numbers.contains(n)) {
                    fail(
                        &mut errors,
                        "Number",
                        n.to_string(),
                        format!("number {n} is no longer attached to extension {key}"),
                    );
                    continue;
                }
                take(ext, &r.addons, &r.numbers);
                if ext.addons.count(Code::LicenseNumber) < ext.numbers.len() as u32 {
                    fail(
                        &mut errors,
                        COL_ADDON,
                        Code::LicenseNumber.as_str().to_owned(),
                        format!("extension {key} now has more numbers than its license_number copies would cover"),
                    );
                    continue;
                }
                if !r.numbers.is_empty() {
                    d.changes.push(Change::SetNumbers {
                        key,
                        numbers: ext.numbers.clone(),
                    });
                }
                d.changes.push(Change::SetAddons {
                    key,
                    addons: ext.addons.clone(),
                });
                d.audit.push(AuditRecord {
                    action: if r.outcome == Outcome::DetachNumbers {
                        "extension.numbers"
                    } else {
                        "extension.addons"
                    },
                    target: format!("extension:{key}"),
                    before: before.audit_json(),
                    after: ext.audit_json(),
                });
            }
            Outcome::Create | Outcome::Error => unreachable!("filtered above"),
        }
    }
    (errors, d)
}

fn sorted(codes: &[Code]) -> Vec<Code> {
    let mut v = codes.to_vec();
    v.sort();
    v
}

/// A stored cleanup plan checked against the organization as it is now: the same rows,
/// `ready` when every row still matches, else `invalid` with the rows' problems.
pub fn recheck(mut plan: Plan, org: &OrgUsage<'_>) -> Plan {
    let (errors, _) = replay(&plan.items, org);
    plan.error_count = errors.len();
    let ready = errors.is_empty();
    plan.errors = errors;
    plan.status = if ready {
        PlanStatus::Ready
    } else {
        PlanStatus::Invalid
    };
    plan.can_apply = ready;
    plan
}

/// The changes of a ready cleanup plan's rows, one audit record per row; refused when a row
/// no longer matches.
pub fn decide(items: &[RowPlan], org: &OrgUsage<'_>) -> Result<Decision, Error> {
    let (errors, d) = replay(items, org);
    match errors.into_iter().next() {
        None => Ok(d),
        Some(e) => Err(Error::new(e.code, e.message)),
    }
}

/// Parse the kinds a request names (`?kind=` or a plan's `kinds`), each once.
pub fn parse_kinds<'s>(
    kinds: impl IntoIterator<Item = &'s str>,
) -> Result<Vec<FindingKind>, Error> {
    let mut out: Vec<FindingKind> = Vec::new();
    for k in kinds {
        let k: FindingKind = k.parse()?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidFindingKind,
            "kinds is empty; name at least one finding kind to clean up",
        )
        .detail("field", "kinds"));
    }
    Ok(out)
}
