//! Every operation of product.md §4 as a pure function of the state it needs, returning the
//! changes to make (with their audit records) or the error that forbids them.

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use crate::catalog::{Code, PerExtension};
use crate::error::{Error, ErrorCode};
use crate::model::{
    member_json, Addons, Change, Decision, Extension, Member, NumberRow, Org, Seats,
};
use crate::permissions::Actor;
use crate::values::{
    Email, ExtKey, MemberId, OrgId, Role, Status, E164, MAX_KEY, MAX_QUANTITY, MIN_KEY,
};
use crate::words::plural;

/// Create an organization with its owner.
pub fn create_org(org: Org, owner: Member) -> Decision {
    let owner = Member {
        role: Role::Owner,
        status: Status::Active,
        ..owner
    };
    let after = json!({"id": org.id, "name": org.name, "owner": member_json(&owner)});
    Decision {
        changes: vec![
            Change::InsertOrg(org.clone()),
            Change::InsertMember(owner.clone()),
        ],
        audit: vec![crate::model::AuditRecord {
            action: "org.create",
            target: format!("org:{}", org.id),
            before: Value::Null,
            after,
        }],
    }
}

/// Set the purchased quantity of a code; never below what is in use.
pub fn set_quantity(code: Code, quantity: i64, seats: &Seats) -> Result<Decision, Error> {
    if !(0..=MAX_QUANTITY as i64).contains(&quantity) {
        return Err(Error::new(
            ErrorCode::InvalidQuantity,
            format!("quantity {quantity} must be a whole number from 0 to {MAX_QUANTITY}"),
        )
        .detail("field", "quantity"));
    }
    let quantity = quantity as u32;
    let seat = seats.get(code);
    if quantity < seat.in_use {
        return Err(Error::new(
            ErrorCode::QuantityBelowUsage,
            format!(
                "{} in use; set at least {} or free seats first",
                plural(
                    seat.in_use,
                    &format!("{code} seat is"),
                    &format!("{code} seats are")
                ),
                seat.in_use
            ),
        )
        .detail("code", code.as_str())
        .detail("in_use", seat.in_use));
    }
    // Like every other rule, setting what is already there changes nothing and logs nothing.
    if quantity == seat.purchased {
        return Ok(Decision::default());
    }
    Ok(Decision::one(
        Change::SetPurchased { code, quantity },
        "subscription.set",
        format!("subscription:{code}"),
        json!({"purchased": seat.purchased}),
        json!({"purchased": quantity}),
    ))
}

/// Add a number to the org's inventory.
pub fn add_number(number: E164, existing: Option<&NumberRow>) -> Result<Decision, Error> {
    if existing.is_some() {
        return Err(Error::new(
            ErrorCode::NumberExists,
            format!("{number} is already in the inventory"),
        )
        .detail("number", number.as_str()));
    }
    let target = format!("number:{number}");
    Ok(Decision::one(
        Change::InsertNumber(number.clone()),
        "number.add",
        target,
        Value::Null,
        json!({"number": number}),
    ))
}

/// Remove an unattached number from the inventory.
pub fn remove_number(number: &E164, row: Option<&NumberRow>) -> Result<Decision, Error> {
    let row = row.ok_or_else(|| Error::not_found("number", number))?;
    if let Some(key) = row.extension {
        return Err(Error::new(
            ErrorCode::NumberAttached,
            format!("{number} is attached to extension {key}; detach it there first"),
        )
        .detail("extension", key.to_string()));
    }
    Ok(Decision::one(
        Change::DeleteNumber(number.clone()),
        "number.remove",
        format!("number:{number}"),
        json!({"number": number}),
        Value::Null,
    ))
}

