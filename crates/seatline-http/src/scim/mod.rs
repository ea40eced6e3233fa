//! SCIM 2.0 for members (product.md §9, RFC 7643/7644) at `/scim/v2`, for identity
//! providers such as Entra ID and Okta. The organization comes from the SCIM bearer token;
//! every write is one use case of `seatline_app::scim`, through the same rules, seats and
//! audit as the admin UI. Answers are `application/scim+json`; errors use SCIM's error body.
//! The owner's `/api/v1/orgs/{org}/scim-tokens` routes live in [`tokens`].

pub(crate) mod error;
mod filter;
mod groups;
mod patch;
mod resource;
pub(crate) mod schemas;
mod tokens;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use seatline_app::scim::ScimUser;
use seatline_app::scim_url::from_headers as base_url;
use seatline_app::Ctx;
use seatline_domain::{Error, ErrorCode};
use seatline_store::ScimQuery;
use serde_json::{json, Value};

use crate::nul::{nul_field, nul_message};
use crate::AppState;
use error::{ScimError, ScimResult};
use resource::{assign_object, Source};
use schemas::{LIST, SCIM_JSON, SEARCH};

pub(crate) use tokens::routes;

/// Largest SCIM request body: axum stops reading there, and the edge answers the 413 in
/// SCIM's shape.
const BODY_LIMIT: usize = 256 * 1024;

/// The SCIM protocol's routes, to nest at [`seatline_app::scim_url::SCIM_PATH`].
pub(crate) fn protocol() -> Router<AppState> {
    Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas_list))
        .route("/Schemas/{id}", get(schema))
        .route("/Users", get(list_users).post(create_user))
        .route("/Users/.search", axum::routing::post(search_users))
        // A search at the root covers every resource type: Users are the only one.
        .route("/.search", axum::routing::post(search_users))
        .route(
            "/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route(
            "/Groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route(
            "/Groups/{id}",
            get(groups::get_group)
                .put(groups::replace_group)
                .patch(groups::patch_group)
                .delete(groups::delete_group),
        )
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

async fn unknown_path() -> ScimError {
    Error::new(
        ErrorCode::NotFound,
        "no such SCIM endpoint; Seatline serves Users, Groups, Schemas, ResourceTypes and ServiceProviderConfig",
    )
    .into()
}

async fn method_not_allowed() -> ScimError {
    ScimError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        scim_type: None,
        detail: "method_not_allowed: this SCIM endpoint does not accept this method".into(),
    }
}

/// A SCIM answer: the JSON with SCIM's media type, and headers such as ETag and Location.
struct Scim {
    status: StatusCode,
    body: Value,
    etag: Option<String>,
    location: Option<String>,
}

impl Scim {
    fn ok(body: Value) -> Self {
        Scim {
            status: StatusCode::OK,
            body,
            etag: None,
            location: None,
        }
    }
    fn user(status: StatusCode, u: &ScimUser, base: &str, query: &Params) -> Self {
        let rendered = resource::render(u, base);
        let location = rendered["meta"]["location"].as_str().map(str::to_owned);
        Scim {
            status,
            body: resource::project(rendered, &query.attributes, &query.excluded),
            etag: Some(resource::version(u)),
            location: (status == StatusCode::CREATED)
                .then_some(location)
                .flatten(),
        }
    }
}

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body.to_string()).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        for (name, value) in [(header::ETAG, self.etag), (header::LOCATION, self.location)] {
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                h.insert(name, v);
            }
        }
        res
    }
}

/// The identity provider acting: its SCIM token, read on every request so a revoked token
/// stops at once. Member and operator tokens are not SCIM tokens.
struct ScimAuth(Ctx);

impl FromRequestParts<AppState> for ScimAuth {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let token = crate::extract::bearer(&parts.headers).ok_or_else(|| {
            ScimError::from(Error::new(
                ErrorCode::Unauthenticated,
                "send 'Authorization: Bearer <SCIM token>'; the organization's owner creates one under SCIM settings",
            ))
        })?;
        let mut ctx = state.app.scim_authenticate(token).await?;
        ctx.request_id = parts
            .headers
            .get(crate::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(ScimAuth(ctx))
    }
}

