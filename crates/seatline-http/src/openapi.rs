//! The OpenAPI 3 document, built from the handlers' annotations, plus what every API
//! operation shares: the bearer scheme and the error responses, whose schema lists every
//! error code from [`ErrorCode::ALL`] and [`HttpCode::ALL`]. Served at `/api/openapi.json`
//! with a Swagger UI at `/api/docs` whose assets are compiled in (no CDN).

use axum::Router;
use seatline_domain::ErrorCode;
use serde_json::json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{status_of, HttpCode};
use crate::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Seatline API",
        description = "License and extension provisioning for a cloud phone system and contact \
center. Authenticate with `Authorization: Bearer <token>`: the operator's token from the \
server's configuration, or a member token from `POST /api/v1/orgs/{org}/members/{member}/tokens`. \
Writes accept an `Idempotency-Key` header: a retry with the same key and request answers the \
first response again (kept 24 hours); the same key with another request answers 409 \
`idempotency_key_reused`; a retry while the first request still runs answers 409 \
`idempotency_key_in_progress`. Lists answer `{\"items\": [...], \"next_cursor\": null | \"...\"}`; \
pass `next_cursor` back as `?cursor=`. Every error answers `{\"error\": {\"code\", \"message\", \
\"details\"}}`; the codes are listed under the `Error` schema."
    ),
    tags(
        (name = "organizations"), (name = "licenses"), (name = "numbers"), (name = "members"),
        (name = "tokens"), (name = "extensions"), (name = "bulk"), (name = "audit"), (name = "operations"),
        (name = "scim", description = "SCIM tokens; the SCIM 2.0 protocol itself is at /scim/v2 and describes itself at /scim/v2/Schemas"),
        (name = "webhooks"),
        (name = "events"),
        (name = "teams", description = "Teams and the admins limited to them (product.md §12)"),
        (name = "reports", description = "The usage report, its findings and cleanup plans (product.md §11)"),
        (name = "activity", description = "Activity from the PBX and the contact center (product.md §14)")
    )
)]
pub(crate) struct ApiDoc;

const BEARER: &str = "bearer";

/// The `Error` schema: the envelope, with `code` enumerating every code and a table of codes,
/// statuses and meanings in its description.
fn error_schema() -> Schema {
    let mut table = String::from("| code | status | meaning |\n|---|---|---|\n");
    let mut codes = Vec::new();
    for c in ErrorCode::ALL {
        let status = status_of(c.kind()).as_u16();
        table.push_str(&format!(
            "| `{}` | {status} | {} |\n",
            c.as_str(),
            c.description()
        ));
        codes.push(c.as_str());
    }
    for c in HttpCode::ALL {
        let status = c.status().as_u16();
        table.push_str(&format!(
            "| `{}` | {status} | {} |\n",
            c.as_str(),
            c.description()
        ));
        codes.push(c.as_str());
    }
    let body = ObjectBuilder::new()
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(codes))
                .description(Some("A stable snake_case code; see the table above.")),
        )
        .required("code")
        .property(
            "message",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("What went wrong and how to fix it, for people.")),
        )
        .required("message")
        .property(
            "details",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(
                    "What a client needs to recover, e.g. seats_exhausted: {code, needed, \
                     available}; extension_taken: {taken, next_free_start}; \
                     quantity_below_usage: {in_use}.",
                )),
        )
        .required("details");
    ObjectBuilder::new()
        .property("error", body)
        .required("error")
        .description(Some(format!(
            "Every error answers in this shape.\n\n{table}"
        )))
        .into()
}

/// An error body a client really gets with this status: its code is one Seatline answers
/// with (checked against the code lists by the tests).
fn error_example(status: u16) -> serde_json::Value {
    let (code, message, details) = match status {
        401 => (
            ErrorCode::Unauthenticated.as_str(),
            "the bearer token is missing, revoked or unknown; ask for a new token",
            json!({}),
        ),
        403 => (
            ErrorCode::Forbidden.as_str(),
            "your role may not provision extensions",
            json!({}),
        ),
        404 => (
            ErrorCode::NotFound.as_str(),
            "extension 1001 does not exist in this organization",
            json!({"object": "extension"}),
        ),
        409 => (
            ErrorCode::SeatsExhausted.as_str(),
            "1 phone_system seat(s) needed but 0 available; free some or buy 1 more",
            json!({"code": "phone_system", "needed": 1, "available": 0}),
        ),
        413 => (
            ErrorCode::TooLarge.as_str(),
            "the request body is too large for this endpoint",
            json!({}),
        ),
        415 => (
            HttpCode::UnsupportedMediaType.as_str(),
            "send the body as JSON with 'Content-Type: application/json'",
            json!({}),
        ),
        410 => (
            ErrorCode::CursorExpired.as_str(),
            "events after seq 12 are no longer kept; read /entitlements again and follow from its as_of",
            json!({"oldest_available": 4812, "epoch": 0}),
        ),
        503 => (
            ErrorCode::Busy.as_str(),
            "the server is reading as many uploads as it can; retry after 5 seconds",
            json!({"retry_after": 5}),
        ),
        422 => (
            ErrorCode::InvalidExtKey.as_str(),
            "extension key \"0100\" must be 3 to 5 digits without a leading zero, e.g. 1001",
            json!({"field": "start"}),
        ),
        414 => (
            HttpCode::UriTooLong.as_str(),
            "the request URI is 20480 bytes; at most 16384 are read",
            json!({"max_uri_bytes": 16384}),
        ),
        431 => (
            HttpCode::HeadersTooLarge.as_str(),
            "the request has 120 headers (4096 bytes); at most 100 headers of 32768 bytes together are read",
            json!({"max_headers": 100, "max_header_bytes": 32768}),
        ),
        _ => (
            HttpCode::Internal.as_str(),
            "internal error; the cause is logged under the request id",
            json!({}),
        ),
    };
    json!({"error": {"code": code, "message": message, "details": details}})
}

