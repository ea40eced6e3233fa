//! Webhook delivery policy (product.md §8), pure: which events an endpoint wants, which
//! targets may be called, and what follows an attempt — success, a retry at a time, the end
//! of the schedule, or disabling the endpoint. Time is milliseconds since the Unix epoch and
//! the jitter is an input, so every decision is a table test.

// `core::net`: the address types alone, no socket (the domain does no IO).
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Error, ErrorCode};

/// Delays before the retries after a failed first attempt: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h. A delivery is attempted at most `1 + RETRY_SCHEDULE_SECS.len()` times.
pub const RETRY_SCHEDULE_SECS: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// The most a `Retry-After` may delay a retry.
pub const RETRY_AFTER_CAP_SECS: i64 = 3_600;
/// An endpoint that has done nothing but fail for this long is disabled.
pub const AUTO_DISABLE_AFTER_MS: i64 = 5 * 24 * 3_600 * 1_000;
/// Scheduled delays vary by up to this fraction either way, so retries spread out.
pub const JITTER: f64 = 0.10;
/// Longest accepted endpoint URL and description; most type filters per endpoint.
pub const MAX_URL: usize = 2_000;
pub const MAX_DESCRIPTION: usize = 500;
pub const MAX_TYPES: usize = 50;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// Claimed by a worker that is sending it now (until its claim expires).
    Delivering,
    Succeeded,
    /// The schedule is exhausted or the endpoint is gone; a replay sends it again.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivering,
        DeliveryStatus::Succeeded,
        DeliveryStatus::Failed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivering => "delivering",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Malformed,
                    format!("status {s:?} is not one of pending, delivering, succeeded, failed"),
                )
                .detail("field", "status")
            })
    }
}

/// How one attempt ended, as the sender saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    /// The receiver answered with this status; `retry_after_secs` is its `Retry-After`.
    Answered {
        status: u16,
        retry_after_secs: Option<i64>,
    },
    /// No answer: connection refused, timeout, forbidden target, TLS failure.
    NoAnswer,
}

/// The facts a decision after an attempt needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptFacts {
    /// Attempts made so far, this one included (1 after the first).
    pub attempts: u32,
    pub now_ms: i64,
    /// When the endpoint's current run of failures began (`None` after a success).
    pub failing_since_ms: Option<i64>,
    /// In [-1, 1]: scales the ±10 % jitter of a scheduled delay.
    pub jitter: f64,
}

/// What follows an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterAttempt {
    pub status: DeliveryStatus,
    /// When to try again, for a `Pending` delivery.
    pub next_attempt_ms: Option<i64>,
    /// The endpoint's run of failures after this attempt.
    pub failing_since_ms: Option<i64>,
    /// Disable the endpoint, saying why.
    pub disable: Option<String>,
}

/// Decide what follows an attempt: only 2xx succeeds; 410 Gone fails the delivery and
/// disables the endpoint; 429 and 503 retry after their `Retry-After` (capped at an hour)
/// when they give one; anything else retries on the schedule until it is exhausted; five
/// days of nothing but failures disable the endpoint.
pub fn after_attempt(result: &AttemptResult, f: &AttemptFacts) -> AfterAttempt {
    if let AttemptResult::Answered { status, .. } = result {
        if (200..300).contains(status) {
            return AfterAttempt {
                status: DeliveryStatus::Succeeded,
                next_attempt_ms: None,
                failing_since_ms: None,
                disable: None,
            };
        }
        if *status == 410 {
            return AfterAttempt {
                status: DeliveryStatus::Failed,
                next_attempt_ms: None,
                failing_since_ms: Some(f.failing_since_ms.unwrap_or(f.now_ms)),
                disable: Some("the endpoint answered 410 Gone".to_owned()),
            };
        }
    }
    let failing_since = f.failing_since_ms.unwrap_or(f.now_ms);
    let disable = (f.now_ms - failing_since >= AUTO_DISABLE_AFTER_MS)
        .then(|| "the endpoint has done nothing but fail for 5 days".to_owned());
    let retry_index = f.attempts.saturating_sub(1) as usize;
    let next = RETRY_SCHEDULE_SECS.get(retry_index).map(|&scheduled| {
        let asked = match result {
            AttemptResult::Answered {
                status: 429 | 503,
                retry_after_secs: Some(secs),
            } => Some((*secs).clamp(0, RETRY_AFTER_CAP_SECS) * 1_000),
            _ => None,
        };
        let delay = asked.unwrap_or_else(|| {
            let jitter = 1.0 + JITTER * f.jitter.clamp(-1.0, 1.0);
            (scheduled as f64 * 1_000.0 * jitter).round() as i64
        });
        f.now_ms + delay
    });
    AfterAttempt {
        status: if next.is_some() {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::Failed
        },
        next_attempt_ms: next,
        failing_since_ms: Some(failing_since),
        disable,
    }
}

