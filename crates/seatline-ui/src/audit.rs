//! The Audit page: who did what to which object and when, newest first, filtered by
//! action, paged, and downloadable as CSV.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use seatline_app::{AppError, MAX_PAGE};
use seatline_domain::ErrorCode;
use seatline_store::{AuditEntry, AuditQuery};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Admin, Viewer};
use crate::csv;
use crate::error::UiError;
use crate::layout::{self, Nav};
use crate::widgets::{all_members, urlenc};
use crate::UiState;

/// The audit pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/audit", get(page))
        .route("/ui/audit.csv", get(csv))
}

const PAGE: u32 = 50;

/// Every action the audit log records, with the words the page shows for it; the code
/// stays in the CSV, the API and the filter's query string.
const ACTIONS: &[(&str, &str)] = &[
    ("extension.provision", "Extension provisioned"),
    ("extension.deprovision", "Extension deprovisioned"),
    ("extension.assign", "Extension assigned"),
    ("extension.reassign", "Extension reassigned"),
    ("extension.unassign", "Extension unassigned"),
    ("extension.addons", "Add-ons changed"),
    ("extension.numbers", "Numbers changed"),
    ("extension.bulk_create", "Extension created in bulk"),
    ("member.create", "Member added"),
    ("member.role", "Role changed"),
    ("member.disable", "Member disabled"),
    ("member.enable", "Member enabled"),
    ("member.delete", "Member deleted"),
    ("member.password", "Password set"),
    ("member.password_reset", "Password reset link made"),
    ("member.sign_in_link", "Sign-in link made"),
    ("member.sign_in", "Signed in"),
    ("org.create", "Organization created"),
    ("org.transfer_ownership", "Ownership transferred"),
    ("subscription.set", "Purchased quantity set"),
    ("number.add", "Number added to inventory"),
    ("number.remove", "Number removed from inventory"),
    ("token.issue", "API token issued"),
    ("token.revoke", "API token revoked"),
];

/// The words for an action; an action this page does not know yet is shown as its code.
fn action_name(code: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, name)| name)
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditParams {
    #[serde(default)]
    action: String,
    before: Option<i64>,
}

impl AuditParams {
    fn query(&self, limit: u32) -> AuditQuery {
        AuditQuery {
            action: Some(self.action.trim().to_owned()).filter(|a| !a.is_empty()),
            before_id: self.before,
            limit,
            ..Default::default()
        }
    }
}

/// Names members by email instead of their ids.
struct Names(HashMap<String, String>);

impl Names {
    /// Every member of the organization: for the CSV of the whole log.
    async fn load(s: &UiState, v: &Viewer) -> Result<Self, UiError> {
        Ok(Names(
            all_members(s, v)
                .await?
                .into_iter()
                .map(|m| (m.id, m.email))
                .collect(),
        ))
    }

    /// Only the members one page of entries mentions, however large the organization.
    async fn of(s: &UiState, v: &Viewer, entries: &[AuditEntry]) -> Result<Self, UiError> {
        fn ids<'a>(value: &'a Value, out: &mut BTreeSet<&'a str>) {
            match value {
                Value::String(s) if s.starts_with("mem_") => {
                    out.insert(s);
                }
                Value::Array(items) => items.iter().for_each(|i| ids(i, out)),
                Value::Object(o) => o.values().for_each(|i| ids(i, out)),
                _ => {}
            }
        }
        let mut wanted = BTreeSet::new();
        for e in entries {
            for who in [&e.actor, &e.target] {
                if let Some(id) = who.strip_prefix("member:") {
                    wanted.insert(id);
                }
            }
            ids(&e.before, &mut wanted);
            ids(&e.after, &mut wanted);
        }
        let mut names = HashMap::new();
        for id in wanted {
            match s.app.member(&v.ctx, &v.org, id).await {
                Ok(m) => {
                    names.insert(m.id, m.email);
                }
                // A deleted member keeps its id in the log.
                Err(AppError::Rule(e)) if e.code == ErrorCode::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Names(names))
    }

    /// "member:mem_…" as the member's email; anything else as it is.
    fn label(&self, who: &str) -> String {
        who.strip_prefix("member:")
            .and_then(|id| self.0.get(id))
            .cloned()
            .unwrap_or_else(|| who.to_owned())
    }
}

impl Names {
    /// A value as a person reads it: member ids as emails, lists joined, objects as fields.
    fn show(&self, v: &Value) -> String {
        let s = match v {
            Value::String(s) => self.0.get(s).cloned().unwrap_or_else(|| s.clone()),
            Value::Null => "–".to_owned(),
            Value::Array(items) if items.is_empty() => "none".to_owned(),
            Value::Array(items) => items
                .iter()
                .map(|i| self.show(i))
                .collect::<Vec<_>>()
                .join(", "),
            Value::Object(o) => self.fields(o).join(", "),
            other => other.to_string(),
        };
        // Long values are cut so that a change reads on one line.
        if s.chars().count() > 80 {
            format!("{}…", s.chars().take(80).collect::<String>())
        } else {
            s
        }
    }

    /// "field: value" for every field that says something.
    fn fields(&self, o: &serde_json::Map<String, Value>) -> Vec<String> {
        o.iter()
            // Ids say nothing to a reader; the object column already names the object.
            .filter(|(k, v)| {
                k.as_str() != "id" && !matches!(v, Value::Null) && v != &&Value::Array(Vec::new())
            })
            .map(|(k, v)| format!("{k}: {}", self.show(v)))
            .collect()
    }

