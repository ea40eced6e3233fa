//! Contact Center readiness: every member's role, whether it is ready and what is missing.

use axum::extract::State;
use axum::Json;
use seatline_app::views::{MemberView, Page};
use seatline_domain::OrgId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::orgs::PageQuery;
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(contact_center))
}

/// Every member's Contact Center role, readiness and what is missing.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/contact-center", tag = "members",
    params(("org" = String, Path, description = "Organization id"), PageQuery),
    responses((status = 200, description = "One page of members", body = Page<MemberView>)))]
async fn contact_center(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<MemberView>>> {
    let page = s
        .app
        .contact_center(&ctx, &OrgId(org), q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(page))
}
