//! Writing bulk files: the sample and the export, in the format [`super::read`] reads.

use seatline_domain::bulk::{COL_ADDON, COL_KEY, COL_NUMBER, COL_USER};

/// A cell safe to open in a spreadsheet: a value that would start a formula (`=`, `+`, `-`,
/// `@`) gets a leading apostrophe. A number in E.164 form in the Number column is left as
/// it is: it is data, and the reader expects the `+`.
pub fn safe(value: &str, is_number: bool) -> String {
    let risky = value.starts_with(['=', '+', '-', '@']);
    let e164 = is_number && value.parse::<seatline_domain::E164>().is_ok();
    if risky && !e164 {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// One extension as a bulk row.
pub struct Line {
    pub key: String,
    pub numbers: Vec<String>,
    pub user: String,
    pub addons: Vec<String>,
}

/// A CSV with as many Number and Addon license columns as the widest line needs (at least
/// one Number and `min_addons` Addon license columns).
pub fn csv(lines: &[Line], min_addons: usize) -> String {
    let numbers = lines
        .iter()
        .map(|l| l.numbers.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let addons = lines
        .iter()
        .map(|l| l.addons.len())
        .max()
        .unwrap_or(0)
        .max(min_addons);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(64 * (lines.len() + 1)));
    let mut header = vec![COL_KEY];
    header.extend(std::iter::repeat_n(COL_NUMBER, 1));
    header.push(COL_USER);
    header.extend(std::iter::repeat_n(COL_ADDON, addons));
    // Extra numbers go after the add-ons so that the first columns match the sample.
    header.extend(std::iter::repeat_n(COL_NUMBER, numbers - 1));
    w.write_record(&header).expect("writing to memory");
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for l in lines {
        record.clear();
        record.push(safe(&l.key, false));
        record.push(l.numbers.first().map_or(String::new(), |n| safe(n, true)));
        record.push(safe(&l.user, false));
        for i in 0..addons {
            record.push(l.addons.get(i).map_or(String::new(), |a| safe(a, false)));
        }
        for i in 1..numbers {
            record.push(l.numbers.get(i).map_or(String::new(), |n| safe(n, true)));
        }
        w.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("cells are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_except_e164_numbers() {
        assert_eq!(safe("=1+2", false), "'=1+2");
        assert_eq!(safe("@SUM(A1)", false), "'@SUM(A1)");
        assert_eq!(safe("-1", false), "'-1");
        assert_eq!(safe("+6531234567", false), "'+6531234567");
        assert_eq!(safe("+6531234567", true), "+6531234567");
        assert_eq!(safe("+=cmd", true), "'+=cmd");
        assert_eq!(safe("ann@example.com", false), "ann@example.com");
    }

    #[test]
    fn columns_grow_to_the_widest_line() {
        let lines = [
            Line {
                key: "1001".into(),
                numbers: vec!["+6531234567".into(), "+6531234568".into()],
                user: "a@example.com".into(),
                addons: vec!["license_number".into(); 2],
            },
            Line {
                key: "1002".into(),
                numbers: vec![],
                user: String::new(),
                addons: vec![],
            },
        ];
        assert_eq!(
            csv(&lines, 2),
            "Ext key,Number,User,Addon license,Addon license,Number\r\n\
             1001,+6531234567,a@example.com,license_number,license_number,+6531234568\r\n\
             1002,,,,,\r\n"
        );
    }
}
