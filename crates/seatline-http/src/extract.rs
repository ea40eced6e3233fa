//! Request extractors whose failures answer in the one error shape: who is asking ([`Auth`]),
//! and the JSON body, query string and path ([`ApiJson`], [`ApiQuery`], [`ApiPath`]).

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use seatline_app::Ctx;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::AppState;

/// The JSON body; malformed JSON, a wrong content type, unknown fields and oversized bodies
/// answer in the error shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct ApiJson<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct ApiQuery<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct ApiPath<T>(pub T);

/// The secret of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The hash a bearer secret is compared and scoped by.
pub(crate) fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl AppState {
    /// Whether `token` is the configured operator token. Digests of equal length are compared
    /// in constant time, so neither the content nor the length of the secret leaks.
    pub(crate) fn is_operator(&self, token: &str) -> bool {
        self.operator_digest
            .is_some_and(|d| bool::from(d.ct_eq(&token_digest(token))))
    }
}

/// The secret of the request's bearer token alone, for a handler that reads the token in the
/// same store call as its answer (the entitlement read, issue 15); without one the request
/// answers 401 as with [`Auth`].
pub(crate) struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        bearer(&parts.headers)
            .map(|t| Bearer(t.to_owned()))
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// Who is acting on this request: the operator, or the member a token belongs to (read
/// fresh on every request, so a disabled member or a revoked token stops working at once).
/// Carries the request id into the audit log.
#[derive(Debug, Clone)]
pub(crate) struct Auth(pub Ctx);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let mut ctx = if state.is_operator(token) {
            Ctx::operator()
        } else {
            state.app.authenticate(token).await?
        };
        ctx.request_id = parts
            .headers
            .get(crate::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Auth(ctx))
    }
}
