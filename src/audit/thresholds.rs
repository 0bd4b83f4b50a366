//! The audit's tunable figures. Each rule that compares a figure with a limit declares its
//! [`Threshold`] next to its check (`THRESHOLDS` in each rules file); `warren audit rules`
//! lists them with their defaults, and `--set ID.NAME=VALUE` changes them for one run.
//! A figure just under its limit (within [`NEAR`] of it) gives an info-severity note, so an
//! operator sees what is about to cross.

use std::collections::BTreeMap;

use serde::Serialize;

/// One tunable figure of a rule.
#[derive(Serialize, Clone, Copy, Debug)]
pub struct Threshold {
    /// The rule's id, e.g. `Q007`.
    pub rule: &'static str,
    /// The figure's name within the rule, e.g. `messages`.
    pub name: &'static str,
    pub default: f64,
    /// What the figure counts, for the catalogue (`messages`, `per second`, `percent`).
    pub unit: &'static str,
    /// What crossing it means.
    pub meaning: &'static str,
}

impl Threshold {
    /// `Q007.messages`: how `--set` and the catalogue name it.
    pub fn key(&self) -> String {
        format!("{}.{}", self.rule, self.name)
    }
}

/// Within this share below a limit, a figure gives a note (0.9: from 90% of the limit).
pub const NEAR: f64 = 0.9;

/// Where a figure stands against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// At or above the limit: a finding.
    Over,
    /// Within [`NEAR`] of the limit: a note.
    Near,
    Under,
}

/// The limits in effect for one run: the defaults, with `--set` overrides.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    overrides: BTreeMap<String, f64>,
}

impl Limits {
    /// Parse `ID.NAME=VALUE` items against the known thresholds. An unknown key names the
    /// closest known one; a value must be a non-negative number.
    pub fn parse(items: &[String], known: &[Threshold]) -> Result<Limits, String> {
        let mut overrides = BTreeMap::new();
        for item in items {
            let Some((key, value)) = item.split_once('=') else {
                return Err(format!(
                    "--set `{item}`: expected ID.NAME=VALUE, e.g. Q007.messages=5000"
                ));
            };
            let key = key.trim();
            let Some(t) = known.iter().find(|t| t.key().eq_ignore_ascii_case(key)) else {
                let keys: Vec<String> = known.iter().map(|t| t.key()).collect();
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                let closest = crate::suggest::closest_ignoring_case(key, &keys);
                return Err(format!(
                    "--set: unknown threshold `{key}`{}; `warren audit rules` lists them",
                    closest
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default()
                ));
            };
            let parsed: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("--set {key}: `{value}` is not a non-negative number"))?;
            overrides.insert(t.key(), parsed);
        }
        Ok(Limits { overrides })
    }

    /// The limit in effect for `t`.
    pub fn get(&self, t: &Threshold) -> f64 {
        self.overrides.get(&t.key()).copied().unwrap_or(t.default)
    }

    /// Where `value` stands against `t`'s limit in effect.
    pub fn standing(&self, t: &Threshold, value: f64) -> Standing {
        let limit = self.get(t);
        if value >= limit {
            Standing::Over
        } else if value >= limit * NEAR {
            Standing::Near
        } else {
            Standing::Under
        }
    }

    /// The text a note or finding adds: `threshold Q007.messages = 1000`.
    pub fn describe(&self, t: &Threshold) -> String {
        format!("threshold {} = {}", t.key(), self.get(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Threshold = Threshold {
        rule: "Q007",
        name: "messages",
        default: 1000.0,
        unit: "messages",
        meaning: "backlog",
    };

    #[test]
    fn defaults_overrides_and_standing() {
        let l = Limits::default();
        assert_eq!(l.standing(&T, 1000.0), Standing::Over);
        assert_eq!(l.standing(&T, 999.0), Standing::Near);
        assert_eq!(l.standing(&T, 899.0), Standing::Under);
        let l = Limits::parse(&["q007.MESSAGES=5000".into()], &[T]).unwrap();
        assert_eq!(l.get(&T), 5000.0);
        assert_eq!(l.standing(&T, 1000.0), Standing::Under);
        assert_eq!(l.describe(&T), "threshold Q007.messages = 5000");
    }

    #[test]
    fn bad_items_say_why() {
        let e = Limits::parse(&["Q007.mesages=5".into()], &[T]).unwrap_err();
        assert!(e.contains("did you mean `Q007.messages`"), "{e}");
        let e = Limits::parse(&["Q007.messages".into()], &[T]).unwrap_err();
        assert!(e.contains("ID.NAME=VALUE"), "{e}");
        let e = Limits::parse(&["Q007.messages=-1".into()], &[T]).unwrap_err();
        assert!(e.contains("not a non-negative number"), "{e}");
        let e = Limits::parse(&["Q007.messages=lots".into()], &[T]).unwrap_err();
        assert!(e.contains("not a non-negative number"), "{e}");
    }
}
