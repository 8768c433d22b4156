//! Text helpers that keep generic code out of the wasm: core's Two-Way searcher (`str::find`,
//! `contains`, `replace` with a `&str` pattern, about 3 KB) and `[String]::join` (1 KB).

/// Where `needle` occurs in `text`, left to right, not overlapping (as `str::match_indices`),
/// by Knuth-Morris-Pratt: linear in the text whatever it holds. `str::find`, `contains` and
/// `replace` with a `&str` pattern compile core's Two-Way searcher into the wasm (about 3 KB).
/// A match of UTF-8 in UTF-8 always starts and ends on character boundaries.
pub fn matches_of(text: &str, needle: &str) -> Vec<usize> {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let mut found = Vec::new();
    let Some(&first) = needle.first() else { return found };
    // fallback[i]: the longest proper prefix of needle[..=i] that is also a suffix of it.
    let mut fallback = vec![0; needle.len()];
    let mut k = 0;
    for (i, &byte) in needle.iter().enumerate().skip(1) {
        while k > 0 && needle.get(k) != Some(&byte) {
            k = fallback.get(k - 1).copied().unwrap_or(0);
        }
        if needle.get(k) == Some(&byte) {
            k += 1;
        }
        if let Some(slot) = fallback.get_mut(i) {
            *slot = k;
        }
    }
    let mut k = 0;
    for (i, &byte) in text.iter().enumerate() {
        if k == 0 && byte != first {
            continue;
        }
        while k > 0 && needle.get(k) != Some(&byte) {
            k = fallback.get(k - 1).copied().unwrap_or(0);
        }
        if needle.get(k) == Some(&byte) {
            k += 1;
        }
        if k == needle.len() {
            found.push(i + 1 - k);
            k = 0;
        }
    }
    found
}

/// `parts` joined by `separator` (`[String]::join`, without its generic copy loop).
pub fn join(parts: &[String], separator: &str) -> String {
    let len = parts.iter().map(String::len).sum::<usize>() + separator.len() * parts.len().saturating_sub(1);
    let mut out = String::with_capacity(len);
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            out.push_str(separator);
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_of_finds_what_match_indices_finds() {
        let texts = ["", "a", "aaaa", "abababab", "xx://y://z", "aabaabaab", "ééé日本語é", "SECRETSECRET", "abcabcabd abcabd"];
        let needles = ["a", "aa", "ab", "aba", "://", "aab", "é", "日本", "SECRET", "abcabd", "zzz"];
        for text in texts {
            for needle in needles {
                let theirs: Vec<usize> = text.match_indices(needle).map(|(at, _)| at).collect();
                assert_eq!(matches_of(text, needle), theirs, "{needle:?} in {text:?}");
            }
        }
        assert!(matches_of("abc", "").is_empty());
    }

    #[test]
    fn join_is_std_s_join() {
        for parts in [vec![], vec!["a".to_owned()], vec!["a".to_owned(), String::new(), "é".to_owned()]] {
            for separator in ["", ",", ", "] {
                assert_eq!(join(&parts, separator), parts.join(separator));
            }
        }
    }
}
