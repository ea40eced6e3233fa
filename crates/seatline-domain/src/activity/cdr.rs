//! Asterisk's CDR file (`cdr_csv`, `Master.csv`) read as activity: each record's `src` and
//! `dst` that are extension keys count as a call at its `start` (docs/activity.md).
//!
//! The format is what `cdr/cdr_csv.c` writes: no header line; one record per line; fields
//! `accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
//! answer, end, duration, billsec, disposition, amaflags`, then `uniqueid` and `userfield`
//! when enabled and `peeraccount, linkedid, sequence` with `newcdrcolumns` (16 to 21 fields);
//! strings in double quotes with inner quotes doubled, integers bare, dates quoted as
//! `%Y-%m-%d %T` in the PBX's local time (UTC with `usegmtime`), an unset date an empty
//! field.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

use super::{Activity, ActivityKind, MAX_AHEAD};
use crate::error::{Error, ErrorCode};
use crate::values::ExtKey;

/// Fields of a record Asterisk writes: 16 always, up to 5 more by `cdr.conf` options.
const MIN_FIELDS: usize = 16;
const MAX_FIELDS: usize = 21;
const SRC: usize = 1;
const DST: usize = 2;
const START: usize = 9;

/// Most refused lines an import lists one by one; the rest are only counted.
pub const MAX_LISTED: usize = 1_000;

/// A line that could not be read: its number (1-based) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    pub line: usize,
    pub field: &'static str,
    pub code: ErrorCode,
    pub message: String,
}

/// The formats an activity import reads.
pub const FORMATS: &[&str] = &["asterisk-cdr"];

/// Check an import's `format`: only `asterisk-cdr` is read.
pub fn check_format(format: &str) -> Result<(), Error> {
    if FORMATS.contains(&format) {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::Malformed,
        format!("format {format:?} is not one Seatline imports; use asterisk-cdr (Asterisk's cdr_csv Master.csv)"),
    )
    .detail("field", "format"))
}

/// The PBX's UTC offset, `+02:00`, `-05:30` or `Z`: the clock Asterisk wrote its dates in.
pub fn parse_offset(s: &str) -> Result<FixedOffset, Error> {
    let bad = || {
        Error::new(
            ErrorCode::Malformed,
            format!("utc_offset {s:?} is not an offset such as +02:00, -05:30 or Z (the PBX's clock; Z when cdr.conf sets usegmtime)"),
        )
        .detail("field", "utc_offset")
    };
    if s == "Z" || s == "z" {
        return Ok(FixedOffset::east_opt(0).expect("zero offset"));
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let digits = |t: &str| {
        (t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<i32>().ok())
            .flatten()
    };
    let (h, m) = (digits(h).ok_or_else(bad)?, digits(m).ok_or_else(bad)?);
    if h > 14 || m > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

/// The fields of one line as Asterisk quoted them; `None` when its quoting is broken.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(MAX_FIELDS);
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return None,
                }
            }
            match chars.next() {
                Some(',') => out.push(field),
                None => {
                    out.push(field);
                    return Some(out);
                }
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    Some(',') => break,
                    Some('"') => return None,
                    Some(c) => field.push(c),
                    None => {
                        out.push(field);
                        return Some(out);
                    }
                }
            }
            out.push(field);
        }
    }
}

/// The calls of one record: its `src` and `dst` that are extension keys, at its `start` read
/// in `offset` (the PBX's UTC offset).
pub fn calls(line: &str, offset: FixedOffset) -> Result<(Vec<ExtKey>, DateTime<Utc>), BadLine> {
    let bad = |field, code, message: String| BadLine {
        line: 0,
        field,
        code,
        message,
    };
    let f = fields(line).ok_or_else(|| {
        bad(
            "line",
            ErrorCode::Malformed,
            "the line's quoting is broken: fields are \"text\" with inner quotes doubled, or bare numbers".to_owned(),
        )
    })?;
    if !(MIN_FIELDS..=MAX_FIELDS).contains(&f.len()) {
        return Err(bad(
            "line",
            ErrorCode::Malformed,
            format!(
                "the line has {} fields; an Asterisk cdr_csv record has {MIN_FIELDS} to {MAX_FIELDS}",
                f.len()
            ),
        ));
    }
    let start = NaiveDateTime::parse_from_str(&f[START], "%Y-%m-%d %H:%M:%S").map_err(|_| {
        bad(
            "start",
            ErrorCode::InvalidTime,
            format!(
                "start {:?} is not a date as Asterisk writes it (2026-12-07 09:30:00)",
                f[START]
            ),
        )
    })?;
    let start = offset
        .from_local_datetime(&start)
        .single()
        .expect("a fixed offset maps every local time once")
        .with_timezone(&Utc);
    let mut keys: Vec<ExtKey> = [SRC, DST]
        .iter()
        .filter_map(|&i| f[i].parse::<ExtKey>().ok())
        .collect();
    keys.dedup();
    Ok((keys, start))
}

/// The latest call per extension over a whole file, read line by line: its memory is bounded
/// by the organization's key space (at most 99,900 keys) and [`MAX_LISTED`] refused lines,
/// whatever the file's size.
#[derive(Debug, Default)]
pub struct Calls {
    latest: HashMap<ExtKey, (usize, DateTime<Utc>)>,
    pub lines: usize,
    pub records: usize,
    pub refused: Vec<BadLine>,
    pub refused_total: usize,
}

