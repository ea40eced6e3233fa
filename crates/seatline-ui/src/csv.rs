//! CSV for the audit download: RFC 4180 quoting, and cells a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-` or `@`) neutralised with a leading apostrophe.

/// One cell, quoted when needed.
pub fn cell(value: &str) -> String {
    let v = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// One line of cells, CRLF-terminated.
pub fn line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let mut s = cells.into_iter().map(cell).collect::<Vec<_>>().join(",");
    s.push_str("\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_neutralises() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("@x,y"), "\"'@x,y\"");
        assert_eq!(line(["a", "b c"]), "a,b c\r\n");
    }
}
