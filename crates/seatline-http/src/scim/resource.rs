//! A member as a SCIM User (RFC 7643 §4.1) and back: rendering with `meta` and the ETag,
//! reading what a write names (bodies and PATCH values alike become [`Assignment`]s, in the
//! forms real clients send), and the `attributes` / `excludedAttributes` projection.

use seatline_app::scim::{ScimUser, UserWrite};
use seatline_domain::{contact_center, Code, Error, ErrorCode};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::schemas::{SEATLINE, SEATLINE_ATTRIBUTES, USER};

/// The add-on behind each add-on attribute of the Seatline extension.
const ADDON_ATTRIBUTES: &[(&str, Code)] = &[
    ("deviceIpPhone", Code::DeviceIpPhone),
    ("deviceWebRtc", Code::DeviceWebRtc),
    ("contactCenter", Code::LicenseCenter),
    ("callRecording", Code::CallRecording),
    ("dncChecking", Code::LicenseDncCheckingEnabled),
    ("teamChat", Code::TeamChat),
    ("deviceMobileApp", Code::DeviceMobileApp),
    ("deviceDesktopApp", Code::DeviceDesktopApp),
];

/// Whether an add-on attribute counts copies (integer) rather than saying yes or no.
fn counts_copies(code: Code) -> bool {
    matches!(code, Code::DeviceMobileApp | Code::DeviceDesktopApp)
}

/// The name split the way SCIM shows it: given name up to the first space, the rest family.
fn split_name(name: &str) -> (String, Option<String>) {
    match name.split_once(' ') {
        Some((given, family)) if !family.trim().is_empty() => {
            (given.to_owned(), Some(family.trim().to_owned()))
        }
        _ => (name.to_owned(), None),
    }
}

/// The User's given and family name: as the client wrote them (issue 26: `displayName`, the
/// member's name, does not rewrite them), else the member's name split, for members never
/// given parts over SCIM.
fn name_parts(u: &ScimUser) -> (Option<String>, Option<String>) {
    if u.given_name.is_some() || u.family_name.is_some() {
        return (u.given_name.clone(), u.family_name.clone());
    }
    let (given, family) = split_name(&u.member.name);
    (Some(given), family)
}

/// Given and family name joined as a full name.
fn joined(given: Option<&str>, family: Option<&str>) -> String {
    format!(
        "{} {}",
        given.unwrap_or_default(),
        family.unwrap_or_default()
    )
    .trim()
    .to_owned()
}

/// The Seatline extension block of a member.
fn seatline_block(u: &ScimUser) -> Value {
    let cc = contact_center(&u.member, u.extension.as_ref(), &u.states);
    let mut block = Map::new();
    if let Some(e) = &u.extension {
        block.insert("extension".into(), json!(e.key.to_string()));
    }
    block.insert("phoneSystem".into(), json!(u.extension.is_some()));
    for (name, code) in ADDON_ATTRIBUTES {
        let copies = u.extension.as_ref().map_or(0, |e| e.addons.count(*code));
        let value = if counts_copies(*code) {
            json!(copies)
        } else {
            json!(copies > 0)
        };
        block.insert((*name).into(), value);
    }
    if let Some(n) = u.extension.as_ref().and_then(|e| e.numbers.first()) {
        block.insert("phoneNumber".into(), json!(n.to_string()));
    }
    block.insert("contactCenterRole".into(), json!(cc.role));
    block.insert("contactCenterReady".into(), json!(cc.ready));
    // product.md §10: which of the extension's codes give service now, and why not.
    if let Some(e) = &u.extension {
        let flags = seatline_domain::lifecycle::effective(e, Some(&u.member), &u.states);
        block.insert("effective".into(), json!(flags));
    }
    Value::Object(block)
}

