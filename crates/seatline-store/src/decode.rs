//! Turning stored primitives back into domain values; shared by both backends so that a
//! row means the same thing whichever database holds it.

use std::collections::HashMap;

use seatline_domain::{
    Addons, Code, Email, ExtKey, Extension, Member, MemberId, NumberRow, OrgId, Seat, Seats, E164,
};

use crate::{Result, StoreError};

/// A stored value that does not parse: the database holds something no rule could write.
pub fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Db(format!("stored {what} \"{value}\" does not parse").into())
}

pub fn key(k: i64) -> Result<ExtKey> {
    u32::try_from(k)
        .ok()
        .and_then(ExtKey::new)
        .ok_or_else(|| corrupt("extension key", k))
}

pub fn code(c: &str) -> Result<Code> {
    c.parse().map_err(|_| corrupt("code", c))
}

pub fn member(id: String, email: &str, name: String, role: &str, status: &str) -> Result<Member> {
    Ok(Member {
        id: MemberId(id),
        email: email
            .parse::<Email>()
            .map_err(|_| corrupt("email", email))?,
        name,
        role: role.parse().map_err(|_| corrupt("role", role))?,
        status: status.parse().map_err(|_| corrupt("status", status))?,
    })
}

pub fn number(number: &str, ext_key: Option<i64>) -> Result<NumberRow> {
    Ok(NumberRow {
        number: number
            .parse::<E164>()
            .map_err(|_| corrupt("number", number))?,
        extension: ext_key.map(key).transpose()?,
    })
}

/// Seats from rows of (code, purchased, in use, subscription state); the pseudo-code
/// `assigned` carries the count of extensions with a member.
pub fn seats(rows: impl IntoIterator<Item = (String, i64, i64, Option<String>)>) -> Result<Seats> {
    let mut s = Seats::default();
    for (c, purchased, used, state) in rows {
        if c == "assigned" {
            s.assigned = used as u32;
            continue;
        }
        let seat: &mut Seat = s.by_code.entry(code(&c)?).or_default();
        seat.purchased += purchased as u32;
        seat.in_use += used as u32;
        if let Some(st) = state {
            seat.state = st.parse().map_err(|_| corrupt("subscription state", &st))?;
        }
    }
    Ok(s)
}

/// Add-ons and numbers of a range of extensions, collected before the extensions are built.
#[derive(Default)]
pub struct KeyedParts {
    addons: HashMap<u32, Addons>,
    numbers: HashMap<u32, Vec<E164>>,
}

impl KeyedParts {
    pub fn add_addon(&mut self, key: i64, c: &str, copies: i64) -> Result<()> {
        self.addons
            .entry(key as u32)
            .or_default()
            .add(code(c)?, copies as u32);
        Ok(())
    }
    /// Numbers must be added in sorted order.
    pub fn add_number(&mut self, key: i64, n: &str) -> Result<()> {
        let n = n.parse::<E164>().map_err(|_| corrupt("number", n))?;
        self.numbers.entry(key as u32).or_default().push(n);
        Ok(())
    }
    pub fn extension(&mut self, k: i64, member: Option<String>) -> Result<Extension> {
        let key = key(k)?;
        Ok(Extension {
            key,
            member: member.map(MemberId),
            addons: self.addons.remove(&key.get()).unwrap_or_default(),
            numbers: self.numbers.remove(&key.get()).unwrap_or_default(),
        })
    }
}

/// One subscription row (lifecycle, §10): code, quantity, state, term end, state since,
/// unit price, currency.
pub type SubscriptionRow = (
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub fn subscription(row: SubscriptionRow) -> Result<seatline_domain::Subscription> {
    let (c, quantity, state, term_end, since, price, currency) = row;
    Ok(seatline_domain::Subscription {
        code: code(&c)?,
        quantity: u32::try_from(quantity).map_err(|_| corrupt("quantity", quantity))?,
        state: state
            .parse()
            .map_err(|_| corrupt("subscription state", &state))?,
        term_end: term_end
            .map(|d| d.parse().map_err(|_| corrupt("term_end", &d)))
            .transpose()?,
        state_since: since
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|_| corrupt("state_since", &t))
            })
            .transpose()?,
        unit_price: price
            .map(|p| p.parse().map_err(|_| corrupt("unit_price", &p)))
            .transpose()?,
        currency: currency
            .map(|c| c.parse().map_err(|_| corrupt("currency", &c)))
            .transpose()?,
    })
}

