//! The edge every request of the API and of SCIM passes (issues 26 and 28): text no store
//! can hold is refused before routing, and every refusal leaves in its surface's shape.
//!
//! - A NUL (U+0000) in a path is "not found" and in a query string a 422 naming the
//!   parameter, without asking the database: PostgreSQL's text cannot hold a NUL, and its
//!   500 made identity providers retry forever. JSON bodies are checked by their extractors
//!   ([`crate::nul::nul_field`]), bulk cells by the bulk reader.
//! - A URI longer than [`MAX_URI`] answers 414 here, in the shape, well before hyper's own
//!   bare 414 at 64 KiB. SCIM's detail points long filters to `POST /Users/.search`.
//! - Whatever refused a request — a handler, an extractor, or axum itself (a body over its
//!   limit, an unreadable path or query, a fallback) — the answer is reshaped here when it
//!   is not in its surface's shape yet: SCIM's error body with `application/scim+json` under
//!   `/scim/v2`, `{"error": {code, message, details}}` everywhere else.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use seatline_app::scim_url::SCIM_PATH;
use seatline_domain::{Error, ErrorCode};
use serde_json::{Map, Value};

use crate::error::{ApiError, HttpCode};
use crate::nul::nul_message;
use crate::scim::error::error_from_api;
use crate::scim::schemas::SCIM_JSON;

/// Longest request URI (path and query) answered; longer is a 414 in the shape.
pub(crate) const MAX_URI: usize = 16 * 1024;

/// Largest error body read back when reshaping one (error bodies are a few hundred bytes).
const MAX_REFUSAL_BODY: usize = 64 * 1024;

fn is_scim(path: &str) -> bool {
    path.strip_prefix(SCIM_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The refusal a URI earns before routing, if any.
fn refuse_uri(uri: &axum::http::Uri, scim: bool) -> Option<ApiError> {
    let len = uri.path_and_query().map_or(0, |p| p.as_str().len());
    if len > MAX_URI {
        let hint = if scim {
            "; send a long filter in the body of POST /scim/v2/Users/.search"
        } else {
            ""
        };
        let mut e = ApiError::http(
            HttpCode::UriTooLong,
            format!("the request URI is {len} bytes; at most {MAX_URI} are read{hint}"),
        );
        e.details.insert("max_uri_bytes".into(), MAX_URI.into());
        return Some(e);
    }
    // A NUL is written only as %00 in a URI (the raw byte is refused by the parser), and no
    // other escape decodes to one, so the raw text tells.
    if uri.path().contains("%00") {
        return Some(ApiError::domain(
            ErrorCode::NotFound,
            "no such path: a path segment holds a NUL character (U+0000), which no id has",
        ));
    }
    let query = uri.query().unwrap_or("");
    if let Some(pair) = query.split('&').find(|p| p.contains("%00")) {
        let name = pair
            .split('=')
            .next()
            .unwrap_or(pair)
            .replace("%00", "\\u0000");
        return Some(
            Error::new(
                ErrorCode::Malformed,
                nul_message(&format!("query parameter {name}")),
            )
            .detail("field", name)
            .into(),
        );
    }
    None
}

/// The middleware: refuse what the URI alone settles, then make sure a refusal is in the
/// shape of the surface the request was for.
pub(crate) async fn refusals_in_shape(req: Request, next: Next) -> Response {
    let scim = is_scim(req.uri().path());
    if let Some(e) = refuse_uri(req.uri(), scim) {
        return render(e, scim);
    }
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let media = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let shaped = if scim { SCIM_JSON } else { "application/json" };
    if media == shaped {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_REFUSAL_BODY)
        .await
        .unwrap_or_default();
    let error = if media == "application/json" {
        from_error_body(status, &bytes)
    } else {
        None
    }
    .unwrap_or_else(|| from_bare(status, &String::from_utf8_lossy(&bytes), scim));
    let mut reshaped = render(error, scim);
    // Keep what the refusal said beside its body (Allow, Retry-After, the request id).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            reshaped.headers_mut().append(name, value.clone());
        }
    }
    reshaped
}

fn render(e: ApiError, scim: bool) -> Response {
    if scim {
        error_from_api(e).into_response()
    } else {
        e.into_response()
    }
}

/// An answer already in the API's shape (a SCIM path reached the API's fallback).
fn from_error_body(status: StatusCode, bytes: &[u8]) -> Option<ApiError> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let e = v.get("error")?;
    let code = e.get("code")?.as_str()?;
    let code = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(HttpCode::ALL.iter().map(|c| c.as_str()))
        .find(|c| *c == code)?;
    Some(ApiError {
        status,
        code,
        message: e.get("message")?.as_str()?.to_owned(),
        details: e
            .get("details")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(Map::new),
    })
}

/// A refusal axum (or anything else) answered with plain text or nothing: its code follows
/// its status, its text becomes the message.
fn from_bare(status: StatusCode, text: &str, scim: bool) -> ApiError {
    let said = if text.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", text.trim())
    };
    let e = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = if scim {
                "a SCIM request body is at most 256 KiB"
            } else {
                "a JSON body is at most 1 MiB, a bulk file at most its documented size"
            };
            ApiError::domain(
                ErrorCode::TooLarge,
                format!("the request body is larger than this endpoint reads; {limit}"),
            )
        }
        StatusCode::NOT_FOUND => ApiError::domain(ErrorCode::NotFound, format!("not found{said}")),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::http(
            HttpCode::MethodNotAllowed,
            "this path does not accept this method",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::http(
            HttpCode::UnsupportedMediaType,
            format!("send the body as JSON{said}"),
        ),
        StatusCode::URI_TOO_LONG => ApiError::http(
            HttpCode::UriTooLong,
            format!("the request URI is too long{said}"),
        ),
        StatusCode::REQUEST_TIMEOUT => ApiError::http(
            HttpCode::RequestTimeout,
            format!("the request took too long{said}"),
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::http(
            HttpCode::HeadersTooLarge,
            format!("the request headers are too large{said}"),
        ),
        s if s.is_server_error() => {
            tracing::error!(status = %s, body = %text, "a bare server error was reshaped");
            ApiError::http(
                HttpCode::Internal,
                "an internal error occurred; it has been logged, retry later or report the request id",
            )
        }
        _ => ApiError::malformed(format!("the request could not be read{said}")),
    };
    ApiError { status, ..e }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scim_paths_are_told_apart() {
        assert!(is_scim("/scim/v2"));
        assert!(is_scim("/scim/v2/"));
        assert!(is_scim("/scim/v2/Users"));
        assert!(!is_scim("/scim/v2x"));
        assert!(!is_scim("/api/v1/orgs"));
    }
}
