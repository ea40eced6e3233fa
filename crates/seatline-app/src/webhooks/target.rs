//! The guard against webhooks aimed at the service's own network (SSRF): an endpoint's URL is
//! checked when it is set, and every address the sender connects to is checked again at
//! delivery time, after DNS resolution, by the resolver the HTTP client uses, so a name that
//! later resolves to an internal address is refused too. Internal means what
//! `seatline_domain::webhooks::forbidden_target` says, plus this host's own interface
//! addresses, whatever they are (a public address of the server reaches the server itself).

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use seatline_domain::webhooks::{forbidden_target, reached, MAX_URL};
use seatline_domain::{Error, ErrorCode};

fn invalid(url: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::InvalidWebhookUrl,
        format!("url {url:?} {why}; give an absolute http:// or https:// URL such as https://pbx.example.com/hooks"),
    )
    .detail("field", "url")
}

fn forbidden(url: &str, ip: IpAddr) -> Error {
    Error::new(
        ErrorCode::WebhookTargetForbidden,
        format!(
            "url {url:?} reaches {ip}, a loopback, private, link-local or otherwise internal \
             address; webhooks go to public addresses unless the server runs with \
             --webhooks-allow-private"
        ),
    )
    .detail("field", "url")
    .detail("address", ip.to_string())
}

/// Whether a webhook may not call this address: an internal one, or one that reaches (itself
/// or by the IPv4 address it carries) an address of this host's interfaces. The interfaces
/// are read on every call: addresses come and go, and a lookup is one system call.
pub fn internal(ip: IpAddr) -> bool {
    if forbidden_target(ip) {
        return true;
    }
    let own = match if_addrs::get_if_addrs() {
        Ok(own) => own,
        Err(e) => {
            // Not knowing the host's addresses must not open the guard.
            tracing::warn!(error = %e, "cannot list this host's addresses; refusing {ip}");
            return true;
        }
    };
    reached(ip)
        .into_iter()
        .flatten()
        .any(|a| own.iter().any(|i| i.ip() == a))
}

/// Validate an endpoint URL and, unless private targets are allowed, refuse one whose host is
/// or resolves to an internal address. A name that does not resolve yet is accepted: the
/// sender checks the addresses it resolves to on every attempt.
pub async fn check_url(input: &str, allow_private: bool) -> Result<String, Error> {
    let input = input.trim();
    if input.len() > MAX_URL {
        let start: String = input.chars().take(40).collect();
        return Err(invalid(
            &format!("{start}…"),
            "is longer than 2,000 characters",
        ));
    }
    let url = Url::parse(input).map_err(|e| invalid(input, &format!("cannot be read ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(input, "is not http or https"));
    }
    let Some(host) = url.host_str() else {
        return Err(invalid(input, "has no host"));
    };
    if !allow_private {
        let port = url.port_or_known_default().unwrap_or(443);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map(|a| a.map(|s| s.ip()).collect())
                .unwrap_or_default(),
        };
        if let Some(ip) = addrs.into_iter().find(|ip| internal(*ip)) {
            return Err(forbidden(input, ip));
        }
    }
    Ok(url.to_string())
}

/// The literal address of a URL's host, if it is one: the HTTP client does not resolve those,
/// so the sender checks them itself.
pub fn literal_forbidden(url: &str) -> Option<IpAddr> {
    let url = Url::parse(url).ok()?;
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    internal(ip).then_some(ip)
}

/// The HTTP client's resolver: the system's, minus internal addresses unless allowed. A name
/// with nothing but internal addresses fails to resolve, which fails the attempt.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| allow_private || !internal(a.ip()))
                .collect();
            if allowed.is_empty() && !all.is_empty() {
                return Err(format!(
                    "{host} resolves only to internal addresses ({}), which webhooks may not reach",
                    all[0].ip()
                )
                .into());
            }
            Ok::<Addrs, Box<dyn std::error::Error + Send + Sync>>(Box::new(allowed.into_iter()))
        })
    }
}
