//! The SCIM filters identity providers send (RFC 7644 §3.4.2.2), and only those: `eq` on
//! `userName`, `externalId`, `id`, `emails.value`, `emails[type eq "work"].value` and
//! `active`, joined by `and`. Anything else is 400 `invalidFilter`, never a silent "match all".

use seatline_domain::{Email, Error, ErrorCode, MemberId, Status};
use seatline_store::ScimQuery;

use super::schemas::USER;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidFilter, message).detail("field", "filter")
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Path(String),
    Word(String),
    Str(String),
}

fn tokens(filter: &str) -> Result<Vec<Token>, Error> {
    let mut out = Vec::new();
    let mut chars = filter.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    None => return Err(invalid("a quoted value is not closed")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some(other) => s.push(other),
                        None => return Err(invalid("a quoted value is not closed")),
                    },
                    Some(other) => s.push(other),
                }
            }
            out.push(Token::Str(s));
        } else if c == '(' || c == ')' {
            return Err(invalid(
                "grouping with parentheses is not supported; join conditions with and",
            ));
        } else {
            // An attribute path may carry a value filter: emails[type eq "work"].value.
            let mut s = String::new();
            let mut depth = 0;
            while let Some(&c) = chars.peek() {
                if depth == 0 && c.is_whitespace() {
                    break;
                }
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ => {}
                }
                s.push(c);
                chars.next();
            }
            let is_word = ["eq", "and", "true", "false", "null"]
                .iter()
                .any(|w| s.eq_ignore_ascii_case(w))
                || [
                    "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le", "or", "not",
                ]
                .iter()
                .any(|w| s.eq_ignore_ascii_case(w));
            out.push(if is_word {
                Token::Word(s.to_ascii_lowercase())
            } else {
                Token::Path(s)
            });
        }
    }
    Ok(out)
}

/// Which member field a filter's attribute path names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Email,
    ExternalId,
    Id,
    Active,
}

fn field(path: &str) -> Result<Field, Error> {
    let bare = match path.get(..USER.len()) {
        Some(p) if p.eq_ignore_ascii_case(USER) && path[USER.len()..].starts_with(':') => {
            &path[USER.len() + 1..]
        }
        _ => path,
    };
    let lower = bare.to_ascii_lowercase();
    let work = lower.replace(' ', "");
    Ok(match lower.as_str() {
        "username" | "emails.value" | "emails" => Field::Email,
        "externalid" => Field::ExternalId,
        "id" => Field::Id,
        "active" => Field::Active,
        _ if work == "emails[typeeq\"work\"].value" => Field::Email,
        _ => {
            return Err(invalid(format!(
                "filtering on {path} is not supported; use userName, externalId, id, emails.value, emails[type eq \"work\"].value or active"
            )))
        }
    })
}

/// The query a filter asks for; `None` when its conditions contradict each other (no
/// member can match).
pub(crate) fn parse(filter: &str) -> Result<Option<ScimQuery>, Error> {
    let tokens = tokens(filter)?;
    if tokens.is_empty() {
        return Err(invalid(
            "the filter is empty; leave it out to list every user",
        ));
    }
    let mut q = ScimQuery::default();
    let mut impossible = false;
    let mut rest = tokens.as_slice();
    loop {
        let (path, value, tail) = match rest {
            [Token::Path(p), Token::Word(op), value, tail @ ..] if op == "eq" => (p, value, tail),
            [Token::Path(p), Token::Word(op), ..] => {
                return Err(invalid(format!(
                    "the operator {op} on {p} is not supported; only eq is"
                )))
            }
            _ => {
                return Err(invalid(
                    "a filter is conditions of the form attribute eq \"value\" joined by and",
                ))
            }
        };
        let field = field(path)?;
        let set = |slot: &mut Option<String>, v: String, impossible: &mut bool| {
            if slot.as_ref().is_some_and(|old| *old != v) {
                *impossible = true;
            } else {
                *slot = Some(v);
            }
        };
        match (field, value) {
            (Field::Active, Token::Word(w)) if w == "true" || w == "false" => {
                let s = if w == "true" {
                    Status::Active
                } else {
                    Status::Disabled
                };
                if q.status.is_some_and(|old| old != s) {
                    impossible = true;
                }
                q.status = Some(s);
            }
            (Field::Active, _) => return Err(invalid("active is compared with true or false")),
            (_, Token::Str(v)) => match field {
                Field::Email => match v.parse::<Email>() {
                    // userName is an email: a value that is not one matches nobody.
                    Err(_) => impossible = true,
                    Ok(e) => {
                        if q.email.as_ref().is_some_and(|old| *old != e) {
                            impossible = true;
                        }
                        q.email = Some(e);
                    }
                },
                Field::ExternalId => set(&mut q.external_id, v.clone(), &mut impossible),
                Field::Id => {
                    let mut id = q.id.take().map(|m| m.0);
                    set(&mut id, v.clone(), &mut impossible);
                    q.id = id.map(MemberId);
                }
                Field::Active => unreachable!("matched above"),
            },
            _ => return Err(invalid(format!("compare {path} with a quoted string"))),
        }
        match tail {
            [] => break,
            [Token::Word(w), more @ ..] if w == "and" && !more.is_empty() => rest = more,
            [Token::Word(w), ..] if w == "or" || w == "not" => {
                return Err(invalid(format!(
                    "{w} is not supported; join conditions with and"
                )))
            }
            _ => return Err(invalid("join conditions with and")),
        }
    }
    Ok((!impossible).then_some(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_identity_providers_send() {
        let q = parse("userName eq \"Ann@Example.com\"").unwrap().unwrap();
        assert_eq!(q.email.unwrap().as_str(), "ann@example.com");
        let q = parse("externalId eq \"00aa-11\" and active eq true")
            .unwrap()
            .unwrap();
        assert_eq!(q.external_id.as_deref(), Some("00aa-11"));
        assert_eq!(q.status, Some(Status::Active));
        let q = parse("emails[type eq \"work\"].value eq \"b@example.com\"")
            .unwrap()
            .unwrap();
        assert_eq!(q.email.unwrap().as_str(), "b@example.com");
        let q = parse("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"c@example.com\"")
            .unwrap()
            .unwrap();
        assert_eq!(q.email.unwrap().as_str(), "c@example.com");
        let q = parse("id eq \"mem_1\" AND emails.value eq \"d@example.com\"")
            .unwrap()
            .unwrap();
        assert_eq!(q.id.unwrap().0, "mem_1");
        assert!(parse("userName eq \"a@x.io\" and userName eq \"b@x.io\"")
            .unwrap()
            .is_none());
        assert!(parse("userName eq \"not an email\"").unwrap().is_none());
    }

    #[test]
    fn anything_else_is_invalid_filter() {
        for f in [
            "",
            "userName co \"a\"",
            "userName sw \"a\"",
            "title eq \"x\"",
            "userName eq \"a@x.io\" or id eq \"1\"",
            "userName pr",
            "(userName eq \"a@x.io\")",
            "active eq \"yes\"",
            "userName eq \"a@x.io\" and",
            "emails[type eq \"home\"].value eq \"a@x.io\"",
            "userName eq \"open",
        ] {
            let e = parse(f).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidFilter, "{f}");
        }
    }
}
