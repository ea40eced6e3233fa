//! XLSX workbooks, streamed part by part with `zip` and `quick-xml`: the package's
//! relationships lead to the workbook, the workbook to its first sheet, and the sheet's
//! cells are read as they arrive, under the limits of [`super::limits`].
//!
//! Nothing is sized from what the file declares: a cell at XFD1048576 is a column beyond
//! the limit (an error), not a grid to allocate; a zip entry is read through a reader that
//! stops at its declared size, at [`MAX_RATIO`] times its packed size and at what is left of
//! [`MAX_UNPACKED_BYTES`]; the XML reader holds at most one tag or text run of
//! [`MAX_XML_EVENT`] bytes and elements nest at most [`MAX_XML_DEPTH`] deep. Shared strings
//! are kept packed in one buffer (a long one is counted, and refused only if the sheet
//! uses it).

use std::io::{self, BufRead, BufReader, Cursor, Read};

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;
use seatline_domain::bulk::Sheet;
use seatline_domain::Error;
use zip::ZipArchive;

use super::limits::*;
use super::{phone_number, Builder};

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;
/// A part's bytes as they unpack.
type Unpacked<'z, 'a> = zip::read::ZipFile<'z, Cursor<&'a [u8]>>;

const MIB: u64 = 1024 * 1024;

pub(super) fn read(bytes: &[u8]) -> Result<Sheet, Error> {
    check_directory(bytes)?;
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format_args!("it is not a complete zip archive: {e}")))?;
    let mut unpacked = 0u64;
    let workbook = office_document(&mut zip, &mut unpacked)?;
    let sheet_id = first_sheet(&mut zip, &mut unpacked, &workbook)?;
    let (sheet, shared) = workbook_parts(&mut zip, &mut unpacked, &workbook, &sheet_id)?;
    let shared = match shared {
        Some(path) => Some(shared_strings(&mut zip, &mut unpacked, &path)?),
        None => None,
    };
    read_sheet(&mut zip, &mut unpacked, &sheet, shared.as_ref())
}

/// The zip's end-of-directory record, checked before the zip crate reads the directory:
/// the number of entries bounds the memory the directory takes.
fn check_directory(bytes: &[u8]) -> Result<(), Error> {
    const EOCD: &[u8] = b"PK\x05\x06";
    // The record is 22 bytes plus a comment of at most 64 KiB, at the very end.
    let from = bytes.len().saturating_sub(22 + 65_535);
    let at = bytes[from..]
        .windows(4)
        .rposition(|w| w == EOCD)
        .map(|i| from + i)
        .ok_or_else(|| unreadable("it starts like a zip archive but has no zip directory at its end: it is truncated or damaged"))?;
    let entries = bytes
        .get(at + 10..at + 12)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    // 0xFFFF means "see the zip64 record": far more parts than any workbook has.
    if entries > MAX_ZIP_ENTRIES {
        return Err(unreadable(format_args!(
            "the zip archive lists {entries} or more entries; a workbook has a few dozen (at most {MAX_ZIP_ENTRIES} are read)"
        )));
    }
    Ok(())
}

/// A zip entry being read, with its limits.
struct Part<'z, R: Read> {
    inner: BufReader<R>,
    name: String,
    read: u64,
    declared: u64,
    allowed: u64,
    /// Bytes taken by the XML event being read.
    event: usize,
    /// Bytes unpacked from every part so far.
    unpacked: &'z mut u64,
    /// The limit that stopped the reading, reported instead of the XML reader's I/O error.
    hit: Option<Error>,
}

