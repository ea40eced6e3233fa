//! The Webhooks page: the organization's endpoints with their state, a form to add one (its
//! signing secret shown once, on the page the form answers with), enable/disable, a test
//! event, and one endpoint's page: recent deliveries with status and next attempt, replay,
//! editing its URL, types and description, rotating its secret (the new one shown once, on
//! the page the button answers with) and deleting it behind a confirmation page.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::webhooks::{
    CreatedWebhook, DeliveryView, NewWebhook, ReplayRequest, RotatedSecret, WebhookPatch,
    WebhookView,
};
use seatline_domain::{Error, ErrorCode};

use crate::auth::{done, Admin, Post, Viewer};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, csrf, Nav};
use crate::UiState;

/// The webhooks pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/webhooks", get(page).post(create))
        .route("/ui/webhooks/{id}", get(deliveries))
        .route("/ui/webhooks/{id}/enabled", post(enabled))
        .route("/ui/webhooks/{id}/test", post(test))
        .route("/ui/webhooks/{id}/replay", post(replay))
        .route("/ui/webhooks/{id}/edit", post(edit))
        .route("/ui/webhooks/{id}/rotate", post(rotate))
        .route("/ui/webhooks/{id}/delete", get(delete_form).post(delete))
}

/// Deliveries shown per endpoint.
const RECENT: u32 = 50;

fn state_badge(w: &WebhookView) -> Markup {
    if w.enabled && w.failing_since.is_some() {
        layout::badge("b-amber", "Failing")
    } else if w.enabled {
        layout::badge("b-green", "Enabled")
    } else {
        layout::badge("b-red", "Disabled")
    }
}

fn delivery_badge(status: &str) -> Markup {
    match status {
        "succeeded" => layout::badge("b-green", "Succeeded"),
        "failed" => layout::badge("b-red", "Failed"),
        "delivering" => layout::badge("b-blue", "Delivering"),
        _ => layout::badge("b-amber", "Pending"),
    }
}

