//! What one member may use now: its extension, add-ons and Contact Center readiness.

use axum::extract::State;
use axum::Json;
use seatline_app::views::Entitlements;
use seatline_app::Ctx;
use seatline_domain::OrgId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiPath, Bearer};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(entitlements))
}

/// What a member may use now: its extension, add-ons and Contact Center readiness.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members/{member}/entitlements", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    responses((status = 200, description = "The member's entitlements", body = Entitlements)))]
async fn entitlements(
    State(s): State<AppState>,
    // Not the `Auth` extractor: the token is read with the entitlements (issue 15).
    Bearer(token): Bearer,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<Json<Entitlements>> {
    let org = OrgId(org);
    let view = if s.is_operator(&token) {
        s.app.entitlements(&Ctx::operator(), &org, &member).await?
    } else {
        s.app.entitlements_by_secret(&token, &org, &member).await?
    };
    Ok(Json(view))
}
