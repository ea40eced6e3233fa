//! Planning one cell of a bulk row (Number, User, Addon license), read the way admins write
//! them (issue 26): an add-on's display name is read as its code (a warning says so), a
//! number Excel stripped of its `+` or turned into `6.56123E+09` is refused with what
//! happened and how to fix it, and a mistyped member email names the closest member.

use std::collections::HashMap;

use super::{OrgState, COL_ADDON, COL_NUMBER, COL_USER};
use crate::catalog::Code;
use crate::error::ErrorCode;
use crate::model::Addons;
use crate::plans::{Problems, RowPlan};
use crate::rules;
use crate::spelling;
use crate::values::{Status, E164};

/// Candidates compared for the "did you mean" of member emails, for one email and for a
/// whole plan: the suggestion is a courtesy for a few typos, and a full-scale organization
/// must not make a file of unknown emails slow (each comparison stops once more than 2
/// edits apart; 200,000 of them take tens of milliseconds). A file with more unknown emails
/// than that budget covers lists members not created yet, not typos.
const SUGGEST_ONE: usize = 20_000;
pub(super) const SUGGEST_PLAN: usize = 200_000;
/// Above this many email domains in the organization, a mistyped domain is not searched.
const SUGGEST_DOMAINS: usize = 64;

/// The organization's member emails by domain and by the length of their local part, built
/// on the first unknown email of a plan: a suggestion compares only emails that could be
/// within 2 edits.
#[derive(Default)]
pub(super) struct EmailIndex {
    domains: HashMap<String, HashMap<usize, Vec<u32>>>,
}

impl EmailIndex {
    fn new(org: &OrgState<'_>) -> Self {
        let mut domains: HashMap<String, HashMap<usize, Vec<u32>>> = HashMap::new();
        for (i, m) in org.members.iter().enumerate() {
            // A team-scoped uploader is never told of a member out of its reach (§12).
            if !org.scope.contains_member(&m.id) {
                continue;
            }
            if let Some((local, domain)) = m.email.as_str().rsplit_once('@') {
                if !domains.contains_key(domain) {
                    domains.insert(domain.to_owned(), HashMap::new());
                }
                domains
                    .get_mut(domain)
                    .expect("inserted above")
                    .entry(local.chars().count())
                    .or_default()
                    .push(i as u32);
            }
        }
        EmailIndex { domains }
    }
}

/// The member email closest to `typed`: one edit away (a swap of two letters counts as
/// one) for a local part under 6 characters, two for longer ones, counted over the local
/// part and the domain together.
fn closest_email<'a>(org: &'a OrgState<'_>, typed: &str, spent: &mut usize) -> Option<&'a str> {
    let typed = typed.trim().to_lowercase();
    let (local, domain) = typed.rsplit_once('@')?;
    let local_len = local.chars().count();
    let allowed = if local_len >= 6 { 2 } else { 1 };
    let index = org.emails.get_or_init(|| EmailIndex::new(org));
    let mut domains: Vec<(&str, usize)> = Vec::new();
    if index.domains.contains_key(domain) {
        domains.push((domain, 0));
    }
    if index.domains.len() <= SUGGEST_DOMAINS {
        domains.extend(index.domains.keys().filter_map(|d| {
            let edits = spelling::within(domain, d, allowed)?;
            (edits > 0).then_some((d.as_str(), edits))
        }));
    }
    let mut budget = SUGGEST_ONE.min(SUGGEST_PLAN.saturating_sub(*spent));
    let mut best: Option<(usize, &'a str)> = None;
    for (domain, domain_edits) in domains {
        let left = allowed - domain_edits;
        let by_len = &index.domains[domain];
        for len in local_len.saturating_sub(left)..=local_len + left {
            for &i in by_len.get(&len).into_iter().flatten() {
                if budget == 0 {
                    return best.map(|(_, e)| e);
                }
                budget -= 1;
                *spent += 1;
                let email = org.members[i as usize].email.as_str();
                let (their_local, _) = email.rsplit_once('@').expect("an email has @");
                if let Some(edits) = spelling::within(local, their_local, left) {
                    let total = edits + domain_edits;
                    if best.is_none_or(|(b, _)| total < b) {
                        best = Some((total, email));
                    }
                }
            }
        }
    }
    best.map(|(_, e)| e)
}

/// What went wrong with a Number cell a spreadsheet mangled, when that is recognisable:
/// digits without their `+`, or scientific notation (Excel shows a long number as
/// `6.56123E+09` and keeps only the digits shown once saved as CSV).
fn number_hint(v: &str) -> Option<String> {
    if is_scientific(v) {
        return Some(format!(
            "number {v:?}: Excel turned this number into {v} and lost digits: format the Number column as Text and type the numbers again"
        ));
    }
    let digits: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if digits.starts_with('0') {
        format!(
            "number {v:?} looks like a national number: write it with + and the country code instead of the leading 0 (e.g. +6531234567), and format the Number column as Text"
        )
    } else {
        format!(
            "number {v:?} looks like a number without its +: write +{digits}, or format the column as Text so the + stays"
        )
    })
}

/// `6.56123E+09`, `6E9`: a mantissa, `E`, an exponent.
fn is_scientific(v: &str) -> bool {
    let Some((mantissa, exponent)) = v.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction) && digits(exponent)
}