/// The User without `meta`: what its version is computed from.
fn body(u: &ScimUser) -> Map<String, Value> {
    let m = &u.member;
    let (given, family) = name_parts(u);
    let stored = u.given_name.is_some() || u.family_name.is_some();
    let formatted = if stored {
        joined(given.as_deref(), family.as_deref())
    } else {
        m.name.clone()
    };
    let mut name = json!({"formatted": formatted});
    if let Some(g) = given {
        name["givenName"] = json!(g);
    }
    if let Some(f) = family {
        name["familyName"] = json!(f);
    }
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER, SEATLINE]));
    out.insert("id".into(), json!(m.id.as_str()));
    if let Some(x) = &u.external_id {
        out.insert("externalId".into(), json!(x));
    }
    out.insert("userName".into(), json!(m.email.as_str()));
    out.insert("name".into(), name);
    out.insert("displayName".into(), json!(m.name));
    out.insert(
        "emails".into(),
        json!([{"value": m.email.as_str(), "type": "work", "primary": true}]),
    );
    out.insert(
        "active".into(),
        json!(m.status == seatline_domain::Status::Active),
    );
    out.insert(SEATLINE.into(), seatline_block(u));
    out
}

/// The User's version: a weak ETag of everything it shows, so a change of its extension or
/// add-ons by an admin moves it too.
pub(crate) fn version(u: &ScimUser) -> String {
    let digest = Sha256::digest(Value::Object(body(u)).to_string().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// The User as answered, `location` built from the URL the client used.
pub(crate) fn render(u: &ScimUser, base: &str) -> Value {
    let mut out = body(u);
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": u.created_at,
            "lastModified": u.updated_at,
            "version": version(u),
            "location": format!("{base}/Users/{}", u.member.id),
        }),
    );
    Value::Object(out)
}

/// One attribute a write names, by what it is in Seatline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    UserName,
    Email,
    DisplayName,
    Formatted,
    GivenName,
    FamilyName,
    ExternalId,
    Active,
    /// An attribute of the Seatline extension, by its schema name.
    Seatline(&'static str),
    /// A read-only attribute of the Seatline extension inside a PATCH value holding the whole
    /// extension object: a client echoing the object it read. Accepted only unchanged.
    Echo(&'static str),
}

pub(crate) type Assignment = (Target, Value);

/// Where an attribute comes from: a PATCH operation refuses read-only attributes, a POST or
/// PUT body ignores them (RFC 7644 §3.5.1) because clients echo whole resources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Source {
    Body,
    Patch,
}

fn read_only(path: &str, source: Source) -> Result<(), Error> {
    match source {
        Source::Body => Ok(()),
        Source::Patch => Err(Error::new(
            ErrorCode::ReadOnlyAttribute,
            format!("{path} is read-only; leave it out of the request"),
        )
        .detail("field", path)),
    }
}

/// Strip a schema URN prefix, case-insensitively: `urn:…:User:userName` is `userName`.
pub(crate) fn strip_urn<'a>(path: &'a str, urn: &str) -> Option<&'a str> {
    let head = path.get(..urn.len())?;
    (head.eq_ignore_ascii_case(urn) && path[urn.len()..].starts_with(':'))
        .then(|| &path[urn.len() + 1..])
}

fn is_urn(path: &str, urn: &str) -> bool {
    path.eq_ignore_ascii_case(urn)
}

/// One attribute of the Seatline extension; `in_object` when it arrives inside a value holding
/// the whole extension object.
fn seatline_attribute(
    name: &str,
    value: Value,
    source: Source,
    in_object: bool,
    out: &mut Vec<Assignment>,
) -> Result<(), Error> {
    let found = SEATLINE_ATTRIBUTES
        .iter()
        .find(|(n, ..)| n.eq_ignore_ascii_case(name));
    match found {
        // RFC 7644 §3.5.2: a client must not *modify* a read-only attribute. A PATCH of the
        // whole object read back and edited carries them as they were: not a modification.
        Some((n, _, "readOnly", _)) if in_object && source == Source::Patch => {
            out.push((Target::Echo(n), value));
            Ok(())
        }
        Some((n, _, "readOnly", _)) => read_only(n, source),
        Some((n, ..)) => {
            out.push((Target::Seatline(n), value));
            Ok(())
        }
        None => Err(Error::new(
            ErrorCode::InvalidPath,
            format!("{name} is not an attribute of {SEATLINE}; see /scim/v2/Schemas/{SEATLINE}"),
        )
        .detail("field", name.to_owned())),
    }
}