impl<R: Read> Read for Part<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Part<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let hit = if self.read > self.declared {
            Some(unreadable(format_args!(
                "the part {} unpacks to more than the {} bytes its zip entry declares: the file is damaged or forged",
                self.name, self.declared
            )))
        } else if self.read > self.allowed {
            Some(unpacked_too_large(
                &self.name,
                format!(
                    "unpacks to more than {} MiB, or more than {MAX_RATIO} times its packed size",
                    self.allowed / MIB
                ),
            ))
        } else if self.event > MAX_XML_EVENT {
            Some(unreadable(format_args!(
                "the part {} has a tag or a text longer than {} KiB",
                self.name,
                MAX_XML_EVENT / 1024
            )))
        } else {
            None
        };
        if let Some(e) = hit {
            self.hit = Some(e);
            return Err(io::Error::other("a reading limit was reached"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.read += n as u64;
        self.event += n;
        *self.unpacked += n as u64;
        self.inner.consume(n);
    }
}

/// An XML part: events one at a time, each within the limits.
struct Xml<'z, R: Read> {
    reader: Reader<Part<'z, R>>,
    buf: Vec<u8>,
    depth: usize,
}

impl<'z, R: Read> Xml<'z, R> {
    fn next(&mut self) -> Result<Event<'_>, Error> {
        self.buf.clear();
        self.reader.get_mut().event = 0;
        match self.reader.read_event_into(&mut self.buf) {
            Ok(e) => {
                match &e {
                    Event::Start(_) => {
                        self.depth += 1;
                        if self.depth > MAX_XML_DEPTH {
                            let name = &self.reader.get_ref().name;
                            return Err(unreadable(format_args!(
                                "the part {name} nests elements more than {MAX_XML_DEPTH} deep"
                            )));
                        }
                    }
                    Event::End(_) => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
                Ok(e)
            }
            Err(e) => {
                let part = self.reader.get_mut();
                Err(part.hit.take().unwrap_or_else(|| {
                    unreadable(format_args!(
                        "the part {} is not well-formed XML: {e}",
                        part.name
                    ))
                }))
            }
        }
    }
}

/// The part's name as the archive spells it (package names are case-insensitive).
fn find(zip: &Archive<'_>, name: &str) -> Option<String> {
    if zip.index_for_name(name).is_some() {
        return Some(name.to_owned());
    }
    zip.file_names()
        .find(|n| n.eq_ignore_ascii_case(name))
        .map(str::to_owned)
}

/// Open a part for reading; `None` when the archive has no such part.
fn open<'z, 'a: 'z>(
    zip: &'z mut Archive<'a>,
    unpacked: &'z mut u64,
    name: &str,
) -> Result<Option<Xml<'z, Unpacked<'z, 'a>>>, Error> {
    let Some(name) = find(zip, name) else {
        return Ok(None);
    };
    let file = zip
        .by_name(&name)
        .map_err(|e| unreadable(format_args!("the part {name} cannot be unpacked: {e}")))?;
    let declared = file.size();
    let packed = file.compressed_size();
    let left = MAX_UNPACKED_BYTES.saturating_sub(*unpacked);
    if declared > left {
        return Err(unpacked_too_large(
            &name,
            format!(
                "unpacks to {} MiB, more than the {} MiB the parts read may unpack to together",
                declared.div_ceil(MIB),
                MAX_UNPACKED_BYTES / MIB
            ),
        ));
    }
    let by_ratio = packed.saturating_mul(MAX_RATIO).max(RATIO_FLOOR);
    if declared > by_ratio {
        return Err(unpacked_too_large(
            &name,
            format!(
                "unpacks to {} times its packed size, and a part may unpack to at most {MAX_RATIO} times (a zip bomb does this)",
                declared / packed.max(1)
            ),
        ));
    }
    let part = Part {
        inner: BufReader::with_capacity(64 * 1024, file),
        name,
        read: 0,
        declared,
        allowed: left.min(by_ratio),
        event: 0,
        unpacked,
        hit: None,
    };
    let mut reader = Reader::from_reader(part);
    let config = reader.config_mut();
    config.trim_text(false);
    config.expand_empty_elements = false;
    Ok(Some(Xml {
        reader,
        buf: Vec::new(),
        depth: 0,
    }))
}