/// The body of `POST …/bulk/plans`: the file's bytes as CSV or XLSX, or a multipart form
/// whose `file` field is the file (the reference page then offers a file picker).
fn upload_body() -> RequestBody {
    let binary = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(description))
            .build()
    };
    let form = ObjectBuilder::new()
        .property("file", binary("The CSV or XLSX file."))
        .required("file")
        .build();
    RequestBodyBuilder::new()
        .description(Some(
            "The bulk file: CSV (UTF-8, `,` or `;`) or XLSX (first sheet) as the raw body, or \
             a multipart form whose `file` field is the file.",
        ))
        .required(Some(Required::True))
        .content(
            "text/csv",
            ContentBuilder::new()
                .schema(Some(binary("A CSV file.")))
                .build(),
        )
        .content(
            XLSX,
            ContentBuilder::new()
                .schema(Some(binary("An XLSX workbook.")))
                .build(),
        )
        .content(
            "multipart/form-data",
            ContentBuilder::new().schema(Some(form)).build(),
        )
        .build()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Files in and out are bytes: the upload body, and the XLSX export's response.
fn binary_files(doc: &mut OpenApi) {
    let paths = &mut doc.paths.paths;
    if let Some(op) = paths
        .get_mut("/api/v1/orgs/{org}/bulk/plans")
        .and_then(|p| p.post.as_mut())
    {
        op.request_body = Some(upload_body());
    }
    if let Some(RefOr::T(ok)) = paths
        .get_mut("/api/v1/orgs/{org}/extensions/export.xlsx")
        .and_then(|p| p.get.as_mut())
        .and_then(|op| op.responses.responses.get_mut("200"))
    {
        if let Some(content) = ok.content.get_mut(XLSX) {
            content.schema = Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .into(),
            );
        }
    }
}

fn add_error_responses(op: &mut Operation, write: bool) {
    let mut statuses: Vec<(u16, &str)> = vec![
        (
            401,
            "No valid bearer token (missing, unknown, revoked, or its member is disabled)",
        ),
        (403, "Your role may not do this"),
        (
            404,
            "No such object in this organization (also another organization's objects)",
        ),
        (422, "Malformed input"),
        (
            414,
            "uri_too_long: the path and query are longer than 16 KiB",
        ),
        (
            431,
            "headers_too_large: more than 100 request headers, or more than 32 KiB of them",
        ),
        (500, "Internal error; the cause is logged"),
    ];
    if write {
        statuses.extend([
            (
                409,
                "A rule forbids this in the current state, or the Idempotency-Key was reused",
            ),
            (413, "The body is too large"),
            (415, "The body is not application/json"),
        ]);
    }
    add_responses(op, statuses);
}

/// Error responses with their examples, and the bearer requirement.
fn add_responses(op: &mut Operation, statuses: Vec<(u16, &str)>) {
    for (status, description) in statuses {
        add_error_response(op, status, description);
    }
    op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
}

fn add_error_response(op: &mut Operation, status: u16, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Error")))
                        .example(Some(error_example(status)))
                        .build(),
                )
                .build()
                .into()
        });
}

/// Add what every operation shares to the document the routes produced.
pub(crate) fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components
        .schemas
        .insert("Error".to_owned(), error_schema().into());
    binary_files(&mut doc);
    for (path, item) in doc.paths.paths.iter_mut() {
        if path == "/metrics" {
            if let Some(op) = &mut item.get {
                add_responses(
                    op,
                    vec![
                        (401, "No valid bearer token"),
                        (
                            403,
                            "Not the operator token: only the operator reads the metrics",
                        ),
                    ],
                );
            }
        }
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (op, write) in [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ] {
            if let Some(op) = op {
                add_error_responses(op, write);
            }
        }
    }
    // The change feed: a cursor older than the retention is gone, one past the head was
    // never given out.
    if let Some(op) = doc
        .paths
        .paths
        .get_mut("/api/v1/orgs/{org}/events")
        .and_then(|item| item.get.as_mut())
    {
        add_error_response(
            op,
            410,
            "cursor_expired: the events after the cursor are no longer kept; details.oldest_available",
        );
        add_error_response(
            op,
            409,
            "cursor_ahead: the cursor is past the newest event; details.head",
        );
    }
    doc
}

/// `/api/openapi.json` and the interactive reference at `/api/docs`.
pub(crate) fn docs(doc: OpenApi) -> Router<AppState> {
    SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", doc)
        .into()
}
