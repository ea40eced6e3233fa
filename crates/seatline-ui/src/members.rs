//! The Members page: role, status, extension, Contact Center role and readiness with what is
//! missing, searchable by email or name and paged; add a member, change a role (owner),
//! disable or enable, the owner's initial password for a member, and the owner's two
//! irreversible steps, each behind a confirmation page: transferring ownership and deleting
//! a disabled member.

use axum::extract::{Path, Query, State};
use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::views::MemberView;
use seatline_app::views::Page;
use seatline_app::{AppResult, MAX_PAGE, MIN_PASSWORD};
use seatline_domain::{Error, Role, Status};
use serde::Deserialize;

use crate::auth::{done, Admin, Post, Viewer};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, csrf, plural, Nav};
use crate::widgets::urlenc;
use crate::UiState;

/// The members pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/members", get(page).post(create))
        .route("/ui/members/{id}", get(member))
        .route("/ui/members/{id}/disable", get(disable_form))
        .route("/ui/members/{id}/reset-link", post(reset_link))
        .route("/ui/members/{id}/role", post(role))
        .route("/ui/members/{id}/status", post(status))
        .route(
            "/ui/members/{id}/password",
            get(password_form).post(password),
        )
        .route(
            "/ui/members/{id}/transfer",
            get(transfer_form).post(transfer),
        )
        .route("/ui/members/{id}/delete", get(delete_form).post(delete))
}

const PAGE: u32 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct MembersQuery {
    #[serde(default)]
    q: String,
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

/// One compact row: who, role, status, extension and Contact Center at a glance; the
/// actions are on the member's own page.
fn member_row(v: &Viewer, m: &MemberView) -> Markup {
    let is_me = m.id == v.me.id;
    html! {
        tr data-email=(m.email) {
            th scope="row" {
                a.name href={ "/ui/members/" (m.id) } { (m.name) }
                @if is_me { " " span.muted { "(you)" } }
                div.muted.small { (m.email) }
            }
            td { (layout::role_badge(m.role)) }
            td { (layout::status_badge(m.status)) }
            td {
                @match &m.extension {
                    Some(k) => a.key href={ "/ui/extensions/" (k) } { (k) },
                    None => span.muted { "–" },
                }
            }
            td { (layout::contact_center_short(m)) }
            td.row-actions {
                a.btn.btn-small href={ "/ui/members/" (m.id) } aria-label={ "Manage " (m.email) } { "Manage" }
            }
        }
    }
}

/// The owner first, then everyone else in the page's order (by email).
fn owner_first(items: &mut [MemberView]) {
    items.sort_by_key(|m| m.role != Role::Owner);
}

/// The owner, looked up when the first page of the list does not hold it: read the list a
/// large page at a time until it turns up.
async fn find_owner(s: &UiState, v: &Viewer) -> AppResult<Option<MemberView>> {
    if v.is_owner() {
        return Ok(Some(v.me.clone()));
    }
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .app
            .members(&v.ctx, &v.org, cursor.as_deref(), Some(MAX_PAGE))
            .await?;
        if let Some(o) = page.items.into_iter().find(|m| m.role == Role::Owner) {
            return Ok(Some(o));
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(None),
        }
    }
}

/// A page of members whose email or name contains `term` (ignoring case), after the cursor
/// email. The store lists members by email only, so a search reads the list a large page at
/// a time until it has a page of matches and knows whether more follow.
async fn search(
    s: &UiState,
    v: &Viewer,
    term: &str,
    after: Option<&str>,
) -> AppResult<Page<MemberView>> {
    if term.is_empty() {
        return s.app.members(&v.ctx, &v.org, after, Some(PAGE)).await;
    }
    let needle = term.to_lowercase();
    let mut items: Vec<MemberView> = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let page = s
            .app
            .members(&v.ctx, &v.org, cursor.as_deref(), Some(MAX_PAGE))
            .await?;
        for m in page.items {
            if !(m.email.contains(&needle) || m.name.to_lowercase().contains(&needle)) {
                continue;
            }
            if items.len() == PAGE as usize {
                let next_cursor = items.last().map(|m| m.email.clone());
                return Ok(Page { items, next_cursor });
            }
            items.push(m);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => {
                return Ok(Page {
                    items,
                    next_cursor: None,
                })
            }
        }
    }
}

