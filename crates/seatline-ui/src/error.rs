//! What a page shows when it cannot show itself: the one mapping from failures to an
//! HTTP status and a readable error page. Rule errors a user can fix are shown inline by
//! the page instead; this is for the rest.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use seatline_app::AppError;
use seatline_domain::{Error, ErrorCode, ErrorKind};

use crate::shell;

#[derive(Debug)]
pub enum UiError {
    /// A use case refused or failed.
    App(AppError),
    /// The page is for owners and admins.
    Forbidden,
    /// A form without this session's CSRF token.
    Csrf,
}

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        UiError::App(e)
    }
}

impl From<seatline_domain::Error> for UiError {
    fn from(e: seatline_domain::Error) -> Self {
        UiError::App(e.into())
    }
}

/// The HTTP status of a domain error kind (as the API maps it).
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code.kind() {
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

/// Re-render a form page with the use case's error, or fail the request for storage errors.
pub fn rule_error(e: AppError) -> Result<Error, UiError> {
    match e {
        AppError::Rule(e)
            if !matches!(e.code, ErrorCode::Forbidden | ErrorCode::Unauthenticated) =>
        {
            Ok(e)
        }
        other => Err(other.into()),
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, title, text) = match &self {
            UiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not available to your role",
                "This page is for the organization's owner and admins. Your own seat is on My seat."
                    .to_owned(),
            ),
            UiError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from this session (it may be from an older sign-in or \
                 another site). Go back, reload the page and submit it again."
                    .to_owned(),
            ),
            UiError::App(AppError::Rule(e)) => {
                let title = match e.code.kind() {
                    ErrorKind::NotFound => "Not found",
                    ErrorKind::Forbidden => "Not allowed",
                    _ => "That did not work",
                };
                (status_of(e.code), title, e.message.clone())
            }
            UiError::App(AppError::Store(e)) => {
                tracing::error!(error = %e, "storage failure while rendering a page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Seatline could not reach its database. Try again in a moment.".to_owned(),
                )
            }
        };
        let body = html! {
            section.card.narrow {
                h1 { (title) }
                p { (text) }
                p { a.btn href="/ui/" { "Go to Seatline" } }
            }
        };
        (status, Html(shell::bare(title, body).into_string())).into_response()
    }
}
