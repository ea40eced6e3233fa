//! "Did you mean …?": the known word closest to a mistyped one, so an error can name the fix
//! instead of listing every choice. Edit distance (Levenshtein) over characters, compared
//! case-insensitively; the domain depends only on serde, so the few lines live here.

/// Edits (insert, delete, substitute one character) that turn `a` into `b`.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word`, when it is close enough to be what was meant: at most a
/// third of the word's characters edited (at least 2 allowed). Ties go to the first candidate.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.trim().to_lowercase();
    if word.is_empty() {
        return None;
    }
    let allowed = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The edits (insert, delete, substitute, or swap two neighbouring characters) that turn
/// `a` into `b`, when they are at most `max`; `None` beyond. Stops as soon as every
/// alignment costs more than `max`, so comparing a word with many far candidates stays cheap.
pub fn within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Optimal string alignment: three rows of the edit table (the swap looks two rows back).
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut lowest = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
            lowest = lowest.min(d);
        }
        if lowest > max {
            return None;
        }
        before = std::mem::replace(&mut prev, std::mem::take(&mut cur));
        cur = vec![0; b.len() + 1];
    }
    (prev[b.len()] <= max).then_some(prev[b.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("licence_center", "license_center"), 1);
        assert_eq!(distance("abc", ""), 3);
    }

    #[test]
    fn within_counts_a_swap_as_one_edit_and_stops_beyond_max() {
        assert_eq!(within("exmaple", "example", 2), Some(1));
        assert_eq!(within("kitten", "sitting", 3), Some(3));
        assert_eq!(within("kitten", "sitting", 2), None);
        assert_eq!(within("zed", "eve", 1), None);
        assert_eq!(within("", "ab", 2), Some(2));
        assert_eq!(within("abc", "abc", 0), Some(0));
    }

    #[test]
    fn closest_is_close_enough_or_none() {
        let known = ["Ext key", "Number", "User", "Addon license"];
        assert_eq!(closest("Ext kye", known), Some("Ext key"));
        assert_eq!(closest("usr", known), Some("User"));
        assert_eq!(closest("NUMBERS", known), Some("Number"));
        assert_eq!(closest("Phone", known), None);
        assert_eq!(closest("", known), None);
    }
}
