//! `/api/v1/me`: who a bearer token is, whatever kind of token it is.

use axum::extract::State;
use axum::Json;
use seatline_app::Ctx;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::Bearer;
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// Who the bearer token is: its kind, its organization, and for a member token the member
/// and its role. Any valid token may ask, a SCIM token too (the only route of this API it
/// reaches: an identity provider's admin checks which organization a token is for).
#[utoipa::path(get, path = "/api/v1/me", tag = "tokens",
    responses((status = 200, description = "Who the token is", body = seatline_app::Me)))]
async fn me(
    State(s): State<AppState>,
    Bearer(secret): Bearer,
) -> ApiResult<Json<seatline_app::Me>> {
    let ctx = if s.is_operator(&secret) {
        Ctx::operator()
    } else {
        match s.app.authenticate(&secret).await {
            Ok(ctx) => ctx,
            // Not a member's or an integration token: perhaps a SCIM token; if not, the
            // first refusal says why.
            Err(refused) => s
                .app
                .scim_authenticate(&secret)
                .await
                .map_err(|_| refused)?,
        }
    };
    Ok(Json(s.app.me(&ctx).await?))
}
