//! Request extractors whose failures answer in the one error shape: who is asking ([`Auth`]),
//! and the JSON body, query string and path ([`ApiJson`], [`ApiQuery`], [`ApiPath`]).

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use seatline_app::Ctx;
use seatline_domain::{Error, ErrorCode};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, HttpCode};
use crate::nul::{may_hold_nul, nul_field, nul_message};
use crate::AppState;

/// The JSON body; malformed JSON, a wrong content type, unknown fields and oversized bodies
/// answer in the error shape, and a string holding a NUL (U+0000), which PostgreSQL cannot
/// store, is a 422 naming its field before any handler runs.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::http(
                HttpCode::UnsupportedMediaType,
                "send the body as JSON with 'Content-Type: application/json'",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::from(JsonRejection::from(r)))?;
        json_from_bytes(&bytes).map(ApiJson)
    }
}

/// Whether the request declares a JSON body (`application/json` or `application/…+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(media) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let media = media.trim().to_ascii_lowercase();
    media
        .strip_prefix("application/")
        .is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
}

/// A JSON body read into `T`, its strings first checked for NUL (see [`ApiJson`]).
pub(crate) fn json_from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if may_hold_nul(bytes) {
        if let Some(field) = serde_json::from_slice(bytes)
            .ok()
            .as_ref()
            .and_then(nul_field)
        {
            return Err(Error::new(ErrorCode::Malformed, nul_message(&field))
                .detail("field", field)
                .into());
        }
    }
    let axum::Json(v) = axum::Json::<T>::from_bytes(bytes)?;
    Ok(v)
}

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
