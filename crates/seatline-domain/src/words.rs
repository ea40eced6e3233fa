//! Counts in messages read as English: "1 row", "2 rows", "1 problem now stands", never
//! "1 row(s)" or "1 copies". Every message that counts something goes through [`plural`].

/// `n` and the phrase that agrees with it: `one` when `n` is 1, `many` otherwise (0 too).
/// The phrase may carry its verb: `plural(n, "seat is", "seats are")`.
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1u32, "row", "rows"), "1 row");
        assert_eq!(plural(0u32, "row", "rows"), "0 rows");
        assert_eq!(
            plural(2u64, "problem now stands", "problems now stand"),
            "2 problems now stand"
        );
    }
}
