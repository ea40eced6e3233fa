//! Teams (product.md §12): the list, and for the owner and whole-organization admins the
//! forms to create, rename, disable, delete and fill a team. A team-scoped admin sees its
//! own teams, read-only. The scope of an admin is set on its member page ([`scope_card`]).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::views::MemberView;
use seatline_app::TeamView;
use seatline_domain::{Error, Role};

use crate::auth::{done, Admin, Post, Viewer};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, csrf, Nav};
use crate::UiState;

/// The teams pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/teams", get(page).post(create))
        .route("/ui/teams/{id}/rename", post(rename))
        .route("/ui/teams/{id}/enabled", post(enabled))
        .route("/ui/teams/{id}/members", post(set_members))
        .route("/ui/teams/{id}/delete", post(delete))
        .route("/ui/members/{id}/scope", post(set_scope))
}

/// Every member the viewer may see, by id: the names a team's member list shows.
async fn members(s: &UiState, v: &Viewer) -> Result<HashMap<String, MemberView>, UiError> {
    let mut all = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .app
            .members(
                &v.ctx,
                &v.org,
                cursor.as_deref(),
                Some(seatline_app::MAX_PAGE),
            )
            .await?;
        all.extend(page.items.into_iter().map(|m| (m.id.clone(), m)));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(all),
        }
    }
}

async fn render(s: &UiState, v: &Viewer, error: Option<&Error>) -> Result<Markup, UiError> {
    let teams = s.app.teams(&v.ctx, &v.org).await?;
    let members = members(s, v).await?;
    let manages = v.manages_teams();
    let body = html! {
        (layout::title_bar("Teams", Some("Group members so an admin can be limited to some of them"), html! {}))
        @if let Some(e) = error { (layout::error_box(e)) }
        @if v.is_scoped() {
            p.hint #scoped-note { "You manage the members of these teams; the owner sets which teams." }
        }
        @if teams.is_empty() {
            div.empty { p { "No team yet." } }
        }
        @for t in &teams {
            section.card.team aria-labelledby={ "team-" (t.id) } data-team=(t.name) {
                h2 id={ "team-" (t.id) } {
                    (t.name) " "
                    @if t.enabled { (layout::badge("b-green", "enabled")) } @else { (layout::badge("b-gray", "disabled")) }
                }
                p.muted { (layout::plural(t.members.len() as u64, "member", "members")) }
                @if !t.members.is_empty() {
                    ul.team-members {
                        @for id in &t.members {
                            li { @match members.get(id) {
                                Some(m) => a href={ "/ui/members/" (m.id) } { (m.email) },
                                None => span.mono { (id) },
                            } }
                        }
                    }
                }
                @if manages {
                    (team_forms(v, t, &members))
                }
            }
        }
        @if manages {
            section.card.narrow #new-team aria-labelledby="new-team-h" {
                h2 #new-team-h { "New team" }
                form.stack method="post" action="/ui/teams" {
                    (csrf(v))
                    div.field {
                        label for="team-name" { "New team name" }
                        input #team-name type="text" name="name" maxlength="100" required;
                        p.hint { "Up to 100 teams; names are unique ignoring case." }
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Create team" } }
                }
            }
        }
    };
    Ok(layout::page(v, Nav::Teams, "Teams", body))
}

fn team_forms(v: &Viewer, t: &TeamView, members: &HashMap<String, MemberView>) -> Markup {
    let emails: Vec<&str> = t
        .members
        .iter()
        .map(|id| members.get(id).map_or(id.as_str(), |m| m.email.as_str()))
        .collect();
    let action = |what: &str| format!("/ui/teams/{}/{what}", t.id);
    html! {
        details.team-edit {
            summary { "Edit " (t.name) }
            form.inline method="post" action=(action("rename")) {
                (csrf(v))
                label for={ "rename-" (t.id) } { "Rename to" }
                input id={ "rename-" (t.id) } type="text" name="name" value=(t.name) maxlength="100" required;
                button.btn type="submit" { "Rename" }
            }
            form.stack method="post" action=(action("members")) {
                (csrf(v))
                div.field {
                    label for={ "members-" (t.id) } { "Members (one email or id per line)" }
                    textarea id={ "members-" (t.id) } name="members" rows="4" { (emails.join("\n")) }
                }
                div.form-actions { button.btn type="submit" { "Save members" } }
            }
            div.action-line {
                form.inline method="post" action=(action("enabled")) {
                    (csrf(v))
                    input type="hidden" name="enabled" value=(if t.enabled { "false" } else { "true" });
                    button.btn type="submit" { @if t.enabled { "Disable team" } @else { "Enable team" } }
                }
                form.inline method="post" action=(action("delete")) {
                    (csrf(v))
                    button.btn.btn-danger-quiet type="submit" { "Delete team" }
                }
            }
        }
    }
}

