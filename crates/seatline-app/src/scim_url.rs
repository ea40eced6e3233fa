//! The SCIM base URL as the client reached this server: the API writes it into every
//! resource's `meta.location`, and the admin UI shows it as the URL to paste into the
//! identity provider, so both take it from here and never disagree.

/// The path the SCIM routes are served under.
pub const SCIM_PATH: &str = "/scim/v2";

/// `{proto}://{host}/scim/v2` from the request's headers, read through `header` (a name in
/// lower case → its value): a proxy's `X-Forwarded-Proto` and `X-Forwarded-Host` first (the
/// first of a comma-separated list, the client's side), then `Host`; `http` and `localhost`
/// when they are absent.
pub fn base_url<'a>(header: impl Fn(&str) -> Option<&'a str>) -> String {
    let value = |name: &str| {
        header(name)
            .map(|v| v.split(',').next().unwrap_or(v).trim())
            .filter(|v| !v.is_empty())
    };
    let proto = value("x-forwarded-proto").unwrap_or("http");
    let host = value("x-forwarded-host")
        .or_else(|| value("host"))
        .unwrap_or("localhost");
    format!("{proto}://{host}{SCIM_PATH}")
}

/// [`base_url`] of a request's headers: the one call the API and the admin UI make, so the
/// header reading is written once too.
pub fn from_headers(headers: &reqwest::header::HeaderMap) -> String {
    base_url(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

#[cfg(test)]
mod tests {
    use super::base_url;

    #[test]
    fn a_proxy_s_headers_come_first_and_defaults_fill_the_rest() {
        let behind = base_url(|name| match name {
            "x-forwarded-proto" => Some("https, http"),
            "x-forwarded-host" => Some(" seatline.example.com , inner"),
            "host" => Some("10.0.0.7:8080"),
            _ => None,
        });
        assert_eq!(behind, "https://seatline.example.com/scim/v2");
        let direct = base_url(|name| (name == "host").then_some("127.0.0.1:8080"));
        assert_eq!(direct, "http://127.0.0.1:8080/scim/v2");
        assert_eq!(base_url(|_| None), "http://localhost/scim/v2");
    }
}