/// Create a member. The owner may create admins and members, an admin only members.
pub fn create_member(
    actor_role: Option<Role>,
    member: Member,
    email_taken: bool,
) -> Result<Decision, Error> {
    match (actor_role, member.role) {
        (_, Role::Owner) => {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "an organization has exactly one owner; create the member as admin and transfer ownership",
            ))
        }
        (Some(Role::Admin), Role::Admin) => return Err(Error::forbidden("create admins; ask the owner")),
        _ => {}
    }
    if email_taken {
        return Err(Error::new(
            ErrorCode::EmailTaken,
            format!(
                "{} is already a member of this organization; use another email",
                member.email
            ),
        )
        .detail("field", "email"));
    }
    let target = format!("member:{}", member.id);
    let after = member_json(&member);
    Ok(Decision::one(
        Change::InsertMember(member),
        "member.create",
        target,
        Value::Null,
        after,
    ))
}

fn update(before: &Member, after: Member, action: &'static str) -> Decision {
    let target = format!("member:{}", before.id);
    let (b, a) = (member_json(before), member_json(&after));
    Decision::one(Change::UpdateMember(after), action, target, b, a)
}

/// Change a member's role between admin and member (owner only; ownership moves by transfer).
pub fn change_role(target: &Member, role: Role) -> Result<Decision, Error> {
    if target.role == Role::Owner {
        return Err(Error::new(
            ErrorCode::OwnerProtected,
            "the owner's role changes only by transferring ownership to another member",
        ));
    }
    if role == Role::Owner {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "the owner role moves only by an explicit ownership transfer",
        ));
    }
    if target.role == role {
        return Ok(Decision::default());
    }
    Ok(update(
        target,
        Member {
            role,
            ..target.clone()
        },
        "member.role",
    ))
}

/// Make `target` the owner; the current owner becomes an admin.
pub fn transfer_ownership(owner: &Member, target: &Member) -> Result<Decision, Error> {
    if target.id == owner.id {
        return Ok(Decision::default());
    }
    if target.status == Status::Disabled {
        return Err(Error::new(
            ErrorCode::MemberDisabled,
            format!("{} is disabled; enable it first", target.email),
        ));
    }
    let mut d = update(
        owner,
        Member {
            role: Role::Admin,
            ..owner.clone()
        },
        "member.role",
    );
    let d2 = update(
        target,
        Member {
            role: Role::Owner,
            ..target.clone()
        },
        "org.transfer_ownership",
    );
    d.changes.extend(d2.changes);
    d.audit.extend(d2.audit);
    Ok(d)
}

/// Whether `by` may disable or enable `target` (product.md §4): the owner anyone but itself,
/// an admin only members (not itself, not another admin). The owner as a target is left to
/// [`set_status`], which refuses to disable it (`owner_protected`). Who may change statuses at all is
/// the permission table's `SetStatus` row; this is the finer rule on the target.
pub fn may_set_status(by: &Actor, target: &Member) -> Result<(), Error> {
    let Actor::Member { id, role, .. } = by else {
        return Ok(());
    };
    // The owner is never disabled: `set_status` says so (owner_protected), whoever asks.
    if target.role == Role::Owner {
        return Ok(());
    }
    if *id == target.id {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "you cannot disable or enable yourself; ask the owner or another admin",
        ));
    }
    if *role == Role::Admin && target.role == Role::Admin {
        return Err(Error::new(
            ErrorCode::Forbidden,
            format!(
                "{} is an admin; only the owner disables or enables an admin",
                target.email
            ),
        ));
    }
    Ok(())
}

/// Disable or enable a member. The owner cannot be disabled.
pub fn set_status(target: &Member, status: Status) -> Result<Decision, Error> {
    if target.role == Role::Owner && status == Status::Disabled {
        return Err(Error::new(
            ErrorCode::OwnerProtected,
            "the owner cannot be disabled; transfer ownership first",
        ));
    }
    if target.status == status {
        return Ok(Decision::default());
    }
    let action = if status == Status::Disabled {
        "member.disable"
    } else {
        "member.enable"
    };
    Ok(update(
        target,
        Member {
            status,
            ..target.clone()
        },
        action,
    ))
}