async fn render(
    s: &UiState,
    v: &Viewer,
    q: &MembersQuery,
    draft: Draft<'_>,
) -> Result<Markup, UiError> {
    let term = q.q.trim();
    let after = q.after.as_deref();
    let mut page = search(s, v, term, after).await?;
    if term.is_empty() {
        // The owner heads the first page; it is not repeated where its email sorts.
        if after.is_none() {
            if !page.items.iter().any(|m| m.role == Role::Owner) {
                if let Some(o) = find_owner(s, v).await? {
                    page.items.insert(0, o);
                }
            }
        } else {
            page.items.retain(|m| m.role != Role::Owner);
        }
    }
    owner_first(&mut page.items);
    let ready = page.items.iter().filter(|m| m.contact_center.ready).count();
    let n = plural(page.items.len() as u64, "member", "members");
    let shown = if term.is_empty() {
        format!("{n} on this page")
    } else {
        format!("{n} matching \u{201c}{term}\u{201d} on this page")
    };
    let sub = format!(
        "{shown}; {ready} Contact Center ready. Owners and admins are supervisors, members are agents."
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
        section.card #members aria-labelledby="list-h" {
            div.card-head {
                h2 #list-h { "Members" }
                form.search role="search" method="get" action="/ui/members" {
                    label.sr-only for="q" { "Search members" }
                    input #q type="search" name="q" value=(term) placeholder="Email or name";
                    button.btn type="submit" { "Search" }
                    @if !term.is_empty() || after.is_some() { a.btn.btn-quiet href="/ui/members" { "Clear" } }
                }
            }
            @if page.items.is_empty() && !term.is_empty() {
                p #no-members { "No member's email or name contains " strong { (term) } "." }
            }
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
                @if after.is_some() { a.btn href={ "/ui/members?q=" (urlenc(term)) } { "← First page" } }
                @if let Some(n) = &page.next_cursor {
                    a.btn href={ "/ui/members?q=" (urlenc(term)) "&after=" (urlenc(n)) } rel="next" { "Next page →" }
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
    let page = render(&s, &v, &q, Draft::default()).await?;
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
            let page = render(&s, v, &MembersQuery::default(), draft).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

/// A role or status change: back to the member's page with what happened, or that page
/// with the reason it was refused.
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
            Ok(done(s, &format!("/ui/members/{}", m.id), what))
        }
        Err(e) => {
            let e = rule_error(e)?;
            let m = s.app.member(&v.ctx, &v.org, id).await?;
            let page = member_page(v, &m, Some(&e), html! {});
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

/// What the viewer may do to member `m`, as the use cases decide it: only these actions
/// are offered on the member's page.
struct Allowed {
    role: bool,
    status: bool,
    initial_password: bool,
    reset_link: bool,
    transfer: bool,
    delete: bool,
}

impl Allowed {
    fn any(&self) -> bool {
        self.role
            || self.status
            || self.initial_password
            || self.reset_link
            || self.transfer
            || self.delete
    }

    fn of(v: &Viewer, m: &MemberView) -> Self {
        let is_me = m.id == v.me.id;
        let over = v.is_owner() || (v.role() == Role::Admin && m.role == Role::Member);
        Allowed {
            role: v.is_owner() && m.role != Role::Owner,
            status: !is_me && m.role != Role::Owner && over,
            initial_password: v.is_owner() && !is_me,
            reset_link: !is_me && over && m.status == Status::Active,
            transfer: v.is_owner() && !is_me && m.status == Status::Active,
            delete: v.is_owner() && !is_me && m.status == Status::Disabled,
        }
    }
}

/// One member's page: who it is, its extension and Contact Center readiness with what is
/// missing, and every action the viewer may take on it.
pub fn member_page(v: &Viewer, m: &MemberView, error: Option<&Error>, scope: Markup) -> Markup {
    let may = Allowed::of(v, m);
    let is_me = m.id == v.me.id;
    let title = if m.name.is_empty() || m.name == m.email {
        m.email.clone()
    } else {
        m.name.clone()
    };
    let body = html! {
        (layout::title_bar(&title, Some(&m.email), html! {
            a.btn href="/ui/members" { "Back to Members" }
        }))
        @if let Some(e) = error { (layout::error_box(e)) }
        div.grid2 {
            section.card #member-facts aria-labelledby="facts-h" {
                h2 #facts-h { "Member" }
                dl.facts {
                    dt { "Role" } dd { (layout::role_badge(m.role)) }
                    dt { "Status" } dd { (layout::status_badge(m.status)) }
                    dt { "Extension" } dd {
                        @match &m.extension {
                            Some(k) => a.key href={ "/ui/extensions/" (k) } { (k) },
                            None => { span.muted { "None" } " " a href="/ui/assign" { "Assign one" } },
                        }
                    }
                    dt { "Contact Center" } dd { (layout::contact_center(m)) }
                }
            }
            section.card #member-actions aria-labelledby="actions-h" {
                h2 #actions-h { "Actions" }
                @if is_me { p.hint { "This is you. Change your password on " a href="/ui/me" { "My seat" } "." } }
                @if may.role {
                    form.inline method="post" action={ "/ui/members/" (m.id) "/role" } {
                        (csrf(v))
                        label for="role" { "Role" }
                        select #role name="role" {
                            option value="member" selected[m.role == Role::Member] { "Member (agent)" }
                            option value="admin" selected[m.role == Role::Admin] { "Admin (supervisor)" }
                        }
                        button.btn type="submit" { "Change role" }
                    }
                }
                @if may.status {
                    div.action-line {
                        @match m.status {
                            Status::Active => {
                                a.btn.btn-danger-quiet #disable href={ "/ui/members/" (m.id) "/disable" } { "Disable…" }
                                span.hint { "Ends its access at once; its extension stays." }
                            }
                            Status::Disabled => {
                                form.inline method="post" action={ "/ui/members/" (m.id) "/status" } {
                                    (csrf(v))
                                    input type="hidden" name="status" value="active";
                                    button.btn #enable type="submit" { "Enable" }
                                }
                            }
                        }
                    }
                }
                @if may.reset_link {
                    form.inline method="post" action={ "/ui/members/" (m.id) "/reset-link" } {
                        (csrf(v))
                        button.btn #reset-link type="submit" { "Reset password…" }
                        span.hint { "Makes a one-time link for " (m.email) " to set a new password; its current password and sign-ins stop working." }
                    }
                    form.inline method="post" action={ "/ui/members/" (m.id) "/sign-in-link" } {
                        (csrf(v))
                        button.btn #sign-in-link type="submit" { "Sign-in link…" }
                        span.hint { "Makes a one-time link that signs " (m.email) " in; its password and sign-ins stay as they are." }
                    }
                }
                @if may.initial_password {
                    div.action-line {
                        a.btn href={ "/ui/members/" (m.id) "/password" } { "Set initial password" }
                    }
                }
                @if may.transfer {
                    div.action-line {
                        a.btn href={ "/ui/members/" (m.id) "/transfer" } { "Make owner…" }
                    }
                }
                @if may.delete {
                    div.action-line {
                        a.btn.btn-danger-quiet href={ "/ui/members/" (m.id) "/delete" } { "Delete…" }
                    }
                }
                @if !(is_me || may.any()) {
                    p.muted { "Only the owner can change this member." }
                }
            }
        }
        (scope)
    };
    layout::page(v, Nav::Members, &title, body)
}

