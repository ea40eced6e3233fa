//! The usage report and its findings (product.md §11): what is paid for and not used, and
//! what would fix it. Pure: the organization's state in, a report or findings out; the
//! cleanup plan that acts on findings is [`crate::cleanup`]'s.
//!
//! - A copy is *in productive use* when it sits on an extension held by an active member and
//!   is effective (§10). `monthly_cost` = unit price × purchased; `monthly_waste` = unit
//!   price × (purchased − copies in productive use), never below zero (an over-allocated code
//!   uses copies nobody pays for).
//! - Money is exact: prices are decimal strings of at most 4 decimals, summed as integer
//!   ten-thousandths and shown with at least 2 decimals.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::{Serialize, Serializer};

use crate::catalog::Code;
use crate::finding::FindingKind;
use crate::idle::Idle;
use crate::lifecycle::effective;
use crate::model::{Addons, Extension, Member, Seats};
use crate::plans::Outcome;
use crate::subscription::{SubState, Subscription};
use crate::values::{ExtKey, MemberId, Status, E164};

/// An amount of money in ten-thousandths of the currency unit: exact sums of 4-decimal prices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub u128);

impl Money {
    /// A price string (already validated by [`crate::Price`]) as money.
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
    pub(crate) extensions: &'a [Extension],
    pub(crate) members: HashMap<&'a MemberId, &'a Member>,
    pub(crate) seats: &'a Seats,
    /// Each priced code's unit price and currency.
    prices: BTreeMap<Code, (Money, Option<&'a str>)>,
    /// The activity to judge idle copies by; without it nothing is idle.
    idle: Option<&'a Idle>,
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
            idle: None,
        }
    }

    /// The same organization, its idle copies judged by `idle` (product.md §14).
    pub fn with_idle(mut self, idle: &'a Idle) -> Self {
        self.idle = Some(idle);
        self
    }

    /// The idle copies of an extension: only an active member's, since an unassigned
    /// extension's or a disabled holder's copies are findings of their own already.
    fn idle_copies(&self, e: &Extension) -> Vec<(FindingKind, Vec<Code>)> {
        match (self.idle, self.member(e)) {
            (Some(idle), Some(m)) if m.status == Status::Active => idle.copies(e.key, &e.addons),
            _ => Vec::new(),
        }
    }

    pub(crate) fn member(&self, e: &Extension) -> Option<&'a Member> {
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
    /// Copies held by an active member, effective, and idle (product.md §14): not counted
    /// as productive.
    pub idle: u32,
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
    let mut idle = vec![0u32; n];
    for e in org.extensions {
        let member = org.member(e);
        let active = member.is_some_and(|m| m.status == Status::Active);
        let idle_codes: Vec<Code> = org
            .idle_copies(e)
            .into_iter()
            .flat_map(|(_, codes)| codes)
            .collect();
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
                    // Idle copies give service nobody uses: not productive.
                    let idle_n =
                        (idle_codes.iter().filter(|c| **c == f.code).count() as u32).min(copies);
                    idle[i] += idle_n;
                    productive[i] += copies - idle_n;
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
            idle: idle[i],
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
pub(crate) fn spare(e: &Extension) -> Addons {
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
pub(crate) fn dead(seats: &Seats, code: Code) -> bool {
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
        for (k, codes) in org.idle_copies(e) {
            let action = if k == FindingKind::IdleExtension {
                Outcome::Unassign
            } else {
                Outcome::RemoveAddons
            };
            push(k, codes, Vec::new(), action);
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