/// A subscription as stored columns: state, term end, state since, unit price, currency.
pub fn subscription_columns(
    s: &seatline_domain::Subscription,
) -> (
    &'static str,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    (
        s.state.as_str(),
        s.term_end.map(|d| d.to_string()),
        s.state_since.map(seatline_domain::lifecycle::stamp),
        s.unit_price.as_ref().map(|p| p.as_str().to_owned()),
        s.currency.as_ref().map(|c| c.as_str().to_owned()),
    )
}

/// One row of the entitlement read: which part it is (`m` member, `e` extension, `a` add-on,
/// `n` number, `s` subscription) and up to seven text columns, every value cast to text so one
/// UNION carries them all on both backends.
pub type TaggedRow = (String, [Option<String>; 7]);

/// The entitlement sources from the tagged rows of the one-statement read; `None` without a
/// member row.
pub fn entitlement_sources(
    rows: impl IntoIterator<Item = TaggedRow>,
) -> Result<Option<crate::EntitlementSources>> {
    fn text(v: &mut Option<String>, what: &str) -> Result<String> {
        v.take().ok_or_else(|| corrupt(what, "NULL"))
    }
    fn int(v: &mut Option<String>, what: &str) -> Result<i64> {
        let t = text(v, what)?;
        t.parse().map_err(|_| corrupt(what, &t))
    }
    let (mut member, mut key, mut subscriptions) = (None, None, Vec::new());
    let mut parts = KeyedParts::default();
    for (kind, mut c) in rows {
        match kind.as_str() {
            "m" => {
                member = Some(crate::decode::member(
                    text(&mut c[0], "member id")?,
                    &text(&mut c[1], "email")?,
                    text(&mut c[2], "name")?,
                    &text(&mut c[3], "role")?,
                    &text(&mut c[4], "status")?,
                )?)
            }
            "e" => key = Some(int(&mut c[0], "extension key")?),
            "a" => parts.add_addon(
                int(&mut c[0], "extension key")?,
                &text(&mut c[1], "code")?,
                int(&mut c[2], "copies")?,
            )?,
            "n" => parts.add_number(
                int(&mut c[0], "extension key")?,
                &text(&mut c[1], "number")?,
            )?,
            "s" => subscriptions.push(subscription((
                text(&mut c[0], "code")?,
                int(&mut c[1], "quantity")?,
                text(&mut c[2], "subscription state")?,
                c[3].take(),
                c[4].take(),
                c[5].take(),
                c[6].take(),
            ))?),
            other => return Err(corrupt("entitlement row kind", other)),
        }
    }
    let Some(member) = member else {
        return Ok(None);
    };
    let extension = key
        .map(|k| {
            let mut ext = parts.extension(k, Some(member.id.0.clone()))?;
            ext.numbers.sort();
            Ok::<_, StoreError>(ext)
        })
        .transpose()?;
    subscriptions.sort_by_key(|s| s.code);
    Ok(Some(crate::EntitlementSources {
        member,
        extension,
        subscriptions,
    }))
}

/// Teams from their rows `(id, name, enabled, created_at, updated_at)` and memberships
/// `(team, member)`, in the order both backends answer: by name ignoring case, then id;
/// members sorted.
pub fn teams(
    rows: Vec<(String, String, bool, String, String)>,
    memberships: Vec<(String, String)>,
) -> Vec<seatline_domain::Team> {
    let mut by_team: HashMap<String, Vec<MemberId>> = Default::default();
    for (team, member) in memberships {
        by_team.entry(team).or_default().push(MemberId(member));
    }
    let mut teams: Vec<seatline_domain::Team> = rows
        .into_iter()
        .map(|(id, name, enabled, created_at, updated_at)| {
            let mut members = by_team.remove(&id).unwrap_or_default();
            members.sort();
            seatline_domain::Team {
                id: seatline_domain::TeamId(id),
                name,
                enabled,
                members,
                created_at,
                updated_at,
            }
        })
        .collect();
    teams.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
    teams
}