pub async fn page(State(s): State<UiState>, Admin(v): Admin) -> Result<Response, UiError> {
    Ok(Html(render(&s, &v, None).await?.into_string()).into_response())
}

/// The page again with the rule's error, or the error page for anything else.
async fn refused(s: &UiState, v: &Viewer, e: seatline_app::AppError) -> Result<Response, UiError> {
    let e = rule_error(e)?;
    let page = render(s, v, Some(&e)).await?;
    Ok((status_of(e.code), Html(page.into_string())).into_response())
}

pub async fn create(State(s): State<UiState>, p: Post<Admin>) -> Result<Response, UiError> {
    let v = &p.user.0;
    match s
        .app
        .create_team(&v.ctx, &v.org, p.fields.get("name"), &[])
        .await
    {
        Ok(t) => Ok(done(&s, "/ui/teams", format!("Created team {}.", t.name))),
        Err(e) => refused(&s, v, e).await,
    }
}

pub async fn rename(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let name = p.fields.get("name");
    match s
        .app
        .update_team(&v.ctx, &v.org, &id, Some(name), None)
        .await
    {
        Ok(t) => Ok(done(
            &s,
            "/ui/teams",
            format!("Renamed the team to {}.", t.name),
        )),
        Err(e) => refused(&s, v, e).await,
    }
}

pub async fn enabled(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let on = p.fields.get("enabled") == "true";
    match s.app.update_team(&v.ctx, &v.org, &id, None, Some(on)).await {
        Ok(t) => Ok(done(
            &s,
            "/ui/teams",
            format!("{} {}.", if on { "Enabled" } else { "Disabled" }, t.name),
        )),
        Err(e) => refused(&s, v, e).await,
    }
}

pub async fn set_members(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let members: Vec<String> = p
        .fields
        .get("members")
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    match s.app.set_team_members(&v.ctx, &v.org, &id, &members).await {
        Ok(t) => Ok(done(
            &s,
            "/ui/teams",
            format!(
                "{} has {}.",
                t.name,
                seatline_domain::words::plural(t.members.len() as u64, "member", "members")
            ),
        )),
        Err(e) => refused(&s, v, e).await,
    }
}

pub async fn delete(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    match s.app.delete_team(&v.ctx, &v.org, &id).await {
        Ok(()) => Ok(done(&s, "/ui/teams", "Deleted the team; its members stay.")),
        Err(e) => refused(&s, v, e).await,
    }
}

/// The owner's card on an admin's member page: the whole organization, or some teams.
pub async fn scope_card(s: &UiState, v: &Viewer, m: &MemberView) -> Result<Markup, UiError> {
    if !v.is_owner() || m.role != Role::Admin {
        return Ok(html! {});
    }
    let teams = s.app.teams(&v.ctx, &v.org).await?;
    let scope = s.app.member_scope(&v.ctx, &v.org, &m.id).await?;
    let chosen: Vec<String> = scope.teams.clone().unwrap_or_default();
    Ok(html! {
        section.card #member-scope aria-labelledby="scope-h" {
            h2 #scope-h { "Scope" }
            p.hint { "An admin limited to teams sees and manages only their members, and unassigned extensions." }
            form.stack method="post" action={ "/ui/members/" (m.id) "/scope" } {
                (csrf(v))
                fieldset {
                    legend.sr-only { "Scope" }
                    label { input type="radio" name="scope" value="org" checked[scope.teams.is_none()]; " The whole organization" }
                    label { input #scope-teams type="radio" name="scope" value="teams" checked[scope.teams.is_some()]; " Specific teams:" }
                    @for t in &teams {
                        label.indent {
                            input type="checkbox" name="team" value=(t.id) checked[chosen.contains(&t.id)];
                            " " (t.name)
                        }
                    }
                }
                div.form-actions { button.btn #save-scope type="submit" { "Save scope" } }
            }
        }
    })
}

pub async fn set_scope(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let teams = (p.fields.get("scope") == "teams").then(|| p.fields.all("team"));
    match s.app.set_member_scope(&v.ctx, &v.org, &id, teams).await {
        Ok(sc) => Ok(done(
            &s,
            &format!("/ui/members/{id}"),
            match sc.teams {
                None => "The admin now manages the whole organization.".to_owned(),
                Some(t) => format!(
                    "The admin is now limited to {}.",
                    seatline_domain::words::plural(t.len() as u64, "team", "teams")
                ),
            },
        )),
        Err(e) => Err(e.into()),
    }
}
