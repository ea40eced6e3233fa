//! SCIM Groups are Seatline's teams (product.md §12): `id` = team id, `displayName` = name,
//! `members` = `[{value: member id, display: email, $ref}]`. Create, get, list (filter
//! `displayName eq` / `id eq`), PUT, DELETE, and PATCH as Entra ID and Okta send it: add
//! members (`path: members`, value a list of `{value}`), remove them (`members[value eq
//! "id"]`, or `path: members` with a value list), replace members or displayName (with a
//! path, or a value object without one). Each write is one use case of the app.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use seatline_app::scim_url::from_headers as base_url;
use seatline_app::{TeamChange, TeamView};
use seatline_domain::{Error, ErrorCode, OrgId};
use serde_json::{json, Value};

use super::error::ScimResult;
use super::resource::project;
use super::schemas::{GROUP, PATCH_OP};
use super::{json_body, list_response, Params, Scim, ScimAuth};
use crate::AppState;

fn org(ctx: &seatline_app::Ctx) -> ScimResult<OrgId> {
    ctx.org.clone().ok_or_else(|| {
        Error::new(
            ErrorCode::Unauthenticated,
            "a SCIM token names its organization",
        )
        .into()
    })
}

/// A team as a SCIM Group.
fn render(t: &TeamView, base: &str) -> Value {
    let members: Vec<Value> = t
        .members
        .iter()
        .map(|id| json!({"value": id, "$ref": format!("{base}/Users/{id}"), "type": "User"}))
        .collect();
    json!({
        "schemas": [GROUP],
        "id": t.id,
        "displayName": t.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": t.created_at,
            "lastModified": t.updated_at,
            "location": format!("{base}/Groups/{}", t.id),
        },
    })
}

fn answer(status: StatusCode, t: &TeamView, headers: &HeaderMap, p: &Params) -> ScimResult<Scim> {
    let base = base_url(headers);
    let body = project(render(t, &base), &p.attributes, &p.excluded);
    Ok(Scim {
        status,
        location: (status == StatusCode::CREATED).then(|| format!("{base}/Groups/{}", t.id)),
        body,
        etag: None,
    })
}

/// `attr eq "value"`, as (attr, value).
fn equality(f: &str) -> Option<(&str, String)> {
    let mut parts = f.trim().splitn(3, char::is_whitespace);
    let (attr, op, value) = (parts.next()?, parts.next()?, parts.next()?);
    if !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
    Some((attr, value.replace("\\\"", "\"")))
}

/// `displayName eq "…"` or `id eq "…"`; anything else is `invalidFilter`.
fn filter(f: &str) -> ScimResult<(&'static str, String)> {
    let invalid = || -> super::error::ScimError {
        Error::new(
            ErrorCode::InvalidFilter,
            format!("the Groups filter {f:?} is not one Seatline answers: displayName eq \"…\" or id eq \"…\""),
        )
        .into()
    };
    let (attr, value) = equality(f).ok_or_else(invalid)?;
    if attr.eq_ignore_ascii_case("displayName") {
        Ok(("displayName", value))
    } else if attr.eq_ignore_ascii_case("id") {
        Ok(("id", value))
    } else {
        Err(invalid())
    }
}

pub(super) async fn list_groups(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult<Scim> {
    let p = Params::from_query(&q)?;
    let org = org(&ctx)?;
    let mut teams = s.app.teams(&ctx, &org).await?;
    if let Some(f) = &p.filter {
        let (attr, value) = filter(f)?;
        teams.retain(|t| match attr {
            "displayName" => t.name.eq_ignore_ascii_case(&value),
            _ => t.id == value,
        });
    }
    let total = teams.len() as u64;
    let start = p.start_index.max(1);
    let count = p.count.unwrap_or(100).clamp(0, 200) as usize;
    let base = base_url(&headers);
    let page: Vec<Value> = teams
        .iter()
        .skip((start - 1) as usize)
        .take(count)
        .map(|t| project(render(t, &base), &p.attributes, &p.excluded))
        .collect();
    Ok(Scim::ok(list_response(page, total, start)))
}

pub(super) async fn get_group(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult<Scim> {
    let p = Params::from_query(&q)?;
    let org = org(&ctx)?;
    let t = s.app.team(&ctx, &org, &id).await?;
    answer(StatusCode::OK, &t, &headers, &p)
}

/// `displayName` and the member ids of a Group body.
fn read_group(body: &Value) -> ScimResult<(String, Option<Vec<String>>)> {
    let get = |key: &str| {
        body.as_object().and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    };
    let name = get("displayName")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::new(ErrorCode::Malformed, "a Group needs a displayName")
                .detail("field", "displayName")
        })?
        .to_owned();
    let members = get("members").map(member_values).transpose()?;
    Ok((name, members))
}

/// The ids in `[{"value": id}, …]` (a single object is read as a list of one).
fn member_values(v: &Value) -> ScimResult<Vec<String>> {
    let items = match v {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![v.clone()],
        Value::Null => Vec::new(),
        _ => {
            return Err(Error::new(
                ErrorCode::Malformed,
                "members is a list of {\"value\": member id}",
            )
            .detail("field", "members")
            .into())
        }
    };
    items
        .iter()
        .map(|i| {
            i.get("value")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::Malformed,
                        "each member is {\"value\": member id}",
                    )
                    .detail("field", "members")
                    .into()
                })
        })
        .collect()
}