/// A JSON body sent as `application/scim+json` or `application/json`.
fn json_body(headers: &HeaderMap, bytes: &Bytes) -> ScimResult<Value> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if let Some(m) = media {
        if m != SCIM_JSON && m != "application/json" {
            return Err(ScimError {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                scim_type: None,
                detail: format!(
                    "unsupported_media_type: send the body as {SCIM_JSON} or application/json, not {m}"
                ),
            });
        }
    }
    let body: Value = serde_json::from_slice(bytes).map_err(|e| {
        ScimError::from(Error::new(
            ErrorCode::Malformed,
            format!("the body is not valid JSON: {e}"),
        ))
    })?;
    // PostgreSQL cannot store a NUL, and an identity provider retries a 500 forever.
    match nul_field(&body) {
        Some(field) => Err(invalid_value(&field, nul_message(&field))),
        None => Ok(body),
    }
}

/// `attributes`, `excludedAttributes` and paging, from a query string or a SearchRequest.
#[derive(Debug, Default)]
struct Params {
    filter: Option<String>,
    start_index: i64,
    count: Option<i64>,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

fn invalid_value(field: &str, message: impl Into<String>) -> ScimError {
    Error::new(ErrorCode::Malformed, message)
        .detail("field", field)
        .into()
}

fn names(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Params {
    fn from_query(q: &HashMap<String, String>) -> ScimResult<Self> {
        let get = |key: &str| {
            q.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        };
        let int = |key: &str| -> ScimResult<Option<i64>> {
            get(key)
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| invalid_value(key, format!("{key} must be a whole number")))
                })
                .transpose()
        };
        Ok(Params {
            filter: get("filter").map(str::to_owned),
            start_index: int("startIndex")?.unwrap_or(1),
            count: int("count")?,
            attributes: get("attributes").map(names).unwrap_or_default(),
            excluded: get("excludedAttributes").map(names).unwrap_or_default(),
        })
    }

    fn from_search(body: &Value) -> ScimResult<Self> {
        let get = |key: &str| {
            body.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            })
        };
        let int = |key: &str| -> ScimResult<Option<i64>> {
            match get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .map(Some)
                    .ok_or_else(|| invalid_value(key, format!("{key} must be a whole number"))),
            }
        };
        let list = |key: &str| -> Vec<String> {
            match get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                Some(Value::String(s)) => names(s),
                _ => Vec::new(),
            }
        };
        Ok(Params {
            filter: get("filter").and_then(Value::as_str).map(str::to_owned),
            start_index: int("startIndex")?.unwrap_or(1),
            count: int("count")?,
            attributes: list("attributes"),
            excluded: list("excludedAttributes"),
        })
    }
}

async fn service_provider_config() -> Scim {
    Scim::ok(schemas::service_provider_config())
}

