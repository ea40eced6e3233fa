//! The Members page: role, status, extension, Contact Center role and readiness with what is
//! missing; add a member, change a role (owner), disable or enable, and the owner's initial
//! password for a member.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};
use seatline_app::views::MemberView;
use seatline_app::MIN_PASSWORD;
use seatline_domain::{Error, Role, Status};
use serde::Deserialize;

use crate::auth::{done, Admin, Post, Viewer};
use crate::error::{status_of, UiError};
use crate::layout::{self, csrf, Nav};
use crate::licenses::{rule_error, urlenc};
use crate::UiState;

const PAGE: u32 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct MembersQuery {
    after: Option<String>,
}

/// What the add-member form held when it was refused.
#[derive(Default)]
struct Draft<'a> {
    email: &'a str,
    name: &'a str,
    role: &'a str,
    error: Option<&'a Error>,
}

fn member_row(v: &Viewer, m: &MemberView) -> Markup {
    let is_me = m.id == v.me.id;
    html! {
        tr data-email=(m.email) {
            th scope="row" {
                div.name { (m.name) @if is_me { " " span.muted { "(you)" } } }
                div.muted { (m.email) }
            }
            td { (layout::role_badge(m.role)) }
            td { (layout::status_badge(m.status)) }
            td {
                @match &m.extension {
                    Some(k) => a.key href={ "/ui/extensions/" (k) } { (k) },
                    None => span.muted { "–" },
                }
            }
            td { (layout::contact_center(m)) }
            td.row-actions { div.acts {
                @if v.is_owner() && m.role != Role::Owner {
                    form.inline method="post" action={ "/ui/members/" (m.id) "/role" } {
                        (csrf(v))
                        label.sr-only for={ "role-" (m.id) } { "Role of " (m.email) }
                        select.small id={ "role-" (m.id) } name="role" {
                            option value="member" selected[m.role == Role::Member] { "Member" }
                            option value="admin" selected[m.role == Role::Admin] { "Admin" }
                        }
                        button.btn.btn-small type="submit" { "Change role" }
                    }
                }
                @if m.role != Role::Owner && !is_me {
                    form.inline method="post" action={ "/ui/members/" (m.id) "/status" } {
                        (csrf(v))
                        @match m.status {
                            Status::Active => {
                                input type="hidden" name="status" value="disabled";
                                button.btn.btn-small.btn-danger-quiet type="submit" aria-label={ "Disable " (m.email) } { "Disable" }
                            }
                            Status::Disabled => {
                                input type="hidden" name="status" value="active";
                                button.btn.btn-small type="submit" aria-label={ "Enable " (m.email) } { "Enable" }
                            }
                        }
                    }
                }
                @if v.is_owner() && !is_me {
                    a.btn.btn-small.btn-quiet href={ "/ui/members/" (m.id) "/password" } aria-label={ "Set password of " (m.email) } { "Set password" }
                }
            } }
        }
    }
}

async fn render(
    s: &UiState,
    v: &Viewer,
    after: Option<&str>,
    draft: Draft<'_>,
) -> Result<Markup, UiError> {
    let page = s.app.members(&v.ctx, &v.org, after, Some(PAGE)).await?;
    let ready = page.items.iter().filter(|m| m.contact_center.ready).count();
    let sub = format!(
        "{} member(s) on this page; {ready} Contact Center ready. Owners and admins are supervisors, members are agents.",
        page.items.len()
    );
    let body = html! {
        (layout::title_bar("Members", Some(&sub), html! {}))
        section.card #add-member aria-labelledby="add-h" {
            h2 #add-h { "Add a member" }
            @if let Some(e) = draft.error { (layout::error_box(e)) }
            form.row-form method="post" action="/ui/members" {
                (csrf(v))
                div.field {
                    label for="new-email" { "Email" }
                    input #new-email type="email" name="email" value=(draft.email) required autocomplete="off";
                }
                div.field {
                    label for="new-name" { "Name" }
                    input #new-name type="text" name="name" value=(draft.name) autocomplete="off" placeholder="Optional";
                }
                div.field {
                    label for="new-role" { "Role" }
                    select #new-role name="role" {
                        option value="member" selected[draft.role != "admin"] { "Member (agent)" }
                        @if v.is_owner() {
                            option value="admin" selected[draft.role == "admin"] { "Admin (supervisor)" }
                        }
                    }
                }
                div.field.field-button { button.btn.btn-primary type="submit" { "Add member" } }
            }
            @if !v.is_owner() { p.hint { "Admins add members; only the owner adds admins." } }
        }
        section.card {
            div.table-wrap {
                table.data #member-list {
                    caption.sr-only { "Members" }
                    thead { tr {
                        th scope="col" { "Member" }
                        th scope="col" { "Role" }
                        th scope="col" { "Status" }
                        th scope="col" { "Extension" }
                        th scope="col" { "Contact Center" }
                        th scope="col" { span.sr-only { "Actions" } }
                    } }
                    tbody { @for m in &page.items { (member_row(v, m)) } }
                }
            }
            nav.pager aria-label="Member pages" {
                @if after.is_some() { a.btn href="/ui/members" { "← First page" } }
                @if let Some(n) = &page.next_cursor {
                    a.btn href={ "/ui/members?after=" (urlenc(n)) } rel="next" { "Next page →" }
                }
            }
        }
    };
    Ok(layout::page(v, Nav::Members, "Members", body))
}