pub(super) async fn create_group(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ScimResult<Scim> {
    let p = Params::from_query(&q)?;
    let org = org(&ctx)?;
    let (name, members) = read_group(&json_body(&headers, &body)?)?;
    let t = s
        .app
        .create_team(&ctx, &org, &name, &members.unwrap_or_default())
        .await?;
    answer(StatusCode::CREATED, &t, &headers, &p)
}

pub(super) async fn replace_group(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ScimResult<Scim> {
    let p = Params::from_query(&q)?;
    let org = org(&ctx)?;
    let (name, members) = read_group(&json_body(&headers, &body)?)?;
    let change = TeamChange {
        name: Some(name),
        members: Some(members.unwrap_or_default()),
        ..TeamChange::default()
    };
    let t = s.app.change_team(&ctx, &org, &id, change).await?;
    answer(StatusCode::OK, &t, &headers, &p)
}

/// The member id in a path such as `members[value eq "mem_…"]`.
fn member_in_path(path: &str) -> Option<String> {
    let inner = path.trim().strip_prefix("members[")?.strip_suffix(']')?;
    let (attr, value) = equality(inner)?;
    attr.eq_ignore_ascii_case("value").then_some(value)
}

fn patch_change(body: Value) -> ScimResult<TeamChange> {
    let malformed = |m: &str| -> super::error::ScimError {
        Error::new(ErrorCode::Malformed, m.to_owned())
            .detail("field", "Operations")
            .into()
    };
    let declared = body.get("schemas").and_then(Value::as_array);
    if declared.is_some_and(|s| !s.iter().any(|x| x.as_str() == Some(PATCH_OP))) {
        return Err(malformed(
            "a PATCH body declares the schema urn:ietf:params:scim:api:messages:2.0:PatchOp",
        ));
    }
    let ops = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("Operations")))
        .and_then(|(_, v)| v.as_array())
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| malformed("a PATCH body needs Operations: a list of {op, path, value}"))?;
    let mut c = TeamChange::default();
    for op in ops {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let path = op.get("path").and_then(Value::as_str).map(str::trim);
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        let path_lower = path.map(str::to_ascii_lowercase);
        match (kind.as_str(), path_lower.as_deref()) {
            ("add", Some("members")) => c.add.extend(member_values(&value)?),
            ("remove", Some("members")) if value.is_null() => {
                c.members = Some(Vec::new());
                c.add.clear();
                c.remove.clear();
            }
            ("remove", Some("members")) => c.remove.extend(member_values(&value)?),
            ("remove", Some(p)) if p.starts_with("members[") => {
                let id = path.and_then(member_in_path).ok_or_else(|| {
                    super::error::ScimError::from(Error::new(
                        ErrorCode::InvalidPath,
                        "remove a member with the path members[value eq \"<member id>\"]",
                    ))
                })?;
                c.remove.push(id);
            }
            ("replace", Some("members")) => {
                c.members = Some(member_values(&value)?);
                c.add.clear();
                c.remove.clear();
            }
            ("replace" | "add", Some("displayname")) => {
                c.name = Some(value.as_str().ok_or_else(|| malformed("displayName is a string"))?.to_owned());
            }
            ("replace" | "add", None) => {
                let Value::Object(fields) = &value else {
                    return Err(malformed("an operation without a path has an object value"));
                };
                for (k, v) in fields {
                    match k.to_ascii_lowercase().as_str() {
                        "displayname" => {
                            c.name = Some(v.as_str().ok_or_else(|| malformed("displayName is a string"))?.to_owned())
                        }
                        "members" if kind == "add" => c.add.extend(member_values(v)?),
                        "members" => {
                            c.members = Some(member_values(v)?);
                            c.add.clear();
                            c.remove.clear();
                        }
                        "id" | "schemas" | "meta" | "externalid" => {}
                        other => {
                            return Err(Error::new(
                                ErrorCode::InvalidPath,
                                format!("{other} is not an attribute of a Group: displayName, members"),
                            )
                            .into())
                        }
                    }
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorCode::InvalidPath,
                    format!(
                        "{kind} {} is not a Group operation Seatline answers: add/remove/replace members, replace displayName",
                        path.unwrap_or("(no path)")
                    ),
                )
                .into())
            }
        }
    }
    Ok(c)
}

pub(super) async fn patch_group(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ScimResult<Scim> {
    let p = Params::from_query(&q)?;
    let org = org(&ctx)?;
    let change = patch_change(json_body(&headers, &body)?)?;
    let t = s.app.change_team(&ctx, &org, &id, change).await?;
    answer(StatusCode::OK, &t, &headers, &p)
}

pub(super) async fn delete_group(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    Path(id): Path<String>,
) -> ScimResult<StatusCode> {
    let org = org(&ctx)?;
    s.app.delete_team(&ctx, &org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
