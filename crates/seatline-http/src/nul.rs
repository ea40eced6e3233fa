//! Text no store can hold: PostgreSQL's text cannot take a NUL (U+0000), so every JSON body
//! is checked for one before it reaches a use case, and the refusal names the field. Read by
//! the API's and SCIM's body extractors and by the edge's query check, below all of them.

use serde_json::Value;

/// Why a text holds something no field accepts, for a message naming `field`.
pub(crate) fn nul_message(field: &str) -> String {
    format!(
        "{field} holds a NUL character (U+0000), which no text accepts; remove it and send the request again"
    )
}

/// The first field of a JSON value (keys included) whose text holds a NUL, as a path:
/// `owner.name`, `Operations[0].value`.
pub(crate) fn nul_field(v: &Value) -> Option<String> {
    fn walk(v: &Value, at: &mut String) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                let found = walk(item, at);
                if !found {
                    at.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(k, item)| {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(&k.replace('\0', "\\u0000"));
                let found = k.contains('\0') || walk(item, at);
                if !found {
                    at.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut at = String::new();
    walk(v, &mut at).then(|| if at.is_empty() { "body".into() } else { at })
}

/// Whether raw JSON may hold a NUL in a string: JSON writes one only as the escape
/// `\u0000` (a raw NUL byte is a syntax error), so bodies without it skip the walk.
pub(crate) fn may_hold_nul(json: &[u8]) -> bool {
    json.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_fields_are_named_by_their_path() {
        assert_eq!(nul_field(&json!({"name": "a\u{0}"})), Some("name".into()));
        assert_eq!(
            nul_field(&json!({"owner": {"email": "x", "name": "\u{0}"}})),
            Some("owner.name".into())
        );
        assert_eq!(
            nul_field(&json!({"Operations": [{"value": "ok"}, {"value": {"a": "\u{0}"}}]})),
            Some("Operations[1].value.a".into())
        );
        assert_eq!(nul_field(&json!("\u{0}")), Some("body".into()));
        assert_eq!(nul_field(&json!({"a\u{0}": 1})), Some("a\\u0000".into()));
        assert_eq!(nul_field(&json!({"name": "\\u0000 as text"})), None);
    }

    #[test]
    fn the_nul_escape_is_spotted_in_raw_json() {
        assert!(may_hold_nul(br#"{"a":"\u0000"}"#));
        assert!(!may_hold_nul(br#"{"a":"b"}"#));
    }
}
