//! PATCH (RFC 7644 §3.5.2) as real clients send it: `op` in any case (`Replace`), values
//! with booleans as strings (`"False"`), operations without a `path` whose value holds dotted
//! or URN-prefixed keys, URN-prefixed paths, Okta's `{"op":"replace","value":{"active":false}}`.
//! Operations become assignments, read the same way as a body's attributes.

use seatline_domain::{Error, ErrorCode};
use serde_json::Value;

use super::resource::{assign, assign_object, Assignment, Source};

fn malformed(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Malformed, message)
}

/// Get a key of an object, case-insensitively (SCIM attribute names are).
fn get<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The assignments of a PatchOp body, in operation order.
pub(crate) fn assignments(body: Value) -> Result<Vec<Assignment>, Error> {
    let Value::Object(body) = body else {
        return Err(malformed(
            "a PATCH body is a PatchOp object with Operations",
        ));
    };
    let ops = get(&body, "Operations")
        .and_then(Value::as_array)
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| {
            malformed("a PATCH body needs Operations: a list of {op, path, value}")
                .detail("field", "Operations")
        })?;
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let Value::Object(op) = op else {
            return Err(
                malformed(format!("operation {i} is not an object")).detail("field", "Operations")
            );
        };
        let kind = get(op, "op")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let path = get(op, "path")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty());
        let value = get(op, "value").cloned();
        match (kind.as_str(), path, value) {
            ("remove", Some(path), _) => assign(path, Value::Null, Source::Patch, &mut out)?,
            ("remove", None, _) => {
                return Err(Error::new(
                    ErrorCode::InvalidPath,
                    format!("operation {i}: remove needs a path naming what to remove"),
                )
                .detail("field", "path"))
            }
            ("add" | "replace", Some(path), Some(value)) => {
                assign(path, value, Source::Patch, &mut out)?
            }
            ("add" | "replace", None, Some(value)) => {
                assign_object(value, Source::Patch, &mut out)?
            }
            ("add" | "replace", _, None) => {
                return Err(malformed(format!("operation {i}: {kind} needs a value"))
                    .detail("field", "value"))
            }
            _ => {
                return Err(
                    malformed(format!("operation {i}: op must be add, replace or remove"))
                        .detail("field", "op"),
                )
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::resource::Target;
    use super::*;
    use serde_json::json;

    #[test]
    fn entra_and_okta_shapes() {
        let a = assignments(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "replace", "value": {"name.givenName": "Ann",
                    "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:contactCenter": "True"}},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:deviceMobileApp", "value": "2"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ann@example.com"},
                {"op": "remove", "path": "externalId"}
            ]}))
        .unwrap();
        let targets: Vec<&Target> = a.iter().map(|(t, _)| t).collect();
        assert_eq!(
            targets,
            [
                &Target::Active,
                &Target::GivenName,
                &Target::Seatline("contactCenter"),
                &Target::Seatline("deviceMobileApp"),
                &Target::Email,
                &Target::ExternalId
            ]
        );
    }

    #[test]
    fn read_only_and_unknown_paths() {
        let e = assignments(json!({"Operations": [{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:contactCenterRole", "value": "agent"}]})).unwrap_err();
        assert_eq!(e.code, ErrorCode::ReadOnlyAttribute);
        // Inside the whole extension object a read-only attribute is an echo, judged against
        // the User's current value when the write is made.
        let a = assignments(json!({"Operations": [{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User", "value": {"contactCenterRole": "agent", "teamChat": true}}]})).unwrap();
        let targets: Vec<&Target> = a.iter().map(|(t, _)| t).collect();
        assert_eq!(
            targets,
            [
                &Target::Echo("contactCenterRole"),
                &Target::Seatline("teamChat")
            ]
        );
        let e = assignments(json!({"Operations": [{"op": "replace", "path": "id", "value": "x"}]}))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ReadOnlyAttribute);
        let e = assignments(json!({"Operations": [{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:fax", "value": "x"}]})).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidPath);
        let e = assignments(json!({"Operations": [{"op": "remove"}]})).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidPath);
        let e =
            assignments(json!({"Operations": [{"op": "move", "path": "active", "value": true}]}))
                .unwrap_err();
        assert_eq!(e.code, ErrorCode::Malformed);
    }
}