pub async fn member(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let m = s.app.member(&v.ctx, &v.org, &id).await?;
    let scope = crate::teams::scope_card(&s, &v, &m).await?;
    Ok(Html(member_page(&v, &m, None, scope).into_string()).into_response())
}

/// Disabling asks first: it ends the member's access at once.
pub async fn disable_form(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let m = s.app.member(&v.ctx, &v.org, &id).await?;
    let title = format!("Disable {}?", m.email);
    let body = html! {
        (layout::title_bar(&title, None, html! {}))
        section.card.narrow.danger-zone #confirm {
            p { strong { (m.name) } " (" (m.email) ") can no longer sign in or use its tokens, and loses its entitlements until enabled again." }
            p { @match &m.extension {
                Some(k) => { "Its extension " strong { (k) } " stays assigned to it, with its add-ons and numbers." }
                None => { "It has no extension." }
            } }
            form method="post" action={ "/ui/members/" (m.id) "/status" } {
                (csrf(&v))
                input type="hidden" name="status" value="disabled";
                div.form-actions {
                    button.btn.btn-danger #confirm-disable type="submit" { "Disable member" }
                    a.btn.btn-quiet href={ "/ui/members/" (m.id) } { "Cancel" }
                }
            }
        }
    };
    Ok(Html(layout::page(&v, Nav::Members, &title, body).into_string()).into_response())
}