/// Delete a disabled member; its extension stays provisioned, unassigned.
pub fn delete_member(target: &Member, extension: Option<&Extension>) -> Result<Decision, Error> {
    if target.role == Role::Owner {
        return Err(Error::new(
            ErrorCode::OwnerProtected,
            "the owner cannot be deleted",
        ));
    }
    if target.status != Status::Disabled {
        return Err(Error::new(
            ErrorCode::MemberActive,
            format!("disable {} before deleting it", target.email),
        ));
    }
    // The extension stays, unassigned: a change of its own, with its own audit entry.
    let mut d = extension.map(unassign).unwrap_or_default();
    d.changes.push(Change::DeleteMember(target.id.clone()));
    d.audit.push(crate::model::AuditRecord {
        action: "member.delete",
        target: format!("member:{}", target.id),
        before: json!({"member": member_json(target), "extension": extension.map(|e| e.key)}),
        after: Value::Null,
    });
    Ok(d)
}

/// The lowest start ≥ `from` (else the lowest at all) where `count` consecutive keys are free.
pub fn next_free_start(taken: &BTreeSet<u32>, count: u32, from: u32) -> Option<u32> {
    let scan = |lo: u32| -> Option<u32> {
        let mut start = lo.max(MIN_KEY);
        loop {
            let end = start.checked_add(count - 1)?;
            if end > MAX_KEY {
                return None;
            }
            match taken.range(start..=end).next_back() {
                None => return Some(start),
                Some(&t) => start = t + 1,
            }
        }
    };
    scan(from).or_else(|| scan(MIN_KEY))
}

/// Provision `count` extensions from `start`: all keys valid and free, and enough seats.
pub fn provision(
    count: i64,
    start: ExtKey,
    taken: &BTreeSet<u32>,
    seats: &Seats,
) -> Result<Decision, Error> {
    if count < 1 {
        return Err(
            Error::new(ErrorCode::InvalidCount, "count must be at least 1")
                .detail("field", "count"),
        );
    }
    let first = start.get();
    // Saturating: a huge count must be refused as running past the last key, not overflow.
    let last = (first as i64).saturating_add(count - 1);
    if last > MAX_KEY as i64 {
        return Err(Error::new(
            ErrorCode::InvalidExtKey,
            format!("{count} extensions from {first} would end at {last}, past the highest key {MAX_KEY}; start lower or provision fewer"),
        )
        .detail("field", "start")
        .detail("last", last));
    }
    let count = count as u32;
    let taken_here: Vec<String> = taken
        .range(first..=last as u32)
        .map(|k| k.to_string())
        .collect();
    if !taken_here.is_empty() {
        let next = next_free_start(taken, count, first);
        let hint = match next {
            Some(n) => format!("; the next free start for {count} is {n}"),
            None => format!("; no run of {count} free keys is left"),
        };
        return Err(Error::new(
            ErrorCode::ExtensionTaken,
            match taken_here.as_slice() {
                [one] => format!("extension key {one} is taken{hint}"),
                many => format!("extension keys {} are taken{hint}", many.join(", ")),
            },
        )
        .detail("taken", taken_here)
        .detail("next_free_start", next.map(|n| n.to_string())));
    }
    seats.check_new(Code::PhoneSystem, count.into())?;
    let exts: Vec<Extension> = (first..=last as u32)
        .map(|k| Extension::new(ExtKey::new(k).expect("range checked")))
        .collect();
    let audit = exts
        .iter()
        .map(|e| crate::model::AuditRecord {
            action: "extension.provision",
            target: format!("extension:{}", e.key),
            before: Value::Null,
            after: e.audit_json(),
        })
        .collect();
    Ok(Decision {
        changes: vec![Change::InsertExtensions(exts)],
        audit,
    })
}

fn ext_decision(
    before: &Extension,
    after: &Extension,
    change: Change,
    action: &'static str,
) -> Decision {
    Decision::one(
        change,
        action,
        format!("extension:{}", before.key),
        before.audit_json(),
        after.audit_json(),
    )
}

