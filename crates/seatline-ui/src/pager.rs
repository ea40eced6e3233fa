//! Paging links for lists the store reads forward only ("the page after this key"): a
//! Previous link needs the cursors of the pages before the current one, so every Next link
//! carries them in `back`, a comma-separated list that Previous shortens by one. No state is
//! kept on the server, and a bookmarked page still pages back.

use maud::{html, Markup};

/// Where a list stands: its base URL with the search already in its query (`…?q=x`), the
/// cursor of the current page (none on the first) and those of the pages before it.
pub struct Position<'a> {
    pub base: String,
    pub anchor: &'a str,
    pub after: Option<&'a str>,
    pub back: Vec<&'a str>,
}

impl<'a> Position<'a> {
    /// Read `after` and `back` from the query; a cursor that is not a key is dropped rather
    /// than passed on.
    pub fn new(base: String, anchor: &'a str, after: Option<&'a str>, back: &'a str) -> Self {
        let key = |c: &&str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
        Position {
            base,
            anchor,
            after: after.filter(key),
            back: back.split(',').filter(key).collect(),
        }
    }

    fn href(&self, after: Option<&str>, back: &[&str]) -> String {
        let mut h = self.base.clone();
        if let Some(a) = after {
            h.push_str("&after=");
            h.push_str(a);
        }
        if !back.is_empty() {
            h.push_str("&back=");
            h.push_str(&back.join(","));
        }
        h.push_str(self.anchor);
        h
    }

    /// First page, Previous, what is shown, and Next (when `next` is a cursor).
    pub fn links(&self, label: &str, shown: Markup, next: Option<&str>) -> Markup {
        let previous = self.after.map(|_| match self.back.split_last() {
            Some((last, rest)) => self.href(Some(*last), rest),
            None => self.href(None, &[]),
        });
        let forward: Vec<&str> = self.back.iter().copied().chain(self.after).collect();
        html! {
            nav.pager aria-label=(label) {
                @if !self.back.is_empty() {
                    a.btn.btn-quiet href=(self.href(None, &[])) { "« First page" }
                }
                @if let Some(p) = previous {
                    a.btn href=(p) rel="prev" { "← Previous" }
                }
                (shown)
                @if let Some(n) = next {
                    a.btn href=(self.href(Some(n), &forward)) rel="next" { "Next page →" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_drops_the_last_cursor_and_next_adds_the_current_one() {
        let p = Position::new("/l?q=".into(), "#x", Some("1099"), "1049,x");
        assert_eq!(p.back, ["1049"], "a cursor that is not a key is dropped");
        let links = p.links("Pages", html! {}, Some("1149")).into_string();
        assert!(
            links.contains("href=\"/l?q=&amp;after=1049#x\" rel=\"prev\""),
            "{links}"
        );
        assert!(
            links.contains("href=\"/l?q=&amp;after=1149&amp;back=1049,1099#x\" rel=\"next\""),
            "{links}"
        );
        assert!(links.contains("href=\"/l?q=#x\""), "{links}");
        let first = Position::new("/l?q=".into(), "#x", None, "").links("Pages", html! {}, None);
        assert!(
            !first.into_string().contains("href"),
            "nothing to link on a single page"
        );
    }
}
