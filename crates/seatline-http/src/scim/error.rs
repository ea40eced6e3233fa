//! SCIM's error body (RFC 7644 §3.12): every failure under `/scim/v2` answers
//! `{"schemas": [Error], "status": "400", "scimType": …, "detail": "<seatline code>: …"}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use seatline_app::AppError;
use seatline_domain::{Error, ErrorCode, ErrorKind};
use seatline_store::StoreError;
use serde_json::json;

use super::schemas::{ERROR, SCIM_JSON};

#[derive(Debug)]
pub(crate) struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub(crate) fn internal(cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "SCIM request failed");
        ScimError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            scim_type: None,
            detail: "internal: an internal error occurred; it has been logged, retry later".into(),
        }
    }
}

/// The status and `scimType` of a Seatline error, as §9 maps them: uniqueness is 409
/// `uniqueness`; seats, rule refusals and bad values are 400 `invalidValue`; read-only
/// attributes and the protected owner are 400 `mutability`.
fn status_of(e: &Error) -> (StatusCode, Option<&'static str>) {
    use ErrorCode::*;
    match e.code {
        EmailTaken | ExtensionHasMember | MemberHasExtension | TeamNameTaken => {
            (StatusCode::CONFLICT, Some("uniqueness"))
        }
        NumberUnavailable
            if e.details.get("reason").and_then(|r| r.as_str()) == Some("attached") =>
        {
            (StatusCode::CONFLICT, Some("uniqueness"))
        }
        // A Group's member that is no member of the organization is a bad value, not a
        // missing resource.
        NotFound
            if e.details
                .get("field")
                .and_then(|f| f.as_str())
                .is_some_and(|f| f.starts_with("members")) =>
        {
            (StatusCode::BAD_REQUEST, Some("invalidValue"))
        }
        InvalidFilter => (StatusCode::BAD_REQUEST, Some("invalidFilter")),
        InvalidPath => (StatusCode::BAD_REQUEST, Some("invalidPath")),
        ReadOnlyAttribute | OwnerProtected => (StatusCode::BAD_REQUEST, Some("mutability")),
        PreconditionFailed => (StatusCode::PRECONDITION_FAILED, None),
        Malformed if !e.details.contains_key("field") => {
            (StatusCode::BAD_REQUEST, Some("invalidSyntax"))
        }
        _ => match e.code.kind() {
            ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, None),
            ErrorKind::Forbidden => (StatusCode::FORBIDDEN, None),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, None),
            ErrorKind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None),
            ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, None),
            ErrorKind::Gone => (StatusCode::GONE, None),
            ErrorKind::Invalid | ErrorKind::Conflict => {
                (StatusCode::BAD_REQUEST, Some("invalidValue"))
            }
        },
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        let (status, scim_type) = status_of(&e);
        ScimError {
            status,
            scim_type,
            detail: format!("{}: {}", e.code.as_str(), e.message),
        }
    }
}

impl From<AppError> for ScimError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Rule(e) => e.into(),
            AppError::Store(StoreError::Constraint(what)) => {
                tracing::warn!(constraint = %what, "a database constraint refused a SCIM change");
                ScimError {
                    status: StatusCode::CONFLICT,
                    scim_type: None,
                    detail: "conflict: a concurrent change conflicts with this request; read the user again and retry".into(),
                }
            }
            AppError::Store(e) => ScimError::internal(&e),
        }
    }
}

/// A refusal built in the API's shape (by the edge, the guards or axum) for a request under
/// `/scim/v2`: a domain code maps as any Seatline error does, a transport code keeps its
/// status.
pub(crate) fn error_from_api(e: crate::error::ApiError) -> ScimError {
    match ErrorCode::ALL.iter().find(|c| c.as_str() == e.code) {
        Some(code) => {
            let mut error = Error::new(*code, e.message);
            error.details = e.details;
            ScimError::from(error)
        }
        None => ScimError {
            status: e.status,
            scim_type: None,
            detail: format!("{}: {}", e.code, e.message),
        },
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        (
            self.status,
            [(header::CONTENT_TYPE, SCIM_JSON)],
            body.to_string(),
        )
            .into_response()
    }
}

pub(crate) type ScimResult<T> = Result<T, ScimError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_9_mapping() {
        let cases = [
            (
                Error::new(ErrorCode::EmailTaken, "m"),
                409,
                Some("uniqueness"),
            ),
            (
                Error::seats(seatline_domain::Code::LicenseCenter, 1, 0),
                400,
                Some("invalidValue"),
            ),
            (
                Error::new(ErrorCode::InvalidEmail, "m"),
                400,
                Some("invalidValue"),
            ),
            (
                Error::new(ErrorCode::ReadOnlyAttribute, "m"),
                400,
                Some("mutability"),
            ),
            (
                Error::new(ErrorCode::OwnerProtected, "m"),
                400,
                Some("mutability"),
            ),
            (
                Error::new(ErrorCode::InvalidFilter, "m"),
                400,
                Some("invalidFilter"),
            ),
            (Error::new(ErrorCode::PreconditionFailed, "m"), 412, None),
            (Error::new(ErrorCode::NotFound, "m"), 404, None),
        ];
        for (e, status, scim_type) in cases {
            let code = e.code.as_str();
            let s = ScimError::from(e);
            assert_eq!(
                (s.status.as_u16(), s.scim_type),
                (status, scim_type),
                "{code}"
            );
            assert!(s.detail.starts_with(&format!("{code}: ")), "{}", s.detail);
        }
    }
}