pub async fn page(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(q): Query<MembersQuery>,
) -> Result<Response, UiError> {
    let page = render(&s, &v, q.after.as_deref(), Draft::default()).await?;
    Ok(Html(page.into_string()).into_response())
}

pub async fn create(State(s): State<UiState>, p: Post<Admin>) -> Result<Response, UiError> {
    let v = &p.user.0;
    let (email, name, role) = (
        p.fields.get("email"),
        p.fields.get("name"),
        p.fields.get("role"),
    );
    match s.app.create_member(&v.ctx, &v.org, email, name, role).await {
        Ok(m) => Ok(done(
            &s,
            "/ui/members",
            format!("Added {} as {}.", m.email, m.role.as_str()),
        )),
        Err(e) => {
            let e = rule_error(e)?;
            let draft = Draft {
                email,
                name,
                role,
                error: Some(&e),
            };
            let page = render(&s, v, None, draft).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

/// A role or status change: back to the list with what happened, or the reason it was refused.
async fn change(
    s: &UiState,
    v: &Viewer,
    id: &str,
    role: Option<&str>,
    status: Option<&str>,
) -> Result<Response, UiError> {
    match s.app.update_member(&v.ctx, &v.org, id, role, status).await {
        Ok(m) => {
            let what = match (role, status) {
                (Some(_), _) => format!("{} is now {}.", m.email, m.role.as_str()),
                _ => format!("{} is now {}.", m.email, m.status.as_str()),
            };
            Ok(done(s, "/ui/members", what))
        }
        Err(e) => {
            let e = rule_error(e)?;
            let draft = Draft {
                error: Some(&e),
                ..Draft::default()
            };
            let page = render(s, v, None, draft).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

pub async fn role(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    change(&s, &p.user.0, &id, Some(p.fields.get("role")), None).await
}

pub async fn status(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    change(&s, &p.user.0, &id, None, Some(p.fields.get("status"))).await
}

fn password_page(v: &Viewer, m: &MemberView, error: Option<&Error>) -> Markup {
    let body = html! {
        (layout::title_bar(&format!("Initial password for {}", m.email), Some("Set a first password so this member can sign in; after that only they can change it."), html! {
            a.btn href="/ui/members" { "Back to Members" }
        }))
        section.card.narrow {
            @if let Some(e) = error { (layout::error_box(e)) }
            form.stack method="post" action={ "/ui/members/" (m.id) "/password" } {
                (csrf(v))
                div.field {
                    label for="password" { "Password" }
                    input #password type="password" name="password" required minlength=(MIN_PASSWORD) autocomplete="new-password";
                    p.hint { "At least " (MIN_PASSWORD) " characters. Share it with the member by a safe channel." }
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Set password" } }
            }
        }
    };
    layout::page(v, Nav::Members, "Set password", body)
}

pub async fn password_form(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    if !v.is_owner() {
        return Err(Error::forbidden("set another member's password").into());
    }
    let m = s.app.member(&v.ctx, &v.org, &id).await?;
    Ok(Html(password_page(&v, &m, None).into_string()).into_response())
}

pub async fn password(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let m = s.app.member(&v.ctx, &v.org, &id).await?;
    let pw = p
        .fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map_or("", |(_, v)| v.as_str());
    match s.app.set_password(&v.ctx, &v.org, &id, pw).await {
        Ok(()) => Ok(done(
            &s,
            "/ui/members",
            format!("Set the initial password of {}.", m.email),
        )),
        Err(e) => {
            let e = match e {
                seatline_app::AppError::Rule(e) => e,
                other => return Err(other.into()),
            };
            let page = password_page(v, &m, Some(&e));
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}