/// The work (else primary, else first) address of an `emails` value.
fn work_email(v: &Value) -> Option<Value> {
    let items = v.as_array()?;
    let of_type = |t: &str| {
        items.iter().find(|i| {
            i.get("type")
                .and_then(Value::as_str)
                .is_some_and(|x| x.eq_ignore_ascii_case(t))
        })
    };
    let primary = items
        .iter()
        .find(|i| boolean(i.get("primary")).unwrap_or(false));
    of_type("work")
        .or(primary)
        .or(items.first())
        .and_then(|i| i.get("value").cloned())
}

/// Read one attribute path and its value into assignments. `path` may be URN-prefixed,
/// dotted (`name.givenName`), or a value filter on emails (`emails[type eq "work"].value`).
pub(crate) fn assign(
    path: &str,
    value: Value,
    source: Source,
    out: &mut Vec<Assignment>,
) -> Result<(), Error> {
    let path = path.trim();
    if is_urn(path, SEATLINE) {
        return match value {
            Value::Object(map) => {
                for (k, v) in map {
                    // Clients serialising an extension object may name its schema in it.
                    if !k.eq_ignore_ascii_case("schemas") {
                        seatline_attribute(&k, v, source, true, out)?;
                    }
                }
                Ok(())
            }
            Value::Null => {
                for (n, _, mutability, _) in SEATLINE_ATTRIBUTES {
                    if *mutability == "readWrite" {
                        out.push((Target::Seatline(n), Value::Null));
                    }
                }
                Ok(())
            }
            _ => Err(Error::new(
                ErrorCode::Malformed,
                format!("{SEATLINE} takes an object of its attributes"),
            )
            .detail("field", SEATLINE)),
        };
    }
    if let Some(rest) = strip_urn(path, SEATLINE) {
        return seatline_attribute(rest, value, source, false, out);
    }
    if is_urn(path, USER) {
        return assign_object(value, source, out);
    }
    let bare = strip_urn(path, USER).unwrap_or(path);
    let lower = bare.to_ascii_lowercase();
    let squeezed = lower.replace(' ', "");
    let target = match lower.as_str() {
        "username" => Target::UserName,
        "displayname" => Target::DisplayName,
        "externalid" => Target::ExternalId,
        "active" => Target::Active,
        "name.formatted" => Target::Formatted,
        "name.givenname" => Target::GivenName,
        "name.familyname" => Target::FamilyName,
        "emails.value" => Target::Email,
        "name" => {
            if let Value::Object(map) = &value {
                for (k, v) in map {
                    assign(&format!("name.{k}"), v.clone(), source, out)?;
                }
            } else if value.is_null() {
                for t in [Target::Formatted, Target::GivenName, Target::FamilyName] {
                    out.push((t, Value::Null));
                }
            }
            return Ok(());
        }
        "emails" => {
            if let Some(v) = work_email(&value) {
                out.push((Target::Email, v));
            }
            return Ok(());
        }
        "id" | "meta" | "groups" => return read_only(bare, source),
        _ if lower.starts_with("meta.") || lower.starts_with("groups") => {
            return read_only(bare, source)
        }
        _ if squeezed == "emails[typeeq\"work\"].value" => Target::Email,
        _ if squeezed == "emails[typeeq\"work\"]" => {
            if let Some(v) = value.get("value") {
                out.push((Target::Email, v.clone()));
            }
            return Ok(());
        }
        // Attributes of the core schema Seatline does not keep (title, phoneNumbers,
        // addresses, …) and other extensions (enterprise) are accepted and not stored, so
        // an identity provider's default mappings do not fail every sync.
        _ => return Ok(()),
    };
    out.push((target, value));
    Ok(())
}