/// Whether an event type passes an endpoint's filters: no filter passes everything; a filter
/// is a type (`member.disabled`) or a prefix (`extension.*`).
pub fn wants(filters: &[String], kind: &str) -> bool {
    filters.is_empty()
        || filters.iter().any(|f| match f.strip_suffix('*') {
            Some(prefix) => kind.starts_with(prefix),
            None => f == kind,
        })
}

/// Validate an endpoint's type filters: dotted lower-case names, a `*` only as a whole last
/// segment (`extension.*`); duplicates dropped, order kept.
pub fn parse_types(input: &[String]) -> Result<Vec<String>, Error> {
    if input.len() > MAX_TYPES {
        return Err(Error::new(
            ErrorCode::InvalidWebhookTypes,
            format!(
                "types lists {} filters; at most {MAX_TYPES} are allowed",
                input.len()
            ),
        )
        .detail("field", "types"));
    }
    let mut out: Vec<String> = Vec::new();
    for raw in input {
        let t = raw.trim();
        let segments: Vec<&str> = t.split('.').collect();
        let ok = !t.is_empty()
            && segments.iter().enumerate().all(|(i, s)| {
                (*s == "*" && i == segments.len() - 1 && i > 0)
                    || (!s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            });
        if !ok {
            return Err(Error::new(
                ErrorCode::InvalidWebhookTypes,
                format!(
                    "types entry {raw:?} is not an event type; write a type such as \
                     member.disabled or a prefix such as extension.*"
                ),
            )
            .detail("field", "types")
            .detail("value", raw.as_str()));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// Whether a webhook may call this address: loopback, private, link-local, unique-local,
/// site-local, shared (carrier-grade NAT), benchmarking, reserved, unspecified, broadcast and
/// multicast addresses reach the service's own network rather than a customer's public
/// endpoint, so they are refused unless the operator allows private targets. An IPv6 address
/// that carries an IPv4 address (mapped, compatible, translated, NAT64, 6to4, Teredo) is
/// judged by that IPv4 address too, since that is where its packets end up.
pub fn forbidden_target(ip: IpAddr) -> bool {
    reached(ip).into_iter().flatten().any(|a| match a {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    })
}

/// The addresses a packet to `ip` reaches: `ip` itself and, for the IPv6 forms that carry
/// IPv4 addresses, those (a Teredo address carries two: its server's and its client's).
pub fn reached(ip: IpAddr) -> [Option<IpAddr>; 3] {
    let IpAddr::V6(v6) = ip else {
        return [Some(ip), None, None];
    };
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| {
        Some(IpAddr::V4(Ipv4Addr::from(
            (u32::from(hi) << 16) | u32::from(lo),
        )))
    };
    let (a, b) = match s {
        // ::a.b.c.d (compatible, deprecated) and ::ffff:a.b.c.d (mapped)
        [0, 0, 0, 0, 0, 0 | 0xffff, hi, lo] => (v4(hi, lo), None),
        // ::ffff:0:a.b.c.d (translated, RFC 2765)
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => (v4(hi, lo), None),
        // 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052)
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => (v4(hi, lo), None),
        // 2002:AABB:CCDD::/48 (6to4, RFC 3056)
        [0x2002, hi, lo, ..] => (v4(hi, lo), None),
        // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC (Teredo, RFC 4380): the client's address is
        // stored inverted.
        [0x2001, 0, shi, slo, _, _, chi, clo] => (v4(shi, slo), v4(!chi, !clo)),
        _ => (None, None),
    };
    [Some(ip), a, b]
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments (192.0.0.0/24) and benchmarking (198.18.0.0/15)
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b & 0xfe) == 18)
        // reserved for future use (240.0.0.0/4)
        || a >= 240
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // site-local (fec0::/10, deprecated but still routed inward by some stacks)
        || (first & 0xffc0) == 0xfec0
        // local-use NAT64 (64:ff9b:1::/48, RFC 8215): translates into the operator's network
        || ip.segments()[..3] == [0x64, 0xff9b, 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn facts(attempts: u32, now_ms: i64) -> AttemptFacts {
        AttemptFacts {
            attempts,
            now_ms,
            failing_since_ms: None,
            jitter: 0.0,
        }
    }

    fn answered(status: u16) -> AttemptResult {
        AttemptResult::Answered {
            status,
            retry_after_secs: None,
        }
    }

    #[test]
    fn schedule_then_failed() {
        // attempts made → delay of the next attempt, in seconds
        let table: &[(u32, Option<i64>)] = &[
            (1, Some(5)),
            (2, Some(300)),
            (3, Some(1_800)),
            (4, Some(7_200)),
            (5, Some(18_000)),
            (6, Some(36_000)),
            (7, Some(36_000)),
            (8, None),
        ];
        for &(attempts, delay) in table {
            for result in [
                answered(500),
                answered(404),
                answered(301),
                AttemptResult::NoAnswer,
            ] {
                let a = after_attempt(&result, &facts(attempts, 1_000));
                assert_eq!(
                    a.next_attempt_ms,
                    delay.map(|d| 1_000 + d * 1_000),
                    "{attempts} {result:?}"
                );
                let want = if delay.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                };
                assert_eq!(a.status, want);
                assert_eq!(a.failing_since_ms, Some(1_000));
                assert_eq!(a.disable, None);
            }
        }
    }

    #[test]
    fn jitter_is_at_most_ten_percent() {
        for (jitter, want) in [
            (1.0, 5_500),
            (-1.0, 4_500),
            (0.5, 5_250),
            (7.0, 5_500),
            (-7.0, 4_500),
        ] {
            let f = AttemptFacts {
                jitter,
                ..facts(1, 0)
            };
            assert_eq!(
                after_attempt(&answered(500), &f).next_attempt_ms,
                Some(want),
                "{jitter}"
            );
        }
    }

    #[test]
    fn only_2xx_succeeds() {
        for (status, ok) in [
            (200, true),
            (204, true),
            (299, true),
            (199, false),
            (300, false),
            (302, false),
            (400, false),
            (500, false),
        ] {
            let f = AttemptFacts {
                failing_since_ms: Some(5),
                ..facts(3, 10)
            };
            let a = after_attempt(&answered(status), &f);
            assert_eq!(a.status == DeliveryStatus::Succeeded, ok, "{status}");
            if ok {
                assert_eq!(
                    a.failing_since_ms, None,
                    "a success ends the run of failures"
                );
                assert_eq!(a.next_attempt_ms, None);
            } else {
                assert_eq!(a.failing_since_ms, Some(5));
            }
        }
    }

    #[test]
    fn gone_disables() {
        let a = after_attempt(&answered(410), &facts(1, 10));
        assert_eq!(a.status, DeliveryStatus::Failed);
        assert_eq!(a.next_attempt_ms, None);
        assert!(a.disable.unwrap().contains("410"));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        // status, Retry-After, delay of the next attempt (the schedule's 5 s is 5.5 s here)
        let table: &[(u16, Option<i64>, i64)] = &[
            (429, Some(2), 2_000),
            (503, Some(120), 120_000),
            (429, Some(86_400), H),
            (429, Some(-5), 0),
            (429, None, 5_500),
            // Only 429 and 503 carry a meaningful Retry-After.
            (500, Some(2), 5_500),
        ];
        for &(status, retry_after_secs, delay) in table {
            let r = AttemptResult::Answered {
                status,
                retry_after_secs,
            };
            let a = after_attempt(
                &r,
                &AttemptFacts {
                    jitter: 1.0,
                    ..facts(1, 0)
                },
            );
            assert_eq!(
                a.next_attempt_ms,
                Some(delay),
                "{status} {retry_after_secs:?}"
            );
        }
        // The last attempt is the last, whatever the receiver asks.
        let r = AttemptResult::Answered {
            status: 429,
            retry_after_secs: Some(1),
        };
        assert_eq!(
            after_attempt(&r, &facts(8, 0)).status,
            DeliveryStatus::Failed
        );
    }

    #[test]
    fn five_days_of_failures_disable() {
        let day = 24 * H;
        for (since, now, disabled) in [
            (Some(0), 5 * day - 1, false),
            (Some(0), 5 * day, true),
            (None, 50 * day, false),
            (Some(day), 6 * day, true),
        ] {
            let f = AttemptFacts {
                failing_since_ms: since,
                ..facts(2, now)
            };
            let a = after_attempt(&AttemptResult::NoAnswer, &f);
            assert_eq!(a.disable.is_some(), disabled, "{since:?} {now}");
            // A success on the last day keeps the endpoint.
            assert_eq!(after_attempt(&answered(200), &f).disable, None);
        }
    }

    #[test]
    fn type_filters() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let table: &[(&[&str], &str, bool)] = &[
            (&[], "extension.provisioned", true),
            (&["extension.*"], "extension.provisioned", true),
            (&["extension.*"], "extensionx.provisioned", false),
            (&["extension.*"], "member.created", false),
            (&["member.disabled"], "member.disabled", true),
            (&["member.disabled"], "member.disabled_x", false),
            (
                &["member.disabled", "extension.*"],
                "extension.assigned",
                true,
            ),
            (&["webhook.test"], "webhook.test", true),
        ];
        for &(filters, kind, want) in table {
            assert_eq!(wants(&f(filters), kind), want, "{filters:?} {kind}");
        }
    }

    #[test]
    fn type_filter_validation() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_types(&f(&[" extension.* ", "member.disabled", "extension.*"])).unwrap(),
            f(&["extension.*", "member.disabled"])
        );
        for bad in [
            "",
            "*",
            "Extension.*",
            "extension.*.x",
            "ext*",
            "a..b",
            "member.disabled!",
        ] {
            let e = parse_types(&f(&[bad])).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidWebhookTypes, "{bad:?}");
            assert_eq!(e.details["field"], "types");
        }
        let many: Vec<String> = (0..=MAX_TYPES)
            .map(|i| format!("t.x{}", "a".repeat(i)))
            .collect();
        assert!(parse_types(&many).is_err());
    }

    #[test]
    fn ssrf_guard() {
        let table: &[(&str, bool)] = &[
            ("127.0.0.1", true),
            ("127.8.9.10", true),
            ("10.1.2.3", true),
            ("172.16.0.1", true),
            ("172.31.255.255", true),
            ("172.32.0.1", false),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("100.64.0.1", true),
            ("100.128.0.1", false),
            ("0.0.0.0", true),
            ("0.1.2.3", true),
            ("255.255.255.255", true),
            ("224.0.0.1", true),
            ("8.8.8.8", false),
            ("93.184.216.34", false),
            ("::1", true),
            ("::", true),
            ("fe80::1", true),
            ("fc00::1", true),
            ("fd12:3456::1", true),
            ("ff02::1", true),
            ("::ffff:127.0.0.1", true),
            ("::ffff:10.0.0.1", true),
            ("::ffff:8.8.8.8", false),
            ("2606:4700::1111", false),
            // IPv4 addresses carried in IPv6 ones are judged as IPv4 (issue 28)
            ("::7f00:1", true),
            ("::a00:1", true),
            ("::808:808", false),
            ("::ffff:0:7f00:1", true),
            ("::ffff:0:808:808", false),
            ("64:ff9b::7f00:1", true),
            ("64:ff9b::a9fe:a9fe", true),
            ("64:ff9b::808:808", false),
            ("64:ff9b:1::808:808", true),
            ("2002:7f00:1::1", true),
            ("2002:c0a8:101::", true),
            ("2002:808:808::1", false),
            // Teredo: server 65.54.227.120, client 127.0.0.1 stored inverted (80ff:fffe)
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", true),
            // Teredo: server 65.54.227.120, client 8.8.8.8 inverted (f7f7:f7f7)
            ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", false),
            // Teredo with an internal server
            ("2001:0:a00:1:8000:63bf:f7f7:f7f7", true),
            ("fec0::1", true),
            ("feff::1", true),
            // IPv4 ranges that reach no public endpoint
            ("198.18.0.1", true),
            ("198.19.255.254", true),
            ("198.20.0.1", false),
            ("240.0.0.1", true),
            ("250.1.2.3", true),
            ("192.0.0.8", true),
            ("192.0.1.1", false),
        ];
        for &(ip, forbidden) in table {
            assert_eq!(forbidden_target(ip.parse().unwrap()), forbidden, "{ip}");
        }
    }
}