impl Calls {
    /// Read line `number` (1-based); a blank line is skipped, a bad one refused.
    pub fn line(&mut self, number: usize, text: &str, offset: FixedOffset, now: DateTime<Utc>) {
        self.lines = self.lines.max(number);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            return;
        }
        let read = calls(text, offset).and_then(|(keys, at)| {
            if at > now + MAX_AHEAD {
                return Err(BadLine {
                    line: 0,
                    field: "start",
                    code: ErrorCode::ActivityInFuture,
                    message: "start is more than 5 minutes after the server's clock; check the PBX's clock and the UTC offset the import was given".to_owned(),
                });
            }
            Ok((keys, at))
        });
        match read {
            Ok((keys, at)) => {
                self.records += 1;
                for k in keys {
                    let kept = self.latest.entry(k).or_insert((number, at));
                    if at > kept.1 {
                        *kept = (number, at);
                    }
                }
            }
            Err(mut e) => {
                self.refused_total += 1;
                if self.refused.len() < MAX_LISTED {
                    e.line = number;
                    self.refused.push(e);
                }
            }
        }
    }

    /// A line too long to be a record: refused without reading it.
    pub fn too_long(&mut self, number: usize, limit: usize) {
        self.lines = self.lines.max(number);
        self.refused_total += 1;
        if self.refused.len() < MAX_LISTED {
            self.refused.push(BadLine {
                line: number,
                field: "line",
                code: ErrorCode::Malformed,
                message: format!("the line is longer than {limit} bytes; it is not a CDR record"),
            });
        }
    }

    /// The calls to record, each with the line it was read from, ordered by extension.
    pub fn activities(&self) -> Vec<(usize, Activity)> {
        let mut out: Vec<(usize, Activity)> = self
            .latest
            .iter()
            .map(|(&extension, &(line, at))| {
                (
                    line,
                    Activity {
                        extension,
                        kind: ActivityKind::Call,
                        device: None,
                        at,
                    },
                )
            })
            .collect();
        out.sort_by_key(|(_, a)| a.extension);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn fields_are_read_as_asterisk_quotes_them() {
        let line = r#""acc","1001","1002","internal","""Ann"" <1001>","PJSIP/1001-00000001","PJSIP/1002-00000002","Dial","PJSIP/1002,30","2026-12-07 09:30:00","2026-12-07 09:30:05","2026-12-07 09:31:00",60,55,"ANSWERED","DOCUMENTATION""#;
        let f = fields(line).unwrap();
        assert_eq!(f.len(), 16);
        assert_eq!(f[4], "\"Ann\" <1001>");
        assert_eq!(f[8], "PJSIP/1002,30");
        assert_eq!(f[12], "60");
        let (keys, at) = calls(line, utc()).unwrap();
        assert_eq!(
            keys.iter().map(|k| k.get()).collect::<Vec<_>>(),
            [1001, 1002]
        );
        assert_eq!(at.to_rfc3339(), "2026-12-07T09:30:00+00:00");
    }

    #[test]
    fn unset_dates_are_empty_and_the_local_time_is_shifted() {
        let line = r#""","+6561234567","1001","from-trunk","","SIP/trunk-1","","Hangup","","2026-12-07 10:00:00",,"2026-12-07 10:00:09",9,0,"NO ANSWER","DOCUMENTATION""#;
        let plus_two = FixedOffset::east_opt(2 * 3600).unwrap();
        let (keys, at) = calls(line, plus_two).unwrap();
        assert_eq!(keys.iter().map(|k| k.get()).collect::<Vec<_>>(), [1001]);
        assert_eq!(at.to_rfc3339(), "2026-12-07T08:00:00+00:00");
    }

    #[test]
    fn offsets_and_formats() {
        assert_eq!(parse_offset("+02:00").unwrap().local_minus_utc(), 7200);
        assert_eq!(parse_offset("-05:30").unwrap().local_minus_utc(), -19800);
        assert_eq!(parse_offset("Z").unwrap().local_minus_utc(), 0);
        for bad in ["2", "+2:00", "+15:00", "CET", ""] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
        assert!(check_format("asterisk-cdr").is_ok());
        assert!(check_format("csv").is_err());
    }

    #[test]
    fn broken_lines_say_what_is_wrong() {
        let cases = [
            (r#""a","1001"#, "line"),
            (r#""a","1001","1002""#, "line"),
            (
                r#""","1001","1002","c","","","","","","yesterday",,,0,0,"ANSWERED","DOCUMENTATION""#,
                "start",
            ),
            (
                r#""","10"01","1002","c","","","","","","2026-12-07 10:00:00",,,0,0,"ANSWERED","DOCUMENTATION""#,
                "line",
            ),
        ];
        for (line, field) in cases {
            assert_eq!(calls(line, utc()).unwrap_err().field, field, "{line}");
        }
    }

    #[test]
    fn the_latest_call_per_extension_is_kept_with_its_line() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let rec = |src: &str, dst: &str, start: &str| {
            format!(
                r#""","{src}","{dst}","c","","","","","","{start}",,,0,0,"ANSWERED","DOCUMENTATION""#
            )
        };
        let mut c = Calls::default();
        c.line(1, &rec("1001", "1002", "2026-01-01 10:00:00"), utc(), now);
        c.line(2, "", utc(), now);
        c.line(
            3,
            &rec("1001", "+6512345678", "2026-01-02 10:00:00"),
            utc(),
            now,
        );
        c.line(4, "garbage", utc(), now);
        c.line(5, &rec("1002", "1001", "2025-12-31 10:00:00"), utc(), now);
        let got: Vec<_> = c
            .activities()
            .iter()
            .map(|(line, a)| (*line, a.extension.get(), a.at.date_naive().to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (3, 1001, "2026-01-02".to_owned()),
                (1, 1002, "2026-01-01".to_owned())
            ]
        );
        assert_eq!((c.lines, c.records, c.refused_total), (5, 3, 1));
        assert_eq!(c.refused[0].line, 4);
    }
}