/// Every attribute of an object (a body, or a PATCH value without a path).
pub(crate) fn assign_object(
    value: Value,
    source: Source,
    out: &mut Vec<Assignment>,
) -> Result<(), Error> {
    let Value::Object(map) = value else {
        return Err(
            Error::new(ErrorCode::Malformed, "expected a JSON object of attributes")
                .detail("field", "value"),
        );
    };
    for (k, v) in map {
        if k.eq_ignore_ascii_case("schemas") {
            continue;
        }
        assign(&k, v, source, out)?;
    }
    Ok(())
}

fn text(field: &str, v: &Value) -> Result<Option<String>, Error> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(
            Error::new(ErrorCode::Malformed, format!("{field} must be a string"))
                .detail("field", field),
        ),
    }
}

fn copies(field: &str, v: &Value) -> Result<u32, Error> {
    let n = match v {
        Value::Null => Some(0),
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    };
    n.filter(|n| *n <= 10_000).map(|n| n as u32).ok_or_else(|| {
        Error::new(
            ErrorCode::Malformed,
            format!("{field} must be a whole number of copies from 0 to 10000"),
        )
        .detail("field", field)
    })
}

/// A boolean as clients send it: `true`, `"True"`, `"false"`.
fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn flag(field: &str, v: &Value) -> Result<Option<bool>, Error> {
    if v.is_null() {
        return Ok(None);
    }
    boolean(Some(v)).map(Some).ok_or_else(|| {
        Error::new(
            ErrorCode::Malformed,
            format!("{field} must be true or false"),
        )
        .detail("field", field)
    })
}

/// Whether a read-only value sent back is the one shown, as SCIM compares: strings ignoring
/// case, booleans also as strings.
fn unchanged(shown: &Value, sent: &Value) -> bool {
    match (shown, sent) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b.trim()),
        (Value::Bool(a), _) => boolean(Some(sent)) == Some(*a),
        _ => shown == sent,
    }
}

/// The write a list of assignments asks for. `current` completes a partial name (a PATCH
/// of `name.familyName` keeps the given name); `replace` (POST, PUT) clears an `externalId`
/// the body leaves out. The member's name is `displayName`, else `name.formatted`, else the
/// joined parts: always in a POST or PUT, in a PATCH only while the name is the join of the
/// current parts, so a display name the client set apart is kept (issue 26).
pub(crate) fn write_from(
    assignments: &[Assignment],
    current: Option<&ScimUser>,
    replace: bool,
) -> Result<UserWrite, Error> {
    let last = |t: &Target| {
        assignments
            .iter()
            .rev()
            .find(|(x, _)| x == t)
            .map(|(_, v)| v)
    };
    for (target, sent) in assignments {
        if let Target::Echo(name) = target {
            let shown = current
                .and_then(|u| seatline_block(u).get(*name).cloned())
                .unwrap_or(Value::Null);
            if !unchanged(&shown, sent) {
                return Err(Error::new(
                    ErrorCode::ReadOnlyAttribute,
                    format!("{name} is read-only and is {shown} now; leave it out of the request or send it unchanged"),
                )
                .detail("field", *name));
            }
        }
    }
    let mut w = UserWrite::default();
    let user_name = match last(&Target::UserName).or_else(|| last(&Target::Email)) {
        Some(v) => Some(text("userName", v)?.ok_or_else(|| {
            Error::new(
                ErrorCode::Malformed,
                "userName is required and cannot be removed: it is the member's email",
            )
            .detail("field", "userName")
        })?),
        None => None,
    };
    w.email = user_name;
    let display = last(&Target::DisplayName)
        .map(|v| text("displayName", v))
        .transpose()?
        .flatten();
    let formatted = last(&Target::Formatted)
        .map(|v| text("name.formatted", v))
        .transpose()?
        .flatten();
    let (cur_given, cur_family) = current.map_or((None, None), name_parts);
    let follows_parts = replace
        || current
            .is_some_and(|u| u.member.name == joined(cur_given.as_deref(), cur_family.as_deref()));
    let given = last(&Target::GivenName)
        .map(|v| text("name.givenName", v))
        .transpose()?;
    let family = last(&Target::FamilyName)
        .map(|v| text("name.familyName", v))
        .transpose()?;
    let mut parts = None;
    if given.is_some() || family.is_some() {
        let g = given.unwrap_or(cur_given);
        let f = family.unwrap_or(cur_family);
        parts = Some(joined(g.as_deref(), f.as_deref())).filter(|_| follows_parts);
        w.given_name = Some(g);
        w.family_name = Some(f);
    }
    w.name = display.or(formatted).or(parts).filter(|n| !n.is_empty());
    w.external_id = match last(&Target::ExternalId) {
        Some(v) => Some(text("externalId", v)?),
        None if replace => Some(None),
        None => None,
    };
    w.active = last(&Target::Active)
        .map(|v| flag("active", v))
        .transpose()?
        .flatten();
    let seatline = |name: &'static str| last(&Target::Seatline(name));
    if let Some(v) = seatline("extension") {
        w.extension = Some(text("extension", v)?);
    }
    if let Some(v) = seatline("phoneSystem") {
        w.phone_system = Some(flag("phoneSystem", v)?.unwrap_or(false));
    }
    if let Some(v) = seatline("phoneNumber") {
        w.phone_number = Some(text("phoneNumber", v)?);
    }
    for (name, code) in ADDON_ATTRIBUTES {
        if let Some(v) = seatline(name) {
            let n = if counts_copies(*code) {
                copies(name, v)?
            } else {
                u32::from(flag(name, v)?.unwrap_or(false))
            };
            w.addons.push((*code, n));
        }
    }
    Ok(w)
}