/// A required part, or the error saying the workbook lacks it.
fn open_required<'z, 'a: 'z>(
    zip: &'z mut Archive<'a>,
    unpacked: &'z mut u64,
    name: &str,
) -> Result<Xml<'z, Unpacked<'z, 'a>>, Error> {
    open(zip, unpacked, name)?.ok_or_else(|| {
        unreadable(format_args!(
            "this zip file is not an XLSX workbook: it has no part {name}"
        ))
    })
}

/// An attribute's value by its local name (`r:id` is `id`), unescaped.
fn attr(e: &BytesStart<'_>, local: &[u8]) -> Result<Option<String>, Error> {
    for a in e.attributes() {
        let a = a.map_err(|e| unreadable(format_args!("an XML attribute is malformed: {e}")))?;
        if a.key.local_name().as_ref() == local {
            let v = a
                .unescape_value()
                .map_err(|e| unreadable(format_args!("an XML attribute is malformed: {e}")))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// A relationship target resolved against the folder of the part that names it.
fn resolve(source: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_owned();
    }
    let mut path: Vec<&str> = source.split('/').collect();
    path.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                path.pop();
            }
            s => path.push(s),
        }
    }
    path.join("/")
}

/// The relationships part of `part`: `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// Every relationship of a relationships part, as (id, type, target).
fn relationships(
    zip: &mut Archive<'_>,
    unpacked: &mut u64,
    rels: &str,
) -> Result<Vec<(String, String, String)>, Error> {
    let Some(mut xml) = open(zip, unpacked, rels)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    loop {
        match xml.next()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                if out.len() == MAX_ZIP_ENTRIES {
                    return Err(unreadable(format_args!(
                        "the part {rels} lists more than {MAX_ZIP_ENTRIES} relationships"
                    )));
                }
                let id = attr(&e, b"Id")?.unwrap_or_default();
                let kind = attr(&e, b"Type")?.unwrap_or_default();
                let target = attr(&e, b"Target")?.unwrap_or_default();
                out.push((id, kind, target));
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// The workbook part the package points to (`xl/workbook.xml` by convention).
fn office_document(zip: &mut Archive<'_>, unpacked: &mut u64) -> Result<String, Error> {
    let rels = relationships(zip, unpacked, "_rels/.rels")?;
    Ok(rels
        .iter()
        .find(|(_, kind, _)| kind.ends_with("/officeDocument"))
        .map_or_else(
            || "xl/workbook.xml".to_owned(),
            |(_, _, target)| resolve("", target),
        ))
}

/// The relationship id of the workbook's first sheet.
fn first_sheet(zip: &mut Archive<'_>, unpacked: &mut u64, workbook: &str) -> Result<String, Error> {
    let mut xml = open_required(zip, unpacked, workbook)?;
    loop {
        match xml.next()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"sheet" => {
                return attr(&e, b"id")?.ok_or_else(|| {
                    unreadable("the workbook's first sheet has no relationship id")
                });
            }
            Event::Eof => return Err(unreadable("the workbook has no sheet")),
            _ => {}
        }
    }
}

/// The first sheet's part and the shared strings part, if any.
fn workbook_parts(
    zip: &mut Archive<'_>,
    unpacked: &mut u64,
    workbook: &str,
    sheet_id: &str,
) -> Result<(String, Option<String>), Error> {
    let rels = relationships(zip, unpacked, &rels_of(workbook))?;
    let sheet = rels
        .iter()
        .find(|(id, _, _)| id == sheet_id)
        .map(|(_, _, target)| resolve(workbook, target))
        .ok_or_else(|| {
            unreadable(format_args!(
                "the workbook's first sheet ({sheet_id}) has no part"
            ))
        })?;
    let shared = rels
        .iter()
        .find(|(_, kind, _)| kind.ends_with("/sharedStrings"))
        .map(|(_, _, target)| resolve(workbook, target));
    Ok((sheet, shared))
}

/// Text of a `&…;` reference: a character or one of XML's five entities (nothing else is
/// expanded, so no entity can grow the text).
fn reference(r: &BytesRef<'_>) -> Result<String, Error> {
    if let Some(c) = r
        .resolve_char_ref()
        .map_err(|e| unreadable(format_args!("a character reference is malformed: {e}")))?
    {
        return Ok(c.to_string());
    }
    let name = r
        .decode()
        .map_err(|e| unreadable(format_args!("the XML is not UTF-8: {e}")))?;
    quick_xml::escape::resolve_xml_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| unreadable(format_args!("the XML uses an unknown entity &{name};")))
}