/// Deprovision an unassigned extension; its seats and numbers return.
/// `holder` is the member `ext` is assigned to, named by email in the refusal.
pub fn deprovision(ext: &Extension, holder: Option<&Member>) -> Result<Decision, Error> {
    if let Some(m) = &ext.member {
        return Err(Error::new(
            ErrorCode::ExtensionHasMember,
            format!(
                "extension {} is assigned to {}; unassign it first",
                ext.key,
                holder_name(m, holder)
            ),
        )
        .detail("member", m.as_str()));
    }
    Ok(Decision::one(
        Change::DeleteExtension(ext.key),
        "extension.deprovision",
        format!("extension:{}", ext.key),
        ext.audit_json(),
        Value::Null,
    ))
}

/// How a refusal names the member holding an extension: its email, as admins know members;
/// the id only when the holder was not loaded.
fn holder_name(id: &MemberId, holder: Option<&Member>) -> String {
    match holder {
        Some(h) if h.id == *id => h.email.to_string(),
        _ => format!("member {id}"),
    }
}

/// Assign a member to an extension (or, with `reassign`, replace the current member);
/// `holder` is the member `ext` is assigned to now, named by email in the refusal.
pub fn assign(
    ext: &Extension,
    holder: Option<&Member>,
    member: &Member,
    held: Option<ExtKey>,
    reassign: bool,
) -> Result<Decision, Error> {
    if ext.member.as_ref() == Some(&member.id) {
        return Ok(Decision::default());
    }
    if let (Some(m), false) = (&ext.member, reassign) {
        return Err(Error::new(
            ErrorCode::ExtensionHasMember,
            format!(
                "extension {} is already assigned to {}; unassign it first or reassign",
                ext.key,
                holder_name(m, holder)
            ),
        )
        .detail("member", m.as_str()));
    }
    if member.status == Status::Disabled {
        return Err(Error::new(
            ErrorCode::MemberDisabled,
            format!("{} is disabled; enable it first", member.email),
        )
        .detail("member", member.id.as_str()));
    }
    if let Some(k) = held {
        return Err(Error::new(
            ErrorCode::MemberHasExtension,
            format!(
                "{} already holds extension {k}; unassign it there first",
                member.email
            ),
        )
        .detail("extension", k.to_string()));
    }
    let after = Extension {
        member: Some(member.id.clone()),
        ..ext.clone()
    };
    let action = if ext.member.is_some() {
        "extension.reassign"
    } else {
        "extension.assign"
    };
    Ok(ext_decision(
        ext,
        &after,
        Change::SetExtensionMember {
            key: ext.key,
            member: Some(member.id.clone()),
        },
        action,
    ))
}

/// Remove the member from an extension; add-ons and numbers stay.
pub fn unassign(ext: &Extension) -> Decision {
    if ext.member.is_none() {
        return Decision::default();
    }
    let after = Extension {
        member: None,
        ..ext.clone()
    };
    ext_decision(
        ext,
        &after,
        Change::SetExtensionMember {
            key: ext.key,
            member: None,
        },
        "extension.unassign",
    )
}

/// Check a multiset of add-ons against the catalog's per-extension limits.
pub fn check_addon_limits(addons: &Addons) -> Result<(), Error> {
    for (code, n) in addons.iter() {
        if !code.is_addon() {
            return Err(Error::new(
                ErrorCode::NotAnAddon,
                "phone_system is the extension itself, not an add-on; remove it",
            )
            .detail("code", code.as_str()));
        }
        if code.entry().per_extension == PerExtension::One && n > 1 {
            return Err(Error::new(
                ErrorCode::AddonLimit,
                format!(
                    "an extension may hold at most one {code} ({}); list it once",
                    code.name()
                ),
            )
            .detail("code", code.as_str())
            .detail("count", n));
        }
    }
    Ok(())
}