fn list_response(resources: Vec<Value>, total: u64, start_index: i64) -> Value {
    json!({
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

async fn resource_types() -> Scim {
    let all = schemas::resource_types();
    let n = all.len() as u64;
    Scim::ok(list_response(all, n, 1))
}

fn by_id(all: Vec<Value>, id: &str, what: &str) -> ScimResult<Scim> {
    all.into_iter()
        .find(|v| v["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
        .map(Scim::ok)
        .ok_or_else(|| Error::not_found(what, id).into())
}

async fn resource_type(Path(id): Path<String>) -> ScimResult<Scim> {
    by_id(schemas::resource_types(), &id, "resource type")
}

async fn schemas_list() -> Scim {
    let all = schemas::schemas();
    let n = all.len() as u64;
    Scim::ok(list_response(all, n, 1))
}

async fn schema(Path(id): Path<String>) -> ScimResult<Scim> {
    by_id(schemas::schemas(), &id, "schema")
}

async fn list(state: &AppState, ctx: &Ctx, p: Params, base: &str) -> ScimResult<Scim> {
    let query = match p.filter.as_deref() {
        Some(f) => filter::parse(f)?,
        None => Some(ScimQuery::default()),
    };
    let start_index = p.start_index.max(1);
    let count = p
        .count
        .unwrap_or(100)
        .clamp(0, i64::from(schemas::MAX_RESULTS)) as u32;
    let (total, users) = match query {
        None => (0, Vec::new()),
        Some(q) => {
            let q = ScimQuery {
                offset: (start_index - 1) as u64,
                limit: count,
                ..q
            };
            state.app.scim_users(ctx, q).await?
        }
    };
    let resources = users
        .iter()
        .map(|u| resource::project(resource::render(u, base), &p.attributes, &p.excluded))
        .collect();
    Ok(Scim::ok(list_response(resources, total, start_index)))
}

async fn list_users(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult<Scim> {
    list(&s, &ctx, Params::from_query(&q)?, &base_url(&headers)).await
}

async fn search_users(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Scim> {
    let body = json_body(&headers, &body)?;
    let declared = body.get("schemas").and_then(Value::as_array);
    if declared.is_some_and(|s| !s.iter().any(|x| x.as_str() == Some(SEARCH))) {
        return Err(invalid_value(
            "schemas",
            format!("a search body declares the schema {SEARCH}"),
        ));
    }
    list(&s, &ctx, Params::from_search(&body)?, &base_url(&headers)).await
}

async fn get_user(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult<Scim> {
    let params = Params::from_query(&q)?;
    let user = s.app.scim_user(&ctx, &id).await?;
    Ok(Scim::user(
        StatusCode::OK,
        &user,
        &base_url(&headers),
        &params,
    ))
}

async fn create_user(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ScimResult<Scim> {
    let params = Params::from_query(&q)?;
    let mut assigned = Vec::new();
    assign_object(json_body(&headers, &body)?, Source::Body, &mut assigned)?;
    let write = resource::write_from(&assigned, None, true)?;
    let user = s.app.scim_create(&ctx, write).await?;
    Ok(Scim::user(
        StatusCode::CREATED,
        &user,
        &base_url(&headers),
        &params,
    ))
}

/// The `If-Match` header's text, if sent. One that is not visible ASCII (an ETag never is
/// anything else) is refused: ignored, it would let the write through unchecked. Control
/// characters never get this far: hyper refuses the request line with a bare 400.
fn if_match(headers: &HeaderMap) -> Result<Option<&str>, Error> {
    headers
        .get(header::IF_MATCH)
        .map(|v| {
            v.to_str().map_err(|_| {
                Error::new(
                    ErrorCode::Malformed,
                    "If-Match holds characters no ETag has; send the meta.version read from the User, e.g. W/\"3f2a…\"",
                )
                .detail("field", "If-Match")
            })
        })
        .transpose()
}

/// `If-Match` (RFC 7644 §3.14): the write applies only to the version the client read.
fn check_if_match(headers: &HeaderMap, current: &ScimUser) -> Result<(), Error> {
    let Some(wanted) = if_match(headers)? else {
        return Ok(());
    };
    let have = resource::version(current);
    let bare = |t: &str| {
        t.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    let matches = wanted
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(&have));
    if matches {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::PreconditionFailed,
            format!("the user is at version {have}, not {wanted}; read it again and retry"),
        ))
    }
}

async fn replace_user(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ScimResult<Scim> {
    let params = Params::from_query(&q)?;
    let mut assigned = Vec::new();
    assign_object(json_body(&headers, &body)?, Source::Body, &mut assigned)?;
    let user = s
        .app
        .scim_update(&ctx, &id, |current| {
            check_if_match(&headers, current)?;
            resource::write_from(&assigned, Some(current), true)
        })
        .await?;
    Ok(Scim::user(
        StatusCode::OK,
        &user,
        &base_url(&headers),
        &params,
    ))
}

async fn patch_user(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ScimResult<Scim> {
    let params = Params::from_query(&q)?;
    let assigned = patch::assignments(json_body(&headers, &body)?)?;
    let user = s
        .app
        .scim_update(&ctx, &id, |current| {
            check_if_match(&headers, current)?;
            resource::write_from(&assigned, Some(current), false)
        })
        .await?;
    Ok(Scim::user(
        StatusCode::OK,
        &user,
        &base_url(&headers),
        &params,
    ))
}

async fn delete_user(
    State(s): State<AppState>,
    ScimAuth(ctx): ScimAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<StatusCode> {
    s.app
        .scim_delete(&ctx, &id, |current| check_if_match(&headers, current))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_if_match_is_refused_not_ignored() {
        let mut headers = HeaderMap::new();
        assert_eq!(if_match(&headers).unwrap(), None);
        headers.insert(header::IF_MATCH, HeaderValue::from_static("W/\"ab\""));
        assert_eq!(if_match(&headers).unwrap(), Some("W/\"ab\""));
        let odd = HeaderValue::from_bytes(b"W/\"a\xc2\x85b\"").unwrap();
        headers.insert(header::IF_MATCH, odd);
        let e = ScimError::from(if_match(&headers).unwrap_err());
        assert_eq!(
            (e.status.as_u16(), e.scim_type),
            (400, Some("invalidValue"))
        );
        assert!(e.detail.contains("If-Match"), "{}", e.detail);
    }
}