/// Text being collected for one cell or shared string: kept up to [`MAX_CELL_BYTES`],
/// counted beyond.
#[derive(Default)]
struct Text {
    kept: String,
    len: usize,
}

impl Text {
    fn push(&mut self, s: &str) {
        self.len += s.len();
        if self.len <= MAX_CELL_BYTES {
            self.kept.push_str(s);
        }
    }
    /// Append the text of a text, CDATA or reference event.
    fn event(&mut self, e: &Event<'_>) -> Result<(), Error> {
        let bad = |e: &dyn std::fmt::Display| unreadable(format_args!("the XML is not UTF-8: {e}"));
        match e {
            Event::Text(t) => self.push(&t.xml_content().map_err(|e| bad(&e))?),
            Event::CData(t) => self.push(&t.decode().map_err(|e| bad(&e))?),
            Event::GeneralRef(r) => self.push(&reference(r)?),
            _ => {}
        }
        Ok(())
    }
}

/// The workbook's shared strings, packed: one buffer and each string's place in it. A
/// string longer than a cell may be keeps only its length.
struct Shared {
    text: String,
    items: Vec<(u32, u32)>,
}

enum SharedString<'s> {
    Text(&'s str),
    TooLong(usize),
}

impl Shared {
    fn get(&self, i: usize) -> Option<SharedString<'_>> {
        let (start, len) = *self.items.get(i)?;
        let (start, len) = (start as usize, len as usize);
        Some(if len > MAX_CELL_BYTES {
            SharedString::TooLong(len)
        } else {
            SharedString::Text(&self.text[start..start + len])
        })
    }
}

fn shared_strings(zip: &mut Archive<'_>, unpacked: &mut u64, path: &str) -> Result<Shared, Error> {
    let mut shared = Shared {
        text: String::new(),
        items: Vec::new(),
    };
    let Some(mut xml) = open(zip, unpacked, path)? else {
        return Ok(shared);
    };
    let mut item: Option<Text> = None;
    let (mut in_t, mut phonetic) = (false, 0usize);
    loop {
        let e = xml.next()?;
        match &e {
            Event::Start(s) => match s.local_name().as_ref() {
                b"si" => item = Some(Text::default()),
                b"t" => in_t = true,
                b"rPh" => phonetic += 1,
                _ => {}
            },
            Event::Empty(s) if s.local_name().as_ref() == b"si" => {
                shared.add(path, Text::default())?;
            }
            Event::End(s) => match s.local_name().as_ref() {
                b"si" => {
                    if let Some(t) = item.take() {
                        shared.add(path, t)?;
                    }
                }
                b"t" => in_t = false,
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                _ => {}
            },
            Event::Eof => return Ok(shared),
            _ => {
                // Phonetic guides (rPh) are not part of the text the cell shows.
                if let (Some(t), true, 0) = (item.as_mut(), in_t, phonetic) {
                    t.event(&e)?;
                }
            }
        }
    }
}

impl Shared {
    fn add(&mut self, path: &str, t: Text) -> Result<(), Error> {
        if self.items.len() == MAX_SHARED_STRINGS {
            return Err(unpacked_too_large(
                path,
                format!("holds more than {MAX_SHARED_STRINGS} shared strings"),
            ));
        }
        if self.text.len() + t.kept.len() > MAX_SHARED_BYTES {
            return Err(unpacked_too_large(
                path,
                format!(
                    "holds more than {} MiB of shared strings",
                    MAX_SHARED_BYTES / (1024 * 1024)
                ),
            ));
        }
        let start = self.text.len() as u32;
        self.text.push_str(&t.kept);
        // Lengths past a cell's limit are only reported: saturate rather than wrap.
        let len = u32::try_from(t.len).unwrap_or(u32::MAX);
        self.items.push((start, len));
        Ok(())
    }
}