pub(super) fn plan_number(
    v: &str,
    row: usize,
    org: &OrgState<'_>,
    seen: &mut HashMap<u64, usize>,
    item: &mut RowPlan,
    errs: &mut Problems,
) {
    let n = match v.parse::<E164>() {
        Ok(n) => n,
        Err(mut e) => {
            if let Some(hint) = number_hint(v) {
                e.message = hint;
            }
            return errs.push(Some(row), COL_NUMBER, v, e);
        }
    };
    // E.164 has 8 to 15 digits: with their count (leading zeros) they fit a u64, a cheaper
    // key than the string.
    let d = &n.as_str()[1..];
    let digits: u64 = (d.parse::<u64>().expect("E.164 digits") << 4) | d.len() as u64;
    if let Some(first) = seen.get(&digits) {
        return errs.at(
            row,
            COL_NUMBER,
            v,
            ErrorCode::DuplicateNumber,
            format!("number {n} is also on row {first}; a number attaches to one extension, list it once"),
        );
    }
    seen.insert(digits, row);
    match org.numbers.get(n.as_str()) {
        None => errs.at(
            row,
            COL_NUMBER,
            v,
            ErrorCode::NumberUnavailable,
            format!("number {n} is not in the organization's inventory; ask the operator to add it, or leave Number empty"),
        ),
        Some(Some(k)) => errs.at(
            row,
            COL_NUMBER,
            v,
            ErrorCode::NumberAttached,
            format!("number {n} is attached to extension {k}; pick a free number or detach it there first"),
        ),
        Some(None) => {}
    }
    item.numbers.push(n);
}

/// An Addon license cell: a code, or a display name read as its code with a warning.
/// `phone_system` is the extension itself: an error, and no copy (so no second seat).
pub(super) fn plan_addon(v: &str, row: usize, item: &mut RowPlan, errs: &mut Problems) {
    let code = match v.parse::<Code>() {
        Ok(code) => code,
        Err(e) => match Code::from_display_name(v) {
            Some(code) => {
                if code.is_addon() {
                    errs.warn(
                        row,
                        COL_ADDON,
                        v,
                        ErrorCode::AddonDisplayName,
                        format!(
                            "{v:?} is the display name of {code}: read as {code}; write {code} to keep the file exact"
                        ),
                    );
                }
                code
            }
            None => return errs.push(Some(row), COL_ADDON, v, e),
        },
    };
    if !code.is_addon() {
        let mut one = Addons::default();
        one.add(code, 1);
        let e = rules::check_addon_limits(&one).expect_err("phone_system is not an add-on");
        return errs.push(Some(row), COL_ADDON, v, e);
    }
    item.addons.push(code);
}

pub(super) fn plan_user(
    v: &str,
    row: usize,
    org: &OrgState<'_>,
    seen: &mut [usize],
    item: &mut RowPlan,
    errs: &mut Problems,
    // Member emails compared so far for "did you mean", bounded by SUGGEST_PLAN.
    suggested: &mut usize,
) {
    if item.user.is_none() {
        item.user = Some(v.to_owned());
    }
    let Some(i) = org.member(v) else {
        let how = if v.contains('@') { "email" } else { "id" };
        // Only an error that is listed gets a suggestion: the rest are counted, not shown.
        let near = if errs.lists_row_errors() && how == "email" {
            closest_email(org, v, suggested).map(|e| format!("did you mean {e}? "))
        } else {
            None
        };
        return errs.at(
            row,
            COL_USER,
            v,
            ErrorCode::UnknownMember,
            format!(
                "no member has the {how} {v:?}; {}create the member first, fix the spelling, or leave User empty",
                near.unwrap_or_default()
            ),
        );
    };
    let m = &org.members[i];
    let holds = org.held[i];
    if item.member.is_some() {
        return;
    }
    if !org.scope.contains_member(&m.id) {
        return errs.at(
            row,
            COL_USER,
            v,
            ErrorCode::OutOfScope,
            // The value as written: a row naming a member by id learns no email out of reach.
            format!("{v} is not in the teams you manage; leave the row to an admin whose teams include the member, or leave User empty"),
        );
    }
    let first = seen[i];
    if first != 0 {
        return errs.at(
            row,
            COL_USER,
            v,
            ErrorCode::BulkDuplicateMember,
            format!(
                "{} is also on row {first}; a member holds one extension, keep one of the rows",
                m.email
            ),
        );
    }
    seen[i] = row;
    // §4 lets a disabled member keep its extension, so an export of such an org must
    // re-import: the row stands, and the warning says what it means.
    if m.status == Status::Disabled {
        errs.warn(
            row,
            COL_USER,
            v,
            ErrorCode::MemberDisabled,
            format!(
                "{} is disabled: the member holds the extension, but nothing is effective until the member is enabled",
                m.email
            ),
        );
    }
    if let Some(k) = holds {
        errs.at(
            row,
            COL_USER,
            v,
            ErrorCode::MemberHasExtension,
            format!(
                "{} already holds extension {k}; unassign it there first or leave User empty",
                m.email
            ),
        );
    }
    item.member = Some(m.id.clone());
}
