//! "Did you mean" hints for misspelled names and keywords.

/// The candidate closest to `word` by edit distance, if it is close enough to be a
/// plausible misspelling (at most one edit per three characters, at least one).
pub(crate) fn did_you_mean<'c, I>(word: &str, candidates: I) -> Option<&'c str>
where
    I: IntoIterator<Item = &'c str>,
{
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != cb);
            let value = cost.min(up + 1).min(left + 1);
            diagonal = up;
            left = value;
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = value;
            }
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["frontends", "office", "backends"];
        assert_eq!(did_you_mean("frontend", names), Some("frontends"));
        assert_eq!(did_you_mean("ofice", names), Some("office"));
        assert_eq!(did_you_mean("zzz", names), None);
        assert_eq!(
            did_you_mean("identiy", ["identity", "method"]),
            Some("identity")
        );
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", "abc"), 0);
    }
}
