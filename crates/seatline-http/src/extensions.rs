//! Extensions: list and filter, provision, deprovision, assign, add-ons and numbers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::unknown_filter;
use seatline_app::views::{ExtensionView, Page};
use seatline_domain::{Code, OrgId};
use seatline_store::ExtensionQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(extensions))
        .routes(routes!(provision))
        .routes(routes!(extension, deprovision))
        .routes(routes!(assign, unassign))
        .routes(routes!(set_addons))
        .routes(routes!(set_numbers))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtensionFilter {
    /// Only the extension of this member (id or email).
    pub member: Option<String>,
    /// Only extensions without a member.
    pub unassigned: Option<bool>,
    /// Only extensions holding this add-on code.
    pub addon: Option<String>,
    /// Only keys starting with these digits.
    #[param(pattern = "^[0-9]{0,5}$")]
    pub key_prefix: Option<String>,
    /// The `next_cursor` of the previous page. `after` is accepted as its alias (the name
    /// the events and entitlements lists use).
    #[serde(alias = "after")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

impl ExtensionFilter {
    fn query(&self) -> Result<ExtensionQuery, ApiError> {
        let addon = self
            .addon
            .as_deref()
            .map(|a| a.parse::<Code>().map_err(|e| e.detail("field", "addon")))
            .transpose()?;
        if let Some(p) = &self.key_prefix {
            if p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(unknown_filter("key_prefix", p).into());
            }
        }
        let after = self
            .cursor
            .as_deref()
            .map(|c| c.parse::<u32>().map_err(|_| unknown_filter("cursor", c)))
            .transpose()?;
        Ok(ExtensionQuery {
            members: Vec::new(),
            unassigned: self.unassigned.unwrap_or(false),
            addon,
            key_prefix: self.key_prefix.clone().filter(|p| !p.is_empty()),
            // The actor's reach is the use case's to apply, never the client's to choose.
            teams: None,
            after,
            limit: self.limit.unwrap_or(0),
        })
    }
}

/// Extensions ordered by key, filtered.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/extensions", tag = "extensions",
    params(("org" = String, Path, description = "Organization id"), ExtensionFilter),
    responses((status = 200, description = "One page of extensions", body = Page<ExtensionView>)))]
async fn extensions(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(f): ApiQuery<ExtensionFilter>,
) -> ApiResult<Json<Page<ExtensionView>>> {
    let q = f.query()?;
    let page = s
        .app
        .extensions(&ctx, &OrgId(org), q, f.member.as_deref())
        .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Provision {
    /// How many extensions, at least 1.
    #[schema(minimum = 1, maximum = 99_900, example = 2)]
    pub count: i64,
    /// The first key, as a string (`"1001"`) or a number (`1001`); keys start … start+count−1
    /// must all be free.
    #[serde(deserialize_with = "key_text")]
    #[schema(schema_with = start_schema)]
    pub start: String,
}

/// An extension key as JSON sends it: a string, or a whole number (integrators type keys
/// as numbers); either reads as the key's digits.
fn key_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Key;
    impl serde::de::Visitor<'_> for Key {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an extension key as a string (\"1001\") or a whole number (1001)")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(Key)
}

fn start_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[1-9][0-9]{2,4}$")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(100))
                .maximum(Some(99_999)),
        )
        .description(Some(
            "The first key: a string or a whole number, 100 to 99999.",
        ))
        .build();
    Schema::OneOf(one_of)
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Provisioned {
    pub items: Vec<ExtensionView>,
}

/// Provision `count` extensions from `start`, all or none.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/extensions/provision", tag = "extensions",
    params(("org" = String, Path, description = "Organization id")),
    request_body = Provision,
    responses((status = 201, description = "The new extensions", body = Provisioned)))]
async fn provision(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<Provision>,
) -> ApiResult<(StatusCode, Json<Provisioned>)> {
    let items = s
        .app
        .provision(&ctx, &OrgId(org), body.count, &body.start)
        .await?;
    Ok((StatusCode::CREATED, Json(Provisioned { items })))
}

/// Read one extension.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/extensions/{key}", tag = "extensions",
    params(("org" = String, Path, description = "Organization id"),
           ("key" = String, Path, description = "Extension key")),
    responses((status = 200, description = "The extension", body = ExtensionView)))]
async fn extension(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<ExtensionView>> {
    Ok(Json(s.app.extension(&ctx, &OrgId(org), &key).await?))
}

/// Deprovision an extension without a member; its seats and numbers return.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/extensions/{key}", tag = "extensions",
    params(("org" = String, Path, description = "Organization id"),
           ("key" = String, Path, description = "Extension key")),
    responses((status = 204, description = "Deprovisioned")))]
async fn deprovision(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, key)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.deprovision(&ctx, &OrgId(org), &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Assign {
    /// Member id or email.
    #[schema(example = "ann@example.com")]
    pub member: String,
    /// Replace the extension's current member instead of refusing.
    #[serde(default)]
    pub reassign: bool,
}

/// Assign a member to the extension (or, with `reassign`, replace its member).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/extensions/{key}/member", tag = "extensions",
    params(("org" = String, Path, description = "Organization id"),
           ("key" = String, Path, description = "Extension key")),
    request_body = Assign,
    responses((status = 200, description = "The extension as assigned", body = ExtensionView)))]
async fn assign(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, key)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Assign>,
) -> ApiResult<Json<ExtensionView>> {
    let view = s
        .app
        .assign(&ctx, &OrgId(org), &key, &body.member, body.reassign)
        .await?;
    Ok(Json(view))
}

/// Unassign the extension's member; add-ons and numbers stay on the extension.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/extensions/{key}/member", tag = "extensions",
    params(("org" = String, Path, description = "Organization id"),
           ("key" = String, Path, description = "Extension key")),
    responses((status = 204, description = "Unassigned")))]
async fn unassign(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, key)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.unassign(&ctx, &OrgId(org), &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetAddons {
    /// The whole multiset of add-on codes, one entry per copy.
    #[schema(example = json!(["license_center", "device_web_rtc"]))]
    pub addons: Vec<String>,
}

/// Replace the extension's add-ons.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/extensions/{key}/addons", tag = "extensions",
    params(("org" = String, Path, description = "Organization id"),
           ("key" = String, Path, description = "Extension key")),
    request_body = SetAddons,
    responses((status = 200, description = "The extension", body = ExtensionView)))]
async fn set_addons(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, key)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SetAddons>,
) -> ApiResult<Json<ExtensionView>> {
    let view = s
        .app
        .set_addons(&ctx, &OrgId(org), &key, &body.addons)
        .await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetNumbers {
    /// Every number the extension should hold, E.164, from the inventory.
    #[schema(example = json!(["+6531234567"]))]
    pub numbers: Vec<String>,
}

/// Replace the numbers attached to the extension.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/extensions/{key}/numbers", tag = "extensions",
    params(("org" = String, Path, description = "Organization id"),
           ("key" = String, Path, description = "Extension key")),
    request_body = SetNumbers,
    responses((status = 200, description = "The extension", body = ExtensionView)))]
async fn set_numbers(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, key)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SetNumbers>,
) -> ApiResult<Json<ExtensionView>> {
    let view = s
        .app
        .set_numbers(&ctx, &OrgId(org), &key, &body.numbers)
        .await?;
    Ok(Json(view))
}