/// Make a reset link and show it, once: only its hash is kept.
pub async fn reset_link(
    State(s): State<UiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let link = match s.app.password_reset_link(&v.ctx, &v.org, &id).await {
        Ok(l) => l,
        Err(e) => {
            let e = rule_error(e)?;
            let m = s.app.member(&v.ctx, &v.org, &id).await?;
            let page = member_page(v, &m, Some(&e), html! {});
            return Ok((status_of(e.code), Html(page.into_string())).into_response());
        }
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if s.https { "https" } else { "http" };
    let url = format!("{scheme}://{host}/ui/reset/{}", link.token);
    let title = format!("Password reset link for {}", link.member.email);
    let body = html! {
        (layout::title_bar(&title, None, html! {
            a.btn href={ "/ui/members/" (link.member.id) } { "Back to the member" }
        }))
        section.card.narrow #reset-link-card {
            div.flash.ok role="status" { "Made a reset link. " (link.member.email) "'s password no longer works and its sign-ins have ended." }
            div.field {
                label for="reset-url" { "Reset link" }
                textarea #reset-url.mono readonly rows="2" { (url) }
            }
            p { "Give this link to " strong { (link.member.email) } " by a safe channel (Seatline sends no email). "
                "It sets a new password once and works until " (layout::when(&link.expires_at)) "." }
            p.hint { "This is the only time the link is shown. If it is lost, make a new one: the new link replaces this one." }
        }
    };
    Ok(Html(layout::page(v, Nav::Members, &title, body).into_string()).into_response())
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
            a.btn href={ "/ui/members/" (m.id) } { "Back to the member" }
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
            &format!("/ui/members/{}", m.id),
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

/// The owner's irreversible steps on one member, each confirmed on a page of its own.
#[derive(Clone, Copy)]
enum Step {
    Transfer,
    Delete,
}

impl Step {
    fn path(self) -> &'static str {
        match self {
            Step::Transfer => "transfer",
            Step::Delete => "delete",
        }
    }
    fn action(self) -> &'static str {
        match self {
            Step::Transfer => "transfer ownership",
            Step::Delete => "delete members",
        }
    }
}

