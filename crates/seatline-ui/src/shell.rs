//! The page shell every page is drawn in: the head (title, icon, stylesheet, script), the
//! brand, and the bare page without navigation that sign-in and error pages use. It knows
//! nothing of who is signed in, so the error page can be drawn from anywhere below the pages.

use maud::{html, Markup, DOCTYPE};

pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Seatline" }
            link rel="icon" type="image/svg+xml" href="/favicon.ico";
            link rel="stylesheet" href="/ui/assets/app.css";
            script src="/ui/assets/app.js" defer {}
        }
    }
}

pub fn brand() -> Markup {
    html! {
        a.brand href="/ui/" {
            span.logo aria-hidden="true" { "S" }
            "Seatline"
        }
    }
}

/// A page without navigation: sign-in and error pages.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                header.topbar { div.wrap.topbar-inner { (brand()) } }
                main #main .wrap { (body) }
            }
        }
    }
}
