//! The signed-in page (top bar, navigation, flash message, inside the [`crate::shell`]) and
//! the small pieces every page uses: badges, add-on chips, form errors, the CSRF field. Markup is built with maud,
//! which escapes every value it interpolates.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use seatline_app::views::MemberView;
use seatline_domain::{Code, Error, Missing, Role, Status};

use crate::auth::Viewer;
use crate::shell::{brand, head};

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Licenses,
    Bulk,
    Usage,
    Members,
    Audit,
    Me,
    Scim,
    Webhooks,
    Teams,
    IntegrationTokens,
}

impl Nav {
    /// The pages grouped under the navigation's Settings menu.
    fn is_setting(self) -> bool {
        matches!(self, Nav::Scim | Nav::Webhooks | Nav::IntegrationTokens)
    }
}

/// A page for a signed-in user.
pub fn page(v: &Viewer, nav: Nav, title: &str, body: Markup) -> Markup {
    let item = |n: Nav, href: &str, label: &str| {
        html! {
            a href=(href) aria-current=[(n == nav).then_some("page")] { (label) }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.topbar {
                    div.wrap.topbar-inner {
                        (brand())
                        span.org title="Organization" { (v.org_name) }
                        nav.mainnav aria-label="Main" {
                            @if v.is_admin() {
                                (item(Nav::Licenses, "/ui/licenses", "Licenses"))
                                (item(Nav::Bulk, "/ui/bulk", "Bulk Assignment"))
                                (item(Nav::Members, "/ui/members", "Members"))
                                (item(Nav::Teams, "/ui/teams", "Teams"))
                                (item(Nav::Usage, "/ui/usage", "Usage"))
                                (item(Nav::Audit, "/ui/audit", "Audit"))
                            }
                            (item(Nav::Me, "/ui/me", "My seat"))
                            (settings_menu(v, nav))
                        }
                        div.who {
                            span.who-email { (v.me.email) }
                            (role_badge(v.role()))
                            form method="post" action="/ui/sign-out" {
                                (csrf(v))
                                button.btn.btn-quiet type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main .wrap {
                    @if let Some(f) = &v.flash {
                        div.flash.ok role="status" { (f.text) }
                    }
                    (body)
                }
            }
        }
    }
}

/// The pages that set up the organization's connections, in one menu so that the main row
/// stays one line as pages are added: Webhooks (whole-organization admins: they carry every
/// event), SCIM and Integration tokens (the owner). A `<details>` element, so it opens
/// without script; none for whom sees none of them.
fn settings_menu(v: &Viewer, nav: Nav) -> Markup {
    let webhooks = v.is_admin() && !v.is_scoped();
    if !webhooks && !v.is_owner() {
        return html! {};
    }
    let item = |n: Nav, href: &str, label: &str| {
        html! {
            a href=(href) aria-current=[(n == nav).then_some("page")] { (label) }
        }
    };
    html! {
        details class="navmenu" {
            summary.current[nav.is_setting()] { "Settings" }
            div.navmenu-list {
                @if webhooks { (item(Nav::Webhooks, "/ui/webhooks", "Webhooks")) }
                @if v.is_owner() {
                    (item(Nav::Scim, "/ui/scim", "SCIM"))
                    (item(Nav::IntegrationTokens, "/ui/integration-tokens", "Integration tokens"))
                    a href="/ui/docs/scim" { "SCIM setup guide" }
                }
            }
        }
    }
}

/// The hidden field that proves a form comes from this session.
pub fn csrf(v: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

/// A page title with optional actions on the right.
pub fn title_bar(title: &str, sub: Option<&str>, actions: Markup) -> Markup {
    html! {
        div.titlebar {
            div {
                h1 { (title) }
                @if let Some(s) = sub { p.sub { (s) } }
            }
            div.actions { (actions) }
        }
    }
}

pub fn badge(class: &str, text: &str) -> Markup {
    html! { span class={ "badge " (class) } { (text) } }
}

pub fn role_badge(r: Role) -> Markup {
    match r {
        Role::Owner => badge("b-violet", "Owner"),
        Role::Admin => badge("b-blue", "Admin"),
        Role::Member => badge("b-gray", "Member"),
    }
}

pub fn status_badge(s: Status) -> Markup {
    match s {
        Status::Active => badge("b-green", "Active"),
        Status::Disabled => badge("b-red", "Disabled"),
    }
}

/// What a missing Contact Center requirement means, in words.
pub fn missing_text(m: Missing) -> &'static str {
    match m {
        Missing::MemberDisabled => "member is disabled",
        Missing::NoExtension => "no extension",
        Missing::LicenseCenter => "Contact Center add-on (license_center)",
        Missing::Device => "a device add-on (IP Phone, Mobile, Desktop or Web Phone)",
        Missing::SubscriptionSuspended => "an add-on whose subscription is suspended",
        Missing::SubscriptionTerminated => "an add-on whose subscription is terminated",
        Missing::PhoneSystemNotEffective => {
            "an effective Phone System (its subscription is suspended or terminated)"
        }
    }
}

/// Contact Center role and readiness, with what is missing.
pub fn contact_center(m: &MemberView) -> Markup {
    let cc = &m.contact_center;
    let role = match cc.role {
        seatline_domain::CcRole::Supervisor => "Supervisor",
        seatline_domain::CcRole::Agent => "Agent",
    };
    html! {
        div.cc {
            span.cc-role { (role) }
            @if cc.ready {
                (badge("b-green", "Ready"))
            } @else {
                (badge("b-amber", "Not ready"))
                span.missing {
                    "Missing: "
                    @for (i, x) in cc.missing.iter().enumerate() {
                        @if i > 0 { ", " }
                        (missing_text(*x))
                    }
                }
            }
        }
    }
}

/// What a missing Contact Center requirement asks for, in a few words for a list row:
/// "needs: Contact Center license, a device".
pub fn missing_short(m: Missing) -> &'static str {
    match m {
        Missing::MemberDisabled => "to be enabled",
        Missing::NoExtension => "an extension",
        Missing::LicenseCenter => "Contact Center license",
        Missing::Device => "a device",
        Missing::SubscriptionSuspended => "a subscription that is not suspended",
        Missing::SubscriptionTerminated => "a subscription that is not terminated",
        Missing::PhoneSystemNotEffective => "an effective Phone System",
    }
}

/// Contact Center role and readiness for a row of a list, with what a member who is not
/// ready needs in short words; the full sentences are in the badge's title and on the
/// member's page.
pub fn contact_center_short(m: &MemberView) -> Markup {
    let cc = &m.contact_center;
    let role = match cc.role {
        seatline_domain::CcRole::Supervisor => "Supervisor",
        seatline_domain::CcRole::Agent => "Agent",
    };
    let missing: Vec<&str> = cc.missing.iter().map(|x| missing_text(*x)).collect();
    let needs: Vec<&str> = cc.missing.iter().map(|x| missing_short(*x)).collect();
    html! {
        span.nowrap {
            span.cc-role { (role) } " "
            @if cc.ready {
                (badge("b-green", "Ready"))
            } @else {
                span.badge.b-amber title={ "Missing: " (missing.join(", ")) } { "Not ready" }
            }
        }
        @if !cc.ready {
            div.needs.small { "needs: " (needs.join(", ")) }
        }
    }
}

/// Add-on codes as chips, copies counted: "Mobile ×2".
pub fn addon_chips(codes: &[Code]) -> Markup {
    let mut counted: Vec<(Code, usize)> = Vec::new();
    for c in codes {
        match counted.iter_mut().find(|(x, _)| x == c) {
            Some((_, n)) => *n += 1,
            None => counted.push((*c, 1)),
        }
    }
    html! {
        @if counted.is_empty() {
            span.muted { "None" }
        } @else {
            ul.chips {
                @for (c, n) in counted {
                    li.chip title=(c.as_str()) {
                        (c.name())
                        @if n > 1 { " ×" (n) }
                    }
                }
            }
        }
    }
}

/// A form-level error box. Messages start in lower case ("the organization changed …"),
/// written to follow a lead-in, so the lead-in ends with a colon, not a full stop.
pub fn error_box(e: &Error) -> Markup {
    html! {
        div.alert role="alert" {
            strong { "Could not save:" }
            " " (e.message)
        }
    }
}

/// A count with its noun, singular or plural: "1 error", "2 errors", "1,000 rows".
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{} {}", count(n).0, if n == 1 { one } else { many })
}

/// A stored RFC 3339 UTC time as people read it, to the minute, saying its zone:
/// "2026-12-01 14:05 UTC", in a `<time>` element carrying the exact value.
pub fn when(at: &str) -> Markup {
    let shown = match (at.get(..10), at.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => at.to_owned(),
    };
    html! { time datetime=(at) title=(at) { (shown) } }
}

/// "1,234": thousands separated, as people read counts.
pub fn count(n: impl Into<u64>) -> Markup {
    let s = n.into().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    PreEscaped(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(7u32).0, "7");
        assert_eq!(count(1000u32).0, "1,000");
        assert_eq!(count(99_900u32).0, "99,900");
        assert_eq!(count(1_234_567u32).0, "1,234,567");
    }

    #[test]
    fn plurals_and_times_read_as_words() {
        assert_eq!(plural(1u32, "error", "errors"), "1 error");
        assert_eq!(plural(2u32, "error", "errors"), "2 errors");
        assert_eq!(plural(0u32, "row", "rows"), "0 rows");
        assert_eq!(plural(1500u32, "row", "rows"), "1,500 rows");
        let t = when("2026-12-01T14:05:09.123Z").into_string();
        assert!(t.contains(">2026-12-01 14:05 UTC<"), "{t}");
        assert!(t.contains("datetime=\"2026-12-01T14:05:09.123Z\""), "{t}");
    }

    #[test]
    fn an_error_box_joins_its_lead_in_and_message() {
        let e = Error::new(
            seatline_domain::ErrorCode::PlanStale,
            "the organization changed since the plan was made",
        );
        let m = error_box(&e).into_string();
        assert!(
            m.contains("<strong>Could not save:</strong> the organization changed"),
            "{m}"
        );
    }

    #[test]
    fn chips_count_copies() {
        let m = addon_chips(&[
            Code::DeviceMobileApp,
            Code::DeviceMobileApp,
            Code::LicenseCenter,
        ])
        .into_string();
        assert!(m.contains("Mobile ×2"), "{m}");
        assert!(m.contains("Contact Center"), "{m}");
    }
}