fn confirm_page(v: &Viewer, m: &MemberView, step: Step, error: Option<&Error>) -> Markup {
    let (title, button) = match step {
        Step::Transfer => (format!("Make {} the owner?", m.email), "Transfer ownership"),
        Step::Delete => (format!("Delete {}?", m.email), "Delete member"),
    };
    // Why the step cannot go ahead, said before the owner presses anything.
    let blocked = match step {
        Step::Transfer if m.status == Status::Disabled => Some(format!(
            "{} is disabled. Enable it first: ownership goes only to an active member.",
            m.email
        )),
        Step::Delete if m.role == Role::Owner => Some("The owner cannot be deleted.".to_owned()),
        Step::Delete if m.status == Status::Active => Some(format!(
            "{} is active. Disable it first: only disabled members can be deleted.",
            m.email
        )),
        _ => None,
    };
    let body = html! {
        (layout::title_bar(&title, None, html! {
            a.btn href={ "/ui/members/" (m.id) } { "Back to the member" }
        }))
        section.card.narrow.danger-zone #confirm {
            @if let Some(e) = error { (layout::error_box(e)) }
            @match step {
                Step::Transfer => {
                    p { strong { (m.name) } " (" (m.email) ") becomes the owner of " (v.org_name) ": the one who changes roles, sets initial passwords, deletes members and can transfer ownership again." }
                    p { "You become an admin. Only the new owner can give ownership back." }
                }
                Step::Delete => {
                    p { strong { (m.name) } " (" (m.email) ") is removed from " (v.org_name) " for good." }
                    p { @match &m.extension {
                        Some(k) => { "Its extension " strong { (k) } " stays, unassigned, with its add-ons and numbers." }
                        None => { "It has no extension." }
                    } " The audit log keeps a record of the deletion." }
                }
            }
            @if let (Some(why), None) = (&blocked, error) { p.alert role="alert" #confirm-blocked { (why) } }
            form method="post" action={ "/ui/members/" (m.id) "/" (step.path()) } {
                (csrf(v))
                div.form-actions {
                    button.btn.btn-danger type="submit" disabled[blocked.is_some()] { (button) }
                    " "
                    a.btn.btn-quiet href={ "/ui/members/" (m.id) } { "Cancel" }
                }
            }
        }
    };
    layout::page(v, Nav::Members, &title, body)
}

async fn confirm_form(s: &UiState, v: &Viewer, id: &str, step: Step) -> Result<Response, UiError> {
    if !v.is_owner() {
        return Err(Error::forbidden(step.action()).into());
    }
    let m = s.app.member(&v.ctx, &v.org, id).await?;
    Ok(Html(confirm_page(v, &m, step, None).into_string()).into_response())
}

pub async fn transfer_form(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    confirm_form(&s, &v, &id, Step::Transfer).await
}

pub async fn delete_form(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    confirm_form(&s, &v, &id, Step::Delete).await
}

/// The confirmation page again, with the reason the step was refused.
async fn refused(
    s: &UiState,
    v: &Viewer,
    id: &str,
    step: Step,
    e: seatline_app::AppError,
) -> Result<Response, UiError> {
    let e = rule_error(e)?;
    let m = s.app.member(&v.ctx, &v.org, id).await?;
    let page = confirm_page(v, &m, step, Some(&e));
    Ok((status_of(e.code), Html(page.into_string())).into_response())
}

pub async fn transfer(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    match s.app.transfer_ownership(&v.ctx, &v.org, &id).await {
        Ok(m) => Ok(done(
            &s,
            "/ui/members",
            format!("{} is now the owner; you are an admin.", m.email),
        )),
        Err(e) => refused(&s, v, &id, Step::Transfer, e).await,
    }
}

pub async fn delete(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    // Read first: after the deletion there is no member left to name.
    let m = s.app.member(&v.ctx, &v.org, &id).await?;
    match s.app.delete_member(&v.ctx, &v.org, &id).await {
        Ok(()) => Ok(done(&s, "/ui/members", format!("Deleted {}.", m.email))),
        Err(e) => refused(&s, v, &id, Step::Delete, e).await,
    }
}
