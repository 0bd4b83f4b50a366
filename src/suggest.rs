//! "Did you mean": the one way every command suggests a name for a typo (a kind, a column,
//! a topology field, a threshold), as clap does for flags: Jaro-Winkler similarity (strsim)
//! above 0.8.

/// The candidate closest to `word`, if one is close enough to be a typo of it.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// [`closest`], ignoring case (threshold keys, `q007.MESSAGES`).
pub fn closest_ignoring_case<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower: Vec<String> = candidates.iter().map(|c| c.to_lowercase()).collect();
    let lower_refs: Vec<&str> = lower.iter().map(String::as_str).collect();
    let best = closest(&word.to_lowercase(), &lower_refs)?;
    let at = lower_refs.iter().position(|c| *c == best)?;
    Some(candidates[at])
}

/// The error for a `what` (kind, column, ...) named `name` that is none of `candidates`: the
/// closest one suggested, and the list.
pub fn unknown(what: &str, name: &str, candidates: &[&str]) -> String {
    let mut message = format!("unknown {what} `{name}`");
    if let Some(close) = closest(name, candidates) {
        message.push_str(&format!(" (did you mean `{close}`?)"));
    }
    message.push_str(&format!("; {what}s: {}", candidates.join(", ")));
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_closest_and_a_stranger_nothing() {
        assert_eq!(closest("durabel", &["name", "durable"]), Some("durable"));
        assert_eq!(closest("zzzzzz", &["name", "durable"]), None);
        assert_eq!(closest("qeue", &["queue", "exchange"]), Some("queue"));
        assert_eq!(
            closest_ignoring_case("q007.mesages", &["Q007.messages", "Q006.x"]),
            Some("Q007.messages")
        );
        assert_eq!(
            unknown("kind", "qeues", &["queues", "users"]),
            "unknown kind `qeues` (did you mean `queues`?); kinds: queues, users"
        );
    }
}
