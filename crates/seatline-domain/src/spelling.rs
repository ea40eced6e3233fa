//! "Did you mean …?": the known word closest to a mistyped one, so an error can name the fix
//! instead of listing every choice. Edit distance (Levenshtein) over characters, compared
//! case-insensitively; the domain depends only on serde, so the few lines live here.

/// Edits (insert, delete, substitute one character) that turn `a` into `b`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    distance_of(&a, &b)
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
/// `a` into `b`, when they are at most `max`; `None` beyond. Made for comparing one word
/// with many candidates: no allocation for ASCII words under 64 characters, and it stops
/// as soon as every alignment costs more than `max`.
pub fn within(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        return osa(a.as_bytes(), b.as_bytes(), max);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    osa(&a, &b, max)
}

/// Longest word [`osa`] compares on the stack; longer ones use [`distance`] (no swaps).
const SHORT: usize = 64;

/// Optimal string alignment distance, bounded by `max`: three rows of the edit table (a
/// swap looks two rows back), saturating bytes.
fn osa<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    if b.len() >= SHORT || a.len() >= SHORT {
        let d = distance_of(a, b);
        return (d <= max).then_some(d);
    }
    let max8 = max.min(254) as u8;
    let mut before = [0u8; SHORT + 1];
    let mut prev = [0u8; SHORT + 1];
    let mut cur = [0u8; SHORT + 1];
    for (j, p) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *p = j as u8;
    }
    for i in 1..=a.len() {
        cur[0] = i as u8;
        let mut lowest = cur[0];
        for j in 1..=b.len() {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
            lowest = lowest.min(d);
        }
        if lowest > max8 {
            return None;
        }
        before = prev;
        prev = cur;
    }
    let d = prev[b.len()];
    (d <= max8).then_some(usize::from(d))
}

/// [`distance`] over any items.
fn distance_of<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
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
        assert_eq!(within("zoë", "zoe", 1), Some(1));
        let long = "a".repeat(70);
        assert_eq!(within(&long, &format!("{long}b"), 2), Some(1));
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