/// The list of endpoints and the form to add one, with the secret of one just created.
fn list_page(
    v: &Viewer,
    hooks: &[WebhookView],
    created: Option<&CreatedWebhook>,
    draft: (&str, &str, &str),
    error: Option<&Error>,
) -> Markup {
    let body = html! {
        (layout::title_bar("Webhooks", Some("Seatline POSTs every change to these URLs, signed per the Standard Webhooks specification."), html! {}))
        @if let Some(c) = created {
            section.card #new-secret {
                h2 { "Signing secret for " (c.webhook.url) }
                p { "Copy it now: it is shown only this once. Verify deliveries with any Standard Webhooks library." }
                p { code.secret { (c.secret) } }
            }
        }
        section.card {
            h2 { "Endpoints" }
            @if hooks.is_empty() {
                p.muted { "No endpoints yet." }
            } @else {
                div.table-wrap {
                    table.data #webhooks {
                        thead { tr {
                            th scope="col" { "URL" }
                            th scope="col" { "Types" }
                            th scope="col" { "State" }
                            th scope="col" { span.sr-only { "Actions" } }
                        } }
                        tbody {
                            @for w in hooks {
                                tr {
                                    th scope="row" {
                                        a href={ "/ui/webhooks/" (w.id) } { (w.url) }
                                        @if !w.description.is_empty() { div.muted { (w.description) } }
                                    }
                                    td { @if w.types.is_empty() { "every type" } @else { (w.types.join(", ")) } }
                                    td {
                                        (state_badge(w))
                                        @if let Some(r) = &w.disabled_reason { div.muted { (r) } }
                                    }
                                    td.actions { (actions(v, w)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card.narrow {
            h2 { "Add an endpoint" }
            @if let Some(e) = error { (layout::error_box(e)) }
            form.stack method="post" action="/ui/webhooks" {
                (csrf(v))
                (endpoint_fields(draft))
                div.form-actions { button.btn.btn-primary type="submit" { "Add endpoint" } }
            }
        }
    };
    layout::page(v, Nav::Webhooks, "Webhooks", body)
}

/// URL, event types and description: the fields of adding and of editing an endpoint.
fn endpoint_fields(draft: (&str, &str, &str)) -> Markup {
    html! {
        div.field {
            label for="url" { "URL" }
            input #url type="url" name="url" required value=(draft.0) placeholder="https://pbx.example.com/hooks";
        }
        div.field {
            label for="types" { "Event types" }
            input #types type="text" name="types" value=(draft.1) placeholder="extension.*, member.disabled";
            p.hint { "Comma-separated types or prefixes ending in .*; empty for every type." }
        }
        div.field {
            label for="description" { "Description" }
            input #description type="text" name="description" value=(draft.2) maxlength="500";
        }
    }
}

/// Enable/disable and test buttons of one endpoint.
fn actions(v: &Viewer, w: &WebhookView) -> Markup {
    html! {
        form.inline method="post" action={ "/ui/webhooks/" (w.id) "/enabled" } {
            (csrf(v))
            @if w.enabled {
                input type="hidden" name="enabled" value="false";
                button.btn.btn-quiet type="submit" { "Disable" }
            } @else {
                input type="hidden" name="enabled" value="true";
                button.btn type="submit" { "Enable" }
            }
        }
        @if w.enabled {
            form.inline method="post" action={ "/ui/webhooks/" (w.id) "/test" } {
                (csrf(v))
                button.btn type="submit" { "Send test" }
            }
        }
    }
}

fn types_of(field: &str) -> Vec<String> {
    field
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn page(State(s): State<UiState>, Admin(v): Admin) -> Result<Response, UiError> {
    let hooks = s.app.webhooks(&v.ctx, &v.org).await?;
    Ok(Html(list_page(&v, &hooks, None, ("", "", ""), None).into_string()).into_response())
}

pub async fn create(State(s): State<UiState>, p: Post<Admin>) -> Result<Response, UiError> {
    let v = &p.user.0;
    let (url, types, description) = (
        p.fields.get("url"),
        p.fields.get("types"),
        p.fields.get("description"),
    );
    let input = NewWebhook {
        url: url.to_owned(),
        types: Some(types_of(types)),
        description: Some(description.to_owned()),
    };
    // The secret is shown on the page this form answers with, never in a redirect or a cookie.
    let (created, error) = match s.app.create_webhook(&v.ctx, &v.org, input).await {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(rule_error(e)?)),
    };
    let hooks = s.app.webhooks(&v.ctx, &v.org).await?;
    let draft = if created.is_some() {
        ("", "", "")
    } else {
        (url, types, description)
    };
    let page = list_page(v, &hooks, created.as_ref(), draft, error.as_ref());
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |e| status_of(e.code));
    Ok((status, Html(page.into_string())).into_response())
}

pub async fn enabled(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let on = p.fields.get("enabled") == "true";
    let patch = WebhookPatch {
        enabled: Some(on),
        ..WebhookPatch::default()
    };
    let w = s.app.update_webhook(&v.ctx, &v.org, &id, patch).await?;
    let what = if on { "enabled" } else { "disabled" };
    Ok(done(&s, "/ui/webhooks", format!("{} is {what}.", w.url)))
}

pub async fn test(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    s.app.test_webhook(&v.ctx, &v.org, &id).await?;
    Ok(done(
        &s,
        &format!("/ui/webhooks/{id}"),
        "A webhook.test event is on its way; its delivery is listed below.",
    ))
}

/// What one endpoint's page shows besides its state and deliveries: a secret just rotated
/// (shown this once), and the edit or replay form refused with what was typed.
#[derive(Default)]
struct Detail<'a> {
    rotated: Option<&'a RotatedSecret>,
    /// URL, types and description as typed, with why they were refused.
    edit: Option<((&'a str, &'a str, &'a str), &'a Error)>,
    replay_error: Option<&'a Error>,
}

fn deliveries_page(v: &Viewer, w: &WebhookView, items: &[DeliveryView], d: &Detail) -> Markup {
    let error = d.replay_error;
    let types = w.types.join(", ");
    let (draft, edit_error) = match d.edit {
        Some((draft, e)) => (draft, Some(e)),
        None => (
            (w.url.as_str(), types.as_str(), w.description.as_str()),
            None,
        ),
    };
    let body = html! {
        (layout::title_bar(&w.url, Some("Recent deliveries, newest first."), html! {
            a.btn href="/ui/webhooks" { "Back to Webhooks" }
            a.btn.btn-danger href={ "/ui/webhooks/" (w.id) "/delete" } { "Delete…" }
        }))
        @if let Some(r) = d.rotated {
            section.card #new-secret {
                h2 { "New signing secret" }
                p { "Copy it now: it is shown only this once. The previous secret still signs beside it until "
                    (layout::when(&r.previous_expires_at)) ", so the receiver can switch without missing a delivery." }
                p { code.secret #rotated-secret { (r.secret) } }
            }
        }
        section.card {
            p { (state_badge(w)) " " @if let Some(r) = &w.disabled_reason { span.muted { (r) } } }
            (actions(v, w))
        }
        div.grid2 {
            section.card #webhook-edit aria-labelledby="edit-h" {
                h2 #edit-h { "Edit" }
                @if let Some(e) = edit_error { (layout::error_box(e)) }
                form.stack method="post" action={ "/ui/webhooks/" (w.id) "/edit" } {
                    (csrf(v))
                    (endpoint_fields(draft))
                    div.form-actions { button.btn.btn-primary type="submit" { "Save" } }
                }
            }
            section.card #webhook-secret aria-labelledby="secret-h" {
                h2 #secret-h { "Signing secret" }
                p { "Rotating makes a new secret, shown once. The current one keeps signing beside it for 24 hours." }
                @if let Some(until) = &w.previous_secret_expires_at {
                    p.muted { "Previous secret signs until " (layout::when(until)) "." }
                }
                form method="post" action={ "/ui/webhooks/" (w.id) "/rotate" } {
                    (csrf(v))
                    button.btn type="submit" { "Rotate secret" }
                }
            }
        }
        section.card {
            h2 { "Deliveries" }
            @if items.is_empty() {
                p.muted { "Nothing delivered yet." }
            } @else {
                div.table-wrap {
                    table.data #deliveries {
                        thead { tr {
                            th scope="col" { "Event" }
                            th.num scope="col" { "Seq" }
                            th scope="col" { "Status" }
                            th.num scope="col" { "Attempts" }
                            th scope="col" { "Last answer" }
                            th scope="col" { "Next attempt" }
                        } }
                        tbody {
                            @for d in items {
                                tr {
                                    th scope="row" { code { (d.event_type) } div.muted { (d.event_id) } }
                                    td.num { (d.event_seq) }
                                    td { (delivery_badge(&d.status)) }
                                    td.num { (d.attempts) }
                                    td {
                                        @if let Some(st) = d.last_status { "HTTP " (st) }
                                        @if let Some(e) = &d.last_error { div.muted { (e) } }
                                    }
                                    td { (d.next_attempt_at.as_deref().unwrap_or("–")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card.narrow {
            h2 { "Replay" }
            p { "Deliver the events after one seq up to another again, under their own ids." }
            @if let Some(e) = error { (layout::error_box(e)) }
            form.stack method="post" action={ "/ui/webhooks/" (w.id) "/replay" } {
                (csrf(v))
                div.field {
                    label for="after" { "After seq" }
                    input #after type="number" name="after" min="0" required;
                }
                div.field {
                    label for="until" { "Up to seq" }
                    input #until type="number" name="until" min="1" required;
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Replay" } }
            }
        }
    };
    layout::page(v, Nav::Webhooks, "Webhook deliveries", body)
}

async fn render_deliveries(
    s: &UiState,
    v: &Viewer,
    id: &str,
    detail: &Detail<'_>,
) -> Result<Markup, UiError> {
    let w = s.app.webhook(&v.ctx, &v.org, id).await?;
    let page = s
        .app
        .webhook_deliveries(&v.ctx, &v.org, id, None, None, Some(RECENT))
        .await?;
    Ok(deliveries_page(v, &w, &page.items, detail))
}

pub async fn deliveries(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let page = render_deliveries(&s, &v, &id, &Detail::default()).await?;
    Ok(Html(page.into_string()).into_response())
}

pub async fn replay(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let seq = |name: &str| {
        p.fields.get(name).parse::<i64>().map_err(|_| {
            Error::new(
                ErrorCode::InvalidReplayRange,
                format!("{name} must be an event seq"),
            )
            .detail("field", name)
        })
    };
    let result = match (seq("after"), seq("until")) {
        (Ok(after), Ok(until)) => s
            .app
            .replay_webhook(&v.ctx, &v.org, &id, ReplayRequest { after, until })
            .await
            .map_err(rule_error),
        (Err(e), _) | (_, Err(e)) => Err(Ok(e)),
    };
    match result {
        Ok(q) => Ok(done(
            &s,
            &format!("/ui/webhooks/{id}"),
            format!("{} deliveries queued.", q.deliveries),
        )),
        Err(e) => {
            let e = e?;
            let detail = Detail {
                replay_error: Some(&e),
                ..Detail::default()
            };
            let page = render_deliveries(&s, v, &id, &detail).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

pub async fn edit(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let draft = (
        p.fields.get("url"),
        p.fields.get("types"),
        p.fields.get("description"),
    );
    let patch = WebhookPatch {
        url: Some(draft.0.to_owned()),
        types: Some(types_of(draft.1)),
        description: Some(draft.2.to_owned()),
        enabled: None,
    };
    match s.app.update_webhook(&v.ctx, &v.org, &id, patch).await {
        Ok(w) => Ok(done(
            &s,
            &format!("/ui/webhooks/{id}"),
            format!("Saved {}.", w.url),
        )),
        Err(e) => {
            let e = rule_error(e)?;
            let detail = Detail {
                edit: Some((draft, &e)),
                ..Detail::default()
            };
            let page = render_deliveries(&s, v, &id, &detail).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

/// The new secret is shown on the page this button answers with, never in a redirect or a
/// cookie; reloading that page does not rotate again without the browser asking first.
pub async fn rotate(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let rotated = s.app.rotate_webhook_secret(&v.ctx, &v.org, &id).await?;
    let detail = Detail {
        rotated: Some(&rotated),
        ..Detail::default()
    };
    let page = render_deliveries(&s, v, &id, &detail).await?;
    Ok(Html(page.into_string()).into_response())
}

pub async fn delete_form(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let w = s.app.webhook(&v.ctx, &v.org, &id).await?;
    let body = html! {
        (layout::title_bar(&format!("Delete {}?", w.url), None, html! {}))
        section.card.narrow {
            p { "Seatline stops delivering to this endpoint at once and forgets its deliveries and secrets. "
                "This cannot be undone; to pause deliveries instead, disable it." }
            form.stack method="post" action={ "/ui/webhooks/" (w.id) "/delete" } {
                (csrf(&v))
                div.form-actions {
                    button.btn.btn-danger type="submit" { "Delete endpoint" }
                    a.btn href={ "/ui/webhooks/" (w.id) } { "Cancel" }
                }
            }
        }
    };
    let page = layout::page(&v, Nav::Webhooks, "Delete webhook", body);
    Ok(Html(page.into_string()).into_response())
}

pub async fn delete(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let w = s.app.webhook(&v.ctx, &v.org, &id).await?;
    s.app.delete_webhook(&v.ctx, &v.org, &id).await?;
    Ok(done(&s, "/ui/webhooks", format!("Deleted {}.", w.url)))
}
