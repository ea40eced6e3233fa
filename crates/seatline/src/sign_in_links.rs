//! One-time sign-in links from a shell on the server: `seatline member sign-in-link` for any
//! active member (the owner included: whoever can open the database is trusted, as with
//! `seatline member password`), and the owner's link of `seatline org create --base-url`.
//! The CLI does not know where the admin UI is reached, so the URL's origin is given.

use clap::Args;
use seatline_app::views::CreatedOrg;
use seatline_app::{App, AppResult, SignInLink};
use seatline_domain::OrgId;
use serde_json::json;

use crate::output::show;

#[derive(Args)]
pub struct SignInLinkArgs {
    /// Organization id; required unless SEATLINE_ORG is set.
    #[arg(long, env = "SEATLINE_ORG")]
    org: Option<String>,
    /// Member id or email.
    member: String,
    /// Where people reach the admin UI, e.g. https://seatline.example.com.
    #[arg(long, value_parser = base_url)]
    base_url: String,
}

/// A `--base-url`: an absolute http(s) URL with a host, which the link's path follows.
pub fn base_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.trim_end_matches('/').is_empty() && !host.contains(char::is_whitespace) =>
        {
            Ok(s.trim_end_matches('/').to_owned())
        }
        _ => Err(format!(
            "{s:?} is not where the admin UI is reached: give its origin as \
             https://host[:port] (or http://)"
        )),
    }
}

fn link_json(link: &SignInLink, base: &str) -> serde_json::Value {
    json!({"url": link.url(base), "expires_at": link.expires_at})
}

/// `seatline member sign-in-link`: the URL alone on stdout (for scripts), what it is on
/// stderr; with `--json` the API's answer.
pub async fn member(app: &App, a: SignInLinkArgs, json: bool) -> AppResult<()> {
    let Some(org) = a.org.map(OrgId) else {
        clap::Error::raw(
            clap::error::ErrorKind::MissingRequiredArgument,
            "no organization: pass --org ORG_ID or set SEATLINE_ORG\n",
        )
        .exit()
    };
    let link = app.sign_in_link_on_server(&org, &a.member).await?;
    let mut v = link_json(&link, &a.base_url);
    v["member"] = json!({"id": link.member.id, "email": link.member.email});
    show(json, &v, |_| {
        eprintln!(
            "sign-in link for {}: works once, until {}",
            link.member.email, link.expires_at
        );
        link.url(&a.base_url)
    });
    Ok(())
}

/// `seatline org create --base-url`: the organization, and the owner's sign-in link.
pub fn created(json: bool, o: &CreatedOrg, base: &str) {
    let link = &o.owner_link;
    let mut v = serde_json::to_value(o).expect("views serialize");
    v["owner_sign_in_link"] = link_json(link, base);
    show(json, &v, |_| {
        format!(
            "created organization {} ({}) with owner {} ({})\n\
             the owner's sign-in link (works once, until {}):\n{}",
            o.id,
            o.name,
            o.owner.email,
            o.owner.id,
            link.expires_at,
            link.url(base)
        )
    });
}

#[cfg(test)]
mod tests {
    use super::base_url;

    #[test]
    fn a_base_url_is_an_http_origin() {
        assert_eq!(
            base_url("https://seatline.example.com/").unwrap(),
            "https://seatline.example.com"
        );
        assert_eq!(
            base_url("http://10.0.0.7:8080").unwrap(),
            "http://10.0.0.7:8080"
        );
        for bad in ["seatline.example.com", "https://", "ftp://x", "https://a b"] {
            assert!(base_url(bad).unwrap_err().contains("https://host"), "{bad}");
        }
    }
}
