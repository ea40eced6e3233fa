//! The one place errors become HTTP: every failure answers
//! `{"error": {"code", "message", "details"}}` with the status its kind maps to.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use seatline_app::AppError;
use seatline_domain::{Error, ErrorCode, ErrorKind};
use seatline_store::StoreError;
use serde_json::{json, Map, Value};

/// Codes the transport itself answers with, beside the domain's [`ErrorCode`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpCode {
    Conflict,
    MethodNotAllowed,
    UnsupportedMediaType,
    Internal,
    RequestTimeout,
    HeadersTooLarge,
    UriTooLong,
}

impl HttpCode {
    pub(crate) const ALL: [HttpCode; 7] = [
        HttpCode::Conflict,
        HttpCode::MethodNotAllowed,
        HttpCode::UnsupportedMediaType,
        HttpCode::Internal,
        HttpCode::RequestTimeout,
        HttpCode::HeadersTooLarge,
        HttpCode::UriTooLong,
    ];
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HttpCode::Conflict => "conflict",
            HttpCode::MethodNotAllowed => "method_not_allowed",
            HttpCode::UnsupportedMediaType => "unsupported_media_type",
            HttpCode::Internal => "internal",
            HttpCode::RequestTimeout => "request_timeout",
            HttpCode::HeadersTooLarge => "headers_too_large",
            HttpCode::UriTooLong => "uri_too_long",
        }
    }
    pub(crate) fn status(self) -> StatusCode {
        match self {
            HttpCode::Conflict => StatusCode::CONFLICT,
            HttpCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            HttpCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            HttpCode::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HttpCode::UriTooLong => StatusCode::URI_TOO_LONG,
        }
    }
    pub(crate) fn description(self) -> &'static str {
        match self {
            HttpCode::Conflict => {
                "A concurrent change won; the database refused this one. Read and retry."
            }
            HttpCode::MethodNotAllowed => "The path exists but not with this method.",
            HttpCode::UnsupportedMediaType => "The body must be sent as application/json.",
            HttpCode::Internal => {
                "An unexpected failure; the cause is logged under the request id."
            }
            HttpCode::RequestTimeout => "The request took longer than 60 seconds and was stopped.",
            HttpCode::HeadersTooLarge => {
                "More than 100 request headers, or more than 32 KiB of them."
            }
            HttpCode::UriTooLong => {
                "The request URI (path and query) is longer than 16 KiB; SCIM filters that long go in the body of POST /scim/v2/Users/.search."
            }
        }
    }
}

/// The status each domain error kind answers with.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Gone => StatusCode::GONE,
    }
}

/// Any failure of a request, ready to render.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Map<String, Value>,
}

impl ApiError {
    pub(crate) fn http(code: HttpCode, message: impl Into<String>) -> Self {
        ApiError {
            status: code.status(),
            code: code.as_str(),
            message: message.into(),
            details: Map::new(),
        }
    }

    pub(crate) fn domain(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::new(code, message).into()
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::domain(ErrorCode::Malformed, message)
    }

    pub(crate) fn unauthenticated() -> Self {
        Self::domain(
            ErrorCode::Unauthenticated,
            "send 'Authorization: Bearer <token>'; ask an owner or the operator for a token",
        )
    }

    /// A failure the client cannot fix: the cause goes to the log, the client gets an opaque
    /// message.
    pub(crate) fn internal(cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "request failed");
        Self::http(
            HttpCode::Internal,
            "an internal error occurred; it has been logged, retry later or report the request id",
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError {
            status: status_of(e.code.kind()),
            code: e.code.as_str(),
            message: e.message,
            details: e.details,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Rule(e) => e.into(),
            AppError::Store(StoreError::Constraint(what)) => {
                tracing::warn!(constraint = %what, "a database constraint refused a change");
                ApiError::http(
                    HttpCode::Conflict,
                    "a concurrent change conflicts with this request; read the current state and retry",
                )
            }
            AppError::Store(e) => ApiError::internal(&e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::domain(
                ErrorCode::TooLarge,
                "the request body is too large for this endpoint",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::http(
                HttpCode::UnsupportedMediaType,
                "send the body as JSON with 'Content-Type: application/json'",
            ),
            _ => ApiError::malformed(format!(
                "the JSON body could not be read: {}",
                r.body_text()
            )),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::malformed(format!(
            "the query string could not be read: {}",
            r.body_text()
        ))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::malformed(format!("the path could not be read: {}", r.body_text()))
    }
}

/// The wire form of an error.
pub(crate) fn error_body(code: &str, message: &str, details: &Map<String, Value>) -> Value {
    json!({"error": {"code": code, "message": message, "details": details}})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(error_body(self.code, &self.message, &self.details)),
        )
            .into_response();
        // A busy server says when to come back (the seconds are in the details too).
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            let secs = self
                .details
                .get("retry_after")
                .and_then(Value::as_u64)
                .unwrap_or(5);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_kind_has_its_status() {
        for c in ErrorCode::ALL {
            let e = ApiError::from(Error::new(*c, "m"));
            assert_eq!(e.code, c.as_str());
            let want = match c.kind() {
                ErrorKind::Invalid => 422,
                ErrorKind::Unauthenticated => 401,
                ErrorKind::Forbidden => 403,
                ErrorKind::NotFound => 404,
                ErrorKind::Conflict => 409,
                ErrorKind::TooLarge => 413,
                ErrorKind::Unavailable => 503,
                ErrorKind::Gone => 410,
            };
            assert_eq!(e.status.as_u16(), want, "{}", c.as_str());
        }
    }

    #[test]
    fn a_constraint_is_a_conflict_and_a_database_failure_is_opaque() {
        let e = ApiError::from(AppError::Store(StoreError::Constraint(
            "UNIQUE extensions.key".into(),
        )));
        assert_eq!((e.status.as_u16(), e.code), (409, "conflict"));
        let cause = std::io::Error::other("password=hunter2 at db.internal:5432");
        let e = ApiError::from(AppError::Store(StoreError::Db(Box::new(cause))));
        assert_eq!((e.status.as_u16(), e.code), (500, "internal"));
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert!(e.details.is_empty());
    }

    #[test]
    fn busy_says_when_to_retry() {
        let e = Error::new(ErrorCode::Busy, "busy").detail("retry_after", 7);
        let r = ApiError::from(e).into_response();
        assert_eq!(r.status().as_u16(), 503);
        assert_eq!(r.headers()[axum::http::header::RETRY_AFTER], "7");
    }

    #[test]
    fn transport_codes_do_not_collide_with_domain_codes() {
        for h in HttpCode::ALL {
            assert!(ErrorCode::ALL.iter().all(|c| c.as_str() != h.as_str()));
        }
    }
}