    /// The fields that changed, as "field: before → after".
    fn changes(&self, before: &Value, after: &Value) -> Vec<String> {
        match (before, after) {
            (Value::Object(b), Value::Object(a)) => {
                let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
                keys.sort();
                keys.dedup();
                keys.into_iter()
                    .filter(|k| b.get(*k) != a.get(*k))
                    .map(|k| {
                        format!(
                            "{k}: {} → {}",
                            self.show(b.get(k).unwrap_or(&Value::Null)),
                            self.show(a.get(k).unwrap_or(&Value::Null))
                        )
                    })
                    .collect()
            }
            (Value::Null, Value::Null) => Vec::new(),
            (Value::Null, Value::Object(a)) => self.fields(a),
            (Value::Object(b), Value::Null) => self
                .fields(b)
                .into_iter()
                .map(|f| format!("was {f}"))
                .collect(),
            (b, a) => vec![format!("{} → {}", self.show(b), self.show(a))],
        }
    }
}

fn target(names: &Names, t: &str) -> Markup {
    match t.split_once(':') {
        Some(("extension", k)) => {
            html! { "extension " a.key href={ "/ui/extensions/" (k) } { (k) } }
        }
        Some(("member", _)) => html! { "member " (names.label(t)) },
        Some(("org", _)) => html! { "organization" },
        Some((kind, rest)) => html! { (kind) " " (rest) },
        None => html! { (t) },
    }
}

fn rows(names: &Names, items: &[AuditEntry]) -> Markup {
    html! {
        @for e in items {
            tr {
                td.nowrap { (layout::when(&e.at)) }
                td { (names.label(&e.actor)) }
                td.nowrap { span title=(e.action) { (action_name(&e.action)) } }
                td { (target(names, &e.target)) }
                td.changes {
                    @for c in names.changes(&e.before, &e.after) { div.change { (c) } }
                }
            }
        }
    }
}

pub async fn page(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(p): Query<AuditParams>,
) -> Result<Response, UiError> {
    let page = s.app.audit(&v.ctx, &v.org, p.query(PAGE)).await?;
    let names = Names::of(&s, &v, &page.items).await?;
    let action = p.action.trim();
    let body = html! {
        (layout::title_bar("Audit", Some("Every change, who made it and when. Newest first."), html! {
            a.btn href={ "/ui/audit.csv?action=" (urlenc(action)) } download { "Download CSV" }
        }))
        section.card {
            form.search method="get" action="/ui/audit" {
                label for="action" { "Action" }
                select #action name="action" {
                    option value="" { "All actions" }
                    @for (code, name) in ACTIONS { option value=(code) selected[*code == action] { (name) } }
                    @if !action.is_empty() && !ACTIONS.iter().any(|(c, _)| *c == action) { option value=(action) selected { (action) } }
                }
                button.btn type="submit" { "Filter" }
            }
            @if page.items.is_empty() {
                div.empty { p { "No audit entries" @if !action.is_empty() { " for " code { (action) } } "." } }
            } @else {
                div.table-wrap {
                    table.data #audit-list {
                        caption.sr-only { "Audit entries, newest first" }
                        thead { tr {
                            th scope="col" { "When" }
                            th scope="col" { "Who" }
                            th scope="col" { "Action" }
                            th scope="col" { "Object" }
                            th scope="col" { "Change" }
                        } }
                        tbody { (rows(&names, &page.items)) }
                    }
                }
            }
            nav.pager aria-label="Audit pages" {
                @if p.before.is_some() { a.btn href={ "/ui/audit?action=" (urlenc(action)) } { "← Newest" } }
                @if let Some(n) = &page.next_cursor {
                    a.btn href={ "/ui/audit?action=" (urlenc(action)) "&before=" (n) } rel="next" { "Older →" }
                }
            }
        }
    };
    Ok(Html(layout::page(&v, Nav::Audit, "Audit", body).into_string()).into_response())
}

/// The whole (filtered) log as CSV, newest first.
pub async fn csv(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(mut p): Query<AuditParams>,
) -> Result<Response, UiError> {
    let names = Names::load(&s, &v).await?;
    let mut out = csv::line(["id", "at", "actor", "action", "target", "before", "after"]);
    loop {
        let page = s.app.audit(&v.ctx, &v.org, p.query(MAX_PAGE)).await?;
        for e in &page.items {
            let (id, actor) = (e.id.to_string(), names.label(&e.actor));
            let (before, after) = (e.before.to_string(), e.after.to_string());
            out.push_str(&csv::line([
                id.as_str(),
                &e.at,
                &actor,
                &e.action,
                &e.target,
                &before,
                &after,
            ]));
        }
        match page.next_cursor.and_then(|c| c.parse().ok()) {
            Some(c) => p.before = Some(c),
            None => break,
        }
    }
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
        ],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn changes_read_as_words_with_members_by_email() {
        let names = Names(HashMap::from([("mem_1".into(), "ann@x.test".into())]));
        assert_eq!(
            names.changes(
                &json!({"member": null, "key": "1001"}),
                &json!({"member": "mem_1", "key": "1001"})
            ),
            ["member: – → ann@x.test"]
        );
        assert_eq!(
            names.changes(
                &Value::Null,
                &json!({"key": "1001", "addons": [], "numbers": ["+6512345678"]})
            ),
            ["key: 1001", "numbers: +6512345678"]
        );
        assert_eq!(names.changes(&json!({"a": 1}), &Value::Null), ["was a: 1"]);
        assert_eq!(names.label("member:mem_1"), "ann@x.test");
        assert_eq!(names.label("operator"), "operator");
    }

    #[test]
    fn actions_read_as_words() {
        assert_eq!(action_name("extension.addons"), "Add-ons changed");
        assert_eq!(action_name("member.disable"), "Member disabled");
        assert_eq!(action_name("some.new_action"), "some.new_action");
    }
}
