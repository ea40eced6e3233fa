//! Subscription lifecycle on the Licenses page (product.md §10): each code's state, term end
//! and over-allocation, and the banner naming the codes that take no new copies or give no
//! service.

use maud::{html, Markup};
use seatline_app::views::LicenseView;
use seatline_domain::SubState;

use crate::layout;

/// A license's subscription state, term end and over-allocation (product.md §10).
pub fn subscription_cell(l: &LicenseView) -> Markup {
    let (class, label) = match l.state {
        SubState::Active => ("b-green", "Active"),
        SubState::Expired => ("b-amber", "Expired (grace)"),
        SubState::Suspended => ("b-red", "Suspended"),
        SubState::Terminated => ("b-red", "Terminated"),
    };
    html! {
        (layout::badge(class, label))
        @if let Some(end) = &l.term_end { " " span.muted { "term ends " (end) } }
        @if l.over_allocated > 0 { " " (layout::badge("b-amber", &format!("over-allocated by {}", l.over_allocated))) }
    }
}

/// One line per code that is expired, suspended, terminated or over-allocated, so an admin
/// sees at once which codes take no new copies and which give no service.
pub fn banner(licenses: &[LicenseView]) -> Markup {
    let lines: Vec<String> = licenses
        .iter()
        .filter_map(|l| {
            let state = match l.state {
                SubState::Active => None,
                SubState::Expired => Some(format!(
                    "{} expired{}: still working during the grace period, but no new copies until it is renewed.",
                    l.name,
                    l.term_end.as_ref().map(|d| format!(" (term ended {d})")).unwrap_or_default()
                )),
                SubState::Suspended => Some(format!(
                    "{} is suspended: its {} copies give no service until the subscription is reactivated; nothing was removed.",
                    l.name, l.in_use
                )),
                SubState::Terminated => Some(format!(
                    "{} is terminated: its {} copies give no service; only a new subscription brings it back.",
                    l.name, l.in_use
                )),
            };
            let over = (l.over_allocated > 0).then(|| format!(
                "{} is over-allocated: {} in use but {} purchased; free {} before adding new copies.",
                l.name, l.in_use, l.purchased, l.over_allocated
            ));
            match (state, over) {
                (None, None) => None,
                (a, b) => Some([a, b].into_iter().flatten().collect::<Vec<_>>().join(" ")),
            }
        })
        .collect();
    html! {
        @if !lines.is_empty() {
            div.alert role="alert" #lifecycle-banner {
                @for line in &lines { p { (line) } }
            }
        }
    }
}
