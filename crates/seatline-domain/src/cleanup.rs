//! Cleanup plans (product.md §11): the rows of one reviewed plan that give back what the
//! usage report finds paid for and not used. A cleanup plan is a [`Plan`] whose rows act on
//! existing extensions ([`Outcome::Unassign`], [`Outcome::RemoveAddons`],
//! [`Outcome::DetachNumbers`], [`Outcome::Deprovision`]); applying it replays the rows on the
//! organization as it is then ([`replay`]): a row that no longer matches its extension makes
//! the plan stale, and nothing is applied.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::bulk::{COL_ADDON, COL_KEY, COL_USER};
use crate::catalog::Code;
use crate::error::{Error, ErrorCode};
use crate::finding::FindingKind;
use crate::model::{Addons, AuditRecord, Change, Decision, Extension};
use crate::plans::{self, Outcome, Plan, PlanStatus, RowError, RowPlan, SeatFreed};
use crate::reports::{dead, spare, OrgUsage};
use crate::rules;
use crate::values::{ExtKey, Status, E164};

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
pub fn plan(org: &OrgUsage<'_>, request: &CleanupRequest) -> Plan {
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
        seats: plans::freed(&rows),
        errors: Vec::new(),
        warnings,
        error_count: 0,
        warning_count,
        items: rows,
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
            Outcome::Create
            | Outcome::Error
            | Outcome::Grant
            | Outcome::Revoke
            | Outcome::Wait
            | Outcome::Unchanged => unreachable!("filtered above"),
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
    plan.status = PlanStatus::checked(ready);
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
        // A cleanup plan is replayed on the organization alone, which cannot tell whether an
        // idle copy was used since the plan was made; the reclaim policy (product.md §14)
        // will own idle copies, with notice. Until then they are refused, not half-handled.
        if k.is_idle() {
            return Err(Error::new(
                ErrorCode::InvalidFindingKind,
                format!(
                    "kinds: {k} cannot be cleaned up by a cleanup plan (idle copies are reclaimed with notice by the reclaim policy); remove it from kinds, and unassign the extension or remove the add-on on the extension's page"
                ),
            )
            .detail("field", "kinds")
            .detail("value", k.as_str()));
        }
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