/// One attribute named by `attributes` / `excludedAttributes`: a top-level key of the
/// rendered User and, optionally, one of its sub-attributes.
fn selector(spec: &str) -> (String, Option<String>) {
    let spec = spec.trim();
    if is_urn(spec, SEATLINE) {
        return (SEATLINE.to_owned(), None);
    }
    if let Some(rest) = strip_urn(spec, SEATLINE) {
        return (SEATLINE.to_owned(), Some(rest.to_owned()));
    }
    let bare = strip_urn(spec, USER).unwrap_or(spec);
    match bare.split_once('.') {
        Some((top, sub)) => (top.to_owned(), Some(sub.to_owned())),
        None => (bare.to_owned(), None),
    }
}

/// Apply `attributes` (only these, plus `id` and `schemas`, which are always returned) or
/// `excludedAttributes` (all but these) to a rendered User.
pub(crate) fn project(resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Value::Object(map) = resource else {
        return resource;
    };
    let find = |specs: &[String], key: &str| -> Option<Vec<Option<String>>> {
        let subs: Vec<Option<String>> = specs
            .iter()
            .map(|s| selector(s))
            .filter(|(top, _)| top.eq_ignore_ascii_case(key))
            .map(|(_, sub)| sub)
            .collect();
        (!subs.is_empty()).then_some(subs)
    };
    let keep_subs = |v: Value, subs: &[Option<String>], keep: bool| -> Option<Value> {
        if subs.iter().any(Option::is_none) {
            return keep.then_some(v);
        }
        let Value::Object(inner) = v else {
            return keep.then_some(v);
        };
        let named = |k: &str| subs.iter().flatten().any(|s| s.eq_ignore_ascii_case(k));
        let kept: Map<String, Value> = inner
            .into_iter()
            .filter(|(k, _)| named(k) == keep)
            .collect();
        Some(Value::Object(kept))
    };
    let mut out = Map::new();
    for (k, v) in map {
        let always = k == "id" || k == "schemas";
        if !attributes.is_empty() {
            match find(attributes, &k) {
                _ if always => {
                    out.insert(k, v);
                }
                Some(subs) => {
                    if let Some(v) = keep_subs(v, &subs, true) {
                        out.insert(k, v);
                    }
                }
                None => {}
            }
        } else if let (Some(subs), false) = (find(excluded, &k), always) {
            if let Some(v) = keep_subs(v, &subs, false) {
                out.insert(k, v);
            }
        } else {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}