/// The six texts of the one-statement entitlement read, from one store's SQL: by member id
/// and by email, each without a token, with a member token and with an integration token
/// (see [`entitlement_statement`] for which is which). `member` is the CTE `m` picking the
/// member by `{member}`, left open; `parts` the CTE `e` and the tagged UNION after it; each
/// token a CTE `t` (id, org_id, who, hash, created_at, revoked) and the holder's `h` row;
/// `org` the placeholder of the organization.
pub fn entitlement_statements(
    member: &str,
    parts: &str,
    [member_token, integration_token]: [(&str, &str); 2],
    org: &str,
) -> [String; 6] {
    let plain = |column: &str| format!("WITH {})\n,{parts}", member.replace("{member}", column));
    let by_token = |column: &str, (token, holder): (&str, &str)| {
        format!(
            "WITH {token},\n{} AND EXISTS (SELECT 1 FROM t WHERE org_id = {org})),\n{parts}
             UNION ALL
             SELECT 't', id, org_id, who, hash, created_at, CAST(revoked AS TEXT), NULL FROM t
             UNION ALL
             {holder}",
            member.replace("{member}", column)
        )
    };
    [
        plain("id"),
        plain("email"),
        by_token("id", member_token),
        by_token("email", member_token),
        by_token("id", integration_token),
        by_token("email", integration_token),
    ]
}

/// Which of [`entitlement_statements`] reads `member` with this token (`Some(true)` an
/// integration token's), and the member id or email it binds.
pub fn entitlement_statement(member: &crate::MemberRef, token: Option<bool>) -> (usize, &str) {
    let (column, value) = match member {
        crate::MemberRef::Id(id) => (0, id.as_str()),
        crate::MemberRef::Email(email) => (1, email.as_str()),
    };
    let token = match token {
        None => 0,
        Some(false) => 2,
        Some(true) => 4,
    };
    (token + column, value)
}

/// [`crate::Store::token_entitlements`] from the tagged rows of a one-statement read: the
/// entitlement rows, a `t` row for the token (id, org, member id or name, hash, created at,
/// revoked as `true`/`false` or `1`/`0`) and, for a member token, an `h` row of its holder.
pub fn token_entitlements(
    rows: impl IntoIterator<Item = TaggedRow>,
    integration: bool,
) -> Result<crate::TokenEntitlements> {
    let (mut token, mut holder, mut parts) = (None, None, Vec::new());
    for row in rows {
        match row.0.as_str() {
            "t" => token = Some(row.1),
            "h" => holder = Some(row.1),
            _ => parts.push(row),
        }
    }
    let holder = token
        .map(|t| token_holder(t, holder, integration))
        .transpose()?;
    Ok(crate::TokenEntitlements {
        holder,
        sources: entitlement_sources(parts)?,
    })
}

fn token_holder(
    t: [Option<String>; 7],
    holder: Option<[Option<String>; 7]>,
    integration: bool,
) -> Result<crate::TokenHolder> {
    let [id, org, who, hash, created_at, revoked, _] =
        t.map(|c| c.ok_or_else(|| corrupt("token row", "NULL")));
    let revoked = match revoked?.as_str() {
        "true" | "1" => true,
        "false" | "0" => false,
        other => return Err(corrupt("token revoked", other)),
    };
    let (id, org, who, hash, created_at) = (id?, OrgId(org?), who?, hash?, created_at?);
    if integration {
        return Ok(crate::TokenHolder::Integration(
            crate::IntegrationTokenRow {
                id,
                org,
                name: who,
                hash,
                created_at,
                revoked,
            },
        ));
    }
    // A token's holder row exists: the foreign key keeps the member while it has tokens.
    let [hid, email, name, role, status, ..] = holder
        .ok_or_else(|| corrupt("token holder", "missing"))?
        .map(|c| c.unwrap_or_default());
    Ok(crate::TokenHolder::Member(
        crate::TokenRow {
            id,
            org,
            member: MemberId(who),
            hash,
            created_at,
            revoked,
        },
        member(hid, &email, name, &role, &status)?,
    ))
}