/// Replace an extension's add-ons: limits, seats, and numbers' licenses hold.
pub fn set_addons(ext: &Extension, addons: Addons, seats: &Seats) -> Result<Decision, Error> {
    check_addon_limits(&addons)?;
    let numbers = ext.numbers.len() as u32;
    if addons.count(Code::LicenseNumber) < numbers {
        return Err(Error::new(
            ErrorCode::NumberNeedsLicense,
            format!(
                "extension {} has {} and needs as many license_number copies; detach numbers first",
                ext.key,
                plural(numbers, "attached number", "attached numbers")
            ),
        )
        .detail("numbers", numbers));
    }
    for code in Code::addons() {
        let (old, new) = (ext.addons.count(code), addons.count(code));
        if new > old {
            seats.check_new(code, (new - old).into())?;
        }
    }
    if addons == ext.addons {
        return Ok(Decision::default());
    }
    let after = Extension {
        addons: addons.clone(),
        ..ext.clone()
    };
    Ok(ext_decision(
        ext,
        &after,
        Change::SetAddons {
            key: ext.key,
            addons,
        },
        "extension.addons",
    ))
}

/// Replace an extension's numbers: each from the inventory, free or already on this extension,
/// and one `license_number` copy per number.
pub fn set_numbers(
    ext: &Extension,
    numbers: Vec<E164>,
    rows: &[Option<NumberRow>],
) -> Result<Decision, Error> {
    let mut seen = HashSet::new();
    for (n, row) in numbers.iter().zip(rows) {
        if !seen.insert(n) {
            return Err(Error::new(
                ErrorCode::DuplicateNumber,
                format!("{n} is listed twice; list it once"),
            )
            .detail("number", n.as_str()));
        }
        match row {
            None => {
                return Err(Error::new(
                    ErrorCode::NumberUnavailable,
                    format!(
                        "{n} is not in the organization's inventory; ask the operator to add it"
                    ),
                )
                .detail("number", n.as_str())
                .detail("reason", "not_in_inventory"))
            }
            Some(NumberRow {
                extension: Some(k), ..
            }) if *k != ext.key => {
                return Err(Error::new(
                    ErrorCode::NumberUnavailable,
                    format!("{n} is attached to extension {k}; detach it there first"),
                )
                .detail("number", n.as_str())
                .detail("reason", "attached")
                .detail("extension", k.to_string()))
            }
            Some(_) => {}
        }
    }
    let have = ext.addons.count(Code::LicenseNumber) as usize;
    if numbers.len() > have {
        return Err(Error::new(
            ErrorCode::NumberNeedsLicense,
            format!(
                "extension {} holds {} but {} given; add license_number add-ons first",
                ext.key,
                plural(have as u64, "license_number copy", "license_number copies"),
                plural(numbers.len() as u64, "number was", "numbers were")
            ),
        )
        .detail("needed", numbers.len())
        .detail("available", have));
    }
    let mut numbers = numbers;
    numbers.sort();
    if numbers == ext.numbers {
        return Ok(Decision::default());
    }
    let after = Extension {
        numbers: numbers.clone(),
        ..ext.clone()
    };
    Ok(ext_decision(
        ext,
        &after,
        Change::SetNumbers {
            key: ext.key,
            numbers,
        },
        "extension.numbers",
    ))
}

/// A new member with validated fields; the id is an input.
pub fn new_member(id: MemberId, email: Email, name: &str, role: Role) -> Result<Member, Error> {
    Ok(Member {
        id,
        email,
        name: crate::values::parse_name("name", name)?,
        role,
        status: Status::Active,
    })
}

/// A new organization with a validated name; id and time are inputs.
pub fn new_org(id: OrgId, name: &str, now: String) -> Result<Org, Error> {
    Ok(Org {
        id,
        name: crate::values::parse_name("name", name)?,
        created_at: now,
    })
}

/// Change a member's email and name (what an identity provider changes); the email stays
/// unique in the organization, the role and status are not touched.
pub fn update_profile(
    target: &Member,
    email: Email,
    name: &str,
    email_taken: bool,
) -> Result<Decision, Error> {
    let name = crate::values::parse_name("name", name)?;
    if email == target.email && name == target.name {
        return Ok(Decision::default());
    }
    if email != target.email && email_taken {
        return Err(Error::new(
            ErrorCode::EmailTaken,
            format!("{email} is already a member of this organization; use another email"),
        )
        .detail("field", "email"));
    }
    Ok(update(
        target,
        Member {
            email,
            name,
            ..target.clone()
        },
        "member.update",
    ))
}