/// A cell's type (`t` attribute) and where it is.
struct Cell {
    column: usize,
    kind: Vec<u8>,
    value: Text,
}

/// The column of a cell reference such as `AB12`; beyond [`MAX_COLUMNS`] it is an error
/// naming the letters.
fn column_of(reference: &str, row: usize) -> Result<usize, Error> {
    let letters = reference
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .count();
    let (col, digits) = reference.split_at(letters);
    if letters == 0 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unreadable(format_args!(
            "{reference:?} in row {row} is not a cell reference"
        )));
    }
    let mut index = 0usize;
    for b in col.bytes().take(4) {
        index = index * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    if letters > 3 || index > MAX_COLUMNS {
        let shown: String = col.chars().take(16).collect();
        return Err(too_many_columns(row, &shown.to_ascii_uppercase()));
    }
    Ok(index - 1)
}

/// A number as Excel shows it: 1001.0 is "1001", a phone number stored as a float has no
/// exponent.
fn shown_number(v: &str) -> String {
    let v = v.trim();
    match v.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", f as i64),
        Ok(f) if f.is_finite() => f.to_string(),
        _ => v.to_owned(),
    }
}

fn read_sheet(
    zip: &mut Archive<'_>,
    unpacked: &mut u64,
    path: &str,
    shared: Option<&Shared>,
) -> Result<Sheet, Error> {
    let mut xml = open_required(zip, unpacked, path)?;
    let mut out = Builder::new();
    let mut row: Option<(usize, Vec<String>)> = None;
    let mut cell: Option<Cell> = None;
    let (mut next_row, mut next_col) = (1usize, 0usize);
    // Inside a cell: reading its value (<v>), or an inline string's text (<is><t>).
    let (mut in_v, mut in_t, mut phonetic) = (false, false, 0usize);
    // A part without a worksheet element is no sheet, however leniently it parsed.
    let mut worksheet = false;
    loop {
        let e = xml.next()?;
        match &e {
            Event::Start(s) | Event::Empty(s) => {
                let empty = matches!(e, Event::Empty(_));
                match s.local_name().as_ref() {
                    b"worksheet" => worksheet = true,
                    b"row" => {
                        let number = match attr(s, b"r")? {
                            Some(r) => r.trim().parse::<usize>().unwrap_or(0),
                            None => next_row,
                        };
                        if number == 0 || number > MAX_SHEET_ROW {
                            return Err(unreadable(format_args!(
                                "a row is numbered outside 1 to {MAX_SHEET_ROW}"
                            )));
                        }
                        next_row = number + 1;
                        next_col = 0;
                        row = (!empty).then(|| (number, Vec::new()));
                    }
                    b"c" => {
                        let Some((number, _)) = &row else { continue };
                        let column = match attr(s, b"r")? {
                            Some(r) => column_of(&r, *number)?,
                            None => next_col,
                        };
                        if column >= MAX_COLUMNS {
                            return Err(too_many_columns(*number, &column_name(column)));
                        }
                        next_col = column + 1;
                        let kind = attr(s, b"t")?.unwrap_or_default().into_bytes();
                        if !empty {
                            cell = Some(Cell {
                                column,
                                kind,
                                value: Text::default(),
                            });
                        }
                    }
                    b"v" if !empty => in_v = true,
                    b"t" if !empty => in_t = true,
                    b"rPh" if !empty => phonetic += 1,
                    _ => {}
                }
            }
            Event::End(s) => match s.local_name().as_ref() {
                b"v" => in_v = false,
                b"t" => in_t = false,
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                b"c" => {
                    if let (Some(c), Some((number, cells))) = (cell.take(), row.as_mut()) {
                        let shown = shown(c.kind.as_slice(), c.value, *number, c.column, shared)?;
                        let shown = if c.kind.is_empty() || c.kind == b"n" {
                            if out.is_number_column(c.column) && out.have_header {
                                phone_number(shown)
                            } else {
                                shown
                            }
                        } else {
                            shown
                        };
                        if cells.len() <= c.column {
                            cells.resize(c.column + 1, String::new());
                        }
                        cells[c.column] = shown;
                    }
                }
                b"row" => {
                    if let Some((number, cells)) = row.take() {
                        out.push(number, cells)?;
                    }
                }
                _ => {}
            },
            Event::Eof if worksheet => break,
            Event::Eof => {
                return Err(unreadable(format_args!(
                    "the first sheet ({path}) is not a worksheet"
                )))
            }
            _ => {
                if let (Some(c), Some((number, _))) = (cell.as_mut(), &row) {
                    if in_v || (in_t && phonetic == 0) {
                        c.value.event(&e)?;
                        Builder::check_cell(*number, c.column, c.value.len)?;
                    }
                }
            }
        }
    }
    Ok(out.sheet)
}

/// A cell's text as the spreadsheet shows it, by its type.
fn shown(
    kind: &[u8],
    value: Text,
    row: usize,
    column: usize,
    shared: Option<&Shared>,
) -> Result<String, Error> {
    let at = || format!("{}{row}", column_name(column));
    Ok(match kind {
        b"s" => {
            let Some(shared) = shared else {
                return Err(unreadable(format_args!(
                    "cell {} refers to a shared string, but the workbook has no shared strings part",
                    at()
                )));
            };
            let index = value.kept.trim().parse::<usize>().ok();
            match index.and_then(|i| shared.get(i)) {
                Some(SharedString::Text(s)) => s.to_owned(),
                Some(SharedString::TooLong(len)) => return Err(cell_too_long(row, column, len)),
                None => {
                    return Err(unreadable(format_args!(
                    "cell {} refers to shared string {:?}, but the workbook has {} shared strings",
                    at(),
                    value.kept.trim(),
                    shared.items.len()
                )))
                }
            }
        }
        b"b" => if value.kept.trim() == "1" {
            "TRUE"
        } else {
            "FALSE"
        }
        .to_owned(),
        b"" | b"n" => shown_number(&value.kept),
        // Inline strings, formula strings, errors and ISO dates: their text as written.
        _ => value.kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_show_as_typed() {
        assert_eq!(shown_number("1001"), "1001");
        assert_eq!(shown_number("1001.0"), "1001");
        assert_eq!(shown_number("6531234567"), "6531234567");
        assert_eq!(shown_number("6.531234567E9"), "6531234567");
        assert_eq!(shown_number("1.5"), "1.5");
        assert_eq!(shown_number("NaN"), "NaN");
    }

    #[test]
    fn cell_references_give_columns_or_a_limit_error() {
        assert_eq!(column_of("A1", 1).unwrap(), 0);
        assert_eq!(column_of("BL7", 7).unwrap(), 63);
        let e = column_of("BM7", 7).unwrap_err();
        assert_eq!(e.code, seatline_domain::ErrorCode::TooManyColumns);
        let e = column_of("XFD1048576", 1_048_576).unwrap_err();
        assert!(e.message.contains("column XFD"), "{}", e.message);
        let e = column_of("ZZZZZZZ1", 1).unwrap_err();
        assert!(e.message.contains("column ZZZZZZZ"), "{}", e.message);
        assert!(column_of("1A", 1).is_err());
    }

    #[test]
    fn targets_resolve_against_their_part() {
        assert_eq!(
            resolve("xl/workbook.xml", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/workbook.xml", "/xl/sharedStrings.xml"),
            "xl/sharedStrings.xml"
        );
        assert_eq!(resolve("xl/workbook.xml", "../x.xml"), "x.xml");
        assert_eq!(resolve("", "xl/workbook.xml"), "xl/workbook.xml");
        assert_eq!(rels_of("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
    }
}
