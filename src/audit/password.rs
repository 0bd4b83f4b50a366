//! Offline weak-password detection: hash candidates per user the way RabbitMQ does
//! (`base64(salt || H(salt || password))`, a 4-byte salt, H from `hashing_algorithm`) and
//! compare with `password_hash`. No login is ever attempted, and the match is never returned.
//!
//! The candidates are a list of common passwords (`data/common-passwords.txt`: the 10,000
//! most frequent of zxcvbn's list, MIT, see `data/README.md`), each also capitalised; a few
//! defaults; the vhost names; the operator's own list (`--password-list`); and variants of
//! each user's name (see `user_variants`). About 31,000 hashes per user (34,000 for a name
//! ending in digits), spread over the cores.

use std::collections::HashSet;
use std::fmt;
use std::thread;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha2::digest::Digest;
use sha2::{Sha256, Sha512};

use super::snapshot::User;

/// The common-password list, one a line. Source and licence: `data/README.md`.
const COMMON: &str = include_str!("data/common-passwords.txt");

/// Defaults worth trying on any RabbitMQ, whether or not the list has them.
const DEFAULTS: &[&str] = &[
    "guest",
    "admin",
    "administrator",
    "rabbit",
    "rabbitmq",
    "changeme",
    "password",
];

/// `name + N` is tried for every N up to this (which covers `name + year`).
const NAME_DIGITS_MAX: u32 = 9999;
/// `Name + N` and company-style `Name + N + "!"` are tried for N up to this, and for years;
/// so is `stem + N` for a name's stem without its trailing digits. Bounded tighter than
/// `name + N` to keep 500 users within the audit's time budget.
const SHORT_DIGITS_MAX: u32 = 999;
const YEARS: std::ops::RangeInclusive<u32> = 1950..=2035;

/// RabbitMQ's salt is 4 bytes.
const SALT_LEN: usize = 4;

/// The outcome for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// One of the candidates matches; which one is deliberately not said.
    Weak,
    /// No candidate matches.
    NotWeak,
    /// The user has no password (password_hash is empty): only other mechanisms log it in.
    NoPassword,
    /// The hash can't be checked; the reason says why.
    Unknown(String),
}

/// The operator's own weak passwords (`--password-list`). Its `Debug` shows only how many
/// there are, so no debug print of a snapshot can reveal one.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PasswordList(pub Vec<String>);

impl PasswordList {
    /// One password a line (LF or CRLF); blank lines are skipped.
    pub fn parse(text: &str) -> PasswordList {
        PasswordList(
            text.lines()
                .filter(|line| !line.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }
}

impl fmt::Debug for PasswordList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordList({} passwords)", self.0.len())
    }
}

/// The candidates every user is checked against, deduplicated once per audit.
pub struct Dictionary {
    /// All candidates end to end; `ends[i]` is where candidate `i` ends.
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Dictionary {
    /// The common list (as is and capitalised), the defaults, the vhost names and the
    /// operator's own list.
    pub fn new<'a>(vhosts: impl IntoIterator<Item = &'a str>, extra: &[String]) -> Dictionary {
        let mut seen = HashSet::new();
        let mut dictionary = Dictionary {
            bytes: Vec::with_capacity(COMMON.len() * 2),
            ends: Vec::new(),
        };
        let mut add = |word: &str| {
            if !word.is_empty() && seen.insert(word.to_string()) {
                dictionary.bytes.extend_from_slice(word.as_bytes());
                dictionary.ends.push(dictionary.bytes.len());
            }
        };
        for word in COMMON.lines().chain(DEFAULTS.iter().copied()) {
            add(word);
            add(&capitalised(word));
        }
        for word in vhosts {
            add(word);
        }
        for word in extra {
            add(word);
        }
        dictionary
    }

    fn words(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(s, e)| &self.bytes[s..e])
    }

    #[cfg(test)]
    fn contains(&self, word: &str) -> bool {
        self.words().any(|w| w == word.as_bytes())
    }
}

/// Where candidates go: `offer` gets one candidate in parts and returns true to stop.
trait Sink {
    fn offer(&mut self, parts: &[&[u8]]) -> bool;
}

/// The first letter in upper case.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The two usual leetspeak spellings: `p@ssw0rd` and `p4ssw0rd`.
fn leetspeak(word: &str) -> [String; 2] {
    let map = |at: char, s: char| {
        word.chars()
            .map(|c| match c.to_ascii_lowercase() {
                'a' => at,
                'e' => '3',
                'i' => '1',
                'o' => '0',
                's' => s,
                _ => c,
            })
            .collect()
    };
    [map('@', '$'), map('4', '5')]
}

/// The name as given, in lower case, and its stem without trailing digits (`billing2` ->
/// `billing`, marked true): what people build passwords from.
fn name_bases(user: &str) -> Vec<(String, bool)> {
    let lower = user.to_lowercase();
    let stem = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string();
    let mut bases = vec![(user.to_string(), false)];
    for (base, is_stem) in [(lower, false), (stem, true)] {
        if !base.is_empty() && !bases.iter().any(|(b, _)| *b == base) {
            bases.push((base, is_stem));
        }
    }
    bases
}

/// Decimal digits of `n` into `buf`, without allocating.
fn digits(n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// The per-user candidates: for the name, its lower case and its stem without trailing
/// digits, each as is, reversed, capitalised, in leetspeak (also capitalised), followed by
/// 0-9999 (so also a year; the stem by 0-999 or a year), and capitalised followed by 0-999 or
/// a year, with or without `!` (`Billing123!`). Returns true when the sink stopped.
fn user_variants(user: &str, sink: &mut impl Sink) -> bool {
    let mut number = [0u8; 10];
    for (base, is_stem) in name_bases(user) {
        let reversed: String = base.chars().rev().collect();
        let capital = capitalised(&base);
        let [leet_at, leet_four] = leetspeak(&base);
        let singles = [
            base.as_str(),
            &reversed,
            &capital,
            &leet_at,
            &leet_four,
            &capitalised(&leet_at),
            &capitalised(&leet_four),
        ];
        for word in singles {
            if sink.offer(&[word.as_bytes()]) {
                return true;
            }
        }
        let max = if is_stem {
            SHORT_DIGITS_MAX
        } else {
            NAME_DIGITS_MAX
        };
        for n in (0..=max).chain(YEARS.filter(|y| *y > max)) {
            if sink.offer(&[base.as_bytes(), digits(n, &mut number)]) {
                return true;
            }
        }
        for n in (0..=SHORT_DIGITS_MAX).chain(YEARS) {
            let n = digits(n, &mut number);
            if sink.offer(&[capital.as_bytes(), n]) || sink.offer(&[capital.as_bytes(), n, b"!"]) {
                return true;
            }
        }
    }
    false
}

/// Every candidate for `user`: the dictionary's, then the variants of the name.
fn candidates(user: &str, dictionary: &Dictionary, sink: &mut impl Sink) -> bool {
    dictionary.words().any(|w| sink.offer(&[w])) || user_variants(user, sink)
}

/// Hashes `salt || candidate` into a buffer reused across candidates, and compares.
struct Matcher<'a, D> {
    salted: Vec<u8>,
    expected: &'a [u8],
    digest: std::marker::PhantomData<D>,
}

impl<D: Digest> Sink for Matcher<'_, D> {
    fn offer(&mut self, parts: &[&[u8]]) -> bool {
        self.salted.truncate(SALT_LEN);
        for part in parts {
            self.salted.extend_from_slice(part);
        }
        D::digest(&self.salted).as_slice() == self.expected
    }
}

fn matches<D: Digest>(user: &str, salt: &[u8], expected: &[u8], dictionary: &Dictionary) -> bool {
    let mut salted = Vec::with_capacity(64);
    salted.extend_from_slice(salt);
    let mut matcher = Matcher::<D> {
        salted,
        expected,
        digest: std::marker::PhantomData,
    };
    candidates(user, dictionary, &mut matcher)
}

/// Whether `user`'s stored hash matches one of the candidates.
pub fn check(
    user: &str,
    password_hash: &str,
    hashing_algorithm: &str,
    dictionary: &Dictionary,
) -> Verdict {
    if password_hash.is_empty() {
        return Verdict::NoPassword;
    }
    let Ok(raw) = STANDARD.decode(password_hash) else {
        return Verdict::Unknown("password_hash is not base64".into());
    };
    if raw.len() <= SALT_LEN {
        return Verdict::Unknown("password_hash is too short".into());
    }
    let (salt, expected) = raw.split_at(SALT_LEN);
    // Before 3.6 there was no hashing_algorithm field and the hash was MD5.
    let weak = match hashing_algorithm {
        "rabbit_password_hashing_sha256" => matches::<Sha256>(user, salt, expected, dictionary),
        "rabbit_password_hashing_sha512" => matches::<Sha512>(user, salt, expected, dictionary),
        "rabbit_password_hashing_md5" | "" => matches::<Md5>(user, salt, expected, dictionary),
        other => return Verdict::Unknown(format!("unknown hashing_algorithm `{other}`")),
    };
    if weak {
        Verdict::Weak
    } else {
        Verdict::NotWeak
    }
}

/// The verdict for every user, in order, with the vhost names and the operator's list among
/// the candidates: SEC003's work, which the fetch starts while it waits out the rate window.
pub fn assess(
    users: &[User],
    vhosts: &[super::snapshot::Vhost],
    extra: &PasswordList,
) -> Vec<Verdict> {
    let dictionary = Dictionary::new(vhosts.iter().map(|v| v.name.as_str()), &extra.0);
    check_users(users, &dictionary)
}

/// `check` for every user, in order, the users split across the cores: 500 users are 15 to
/// 17 million hashes.
pub fn check_users(users: &[User], dictionary: &Dictionary) -> Vec<Verdict> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = users.len().div_ceil(threads).max(1);
    thread::scope(|scope| {
        let workers: Vec<_> = users
            .chunks(chunk)
            .map(|part| {
                let worker = scope.spawn(move || {
                    part.iter()
                        .map(|u| check(&u.name, &u.password_hash, &u.hashing_algorithm, dictionary))
                        .collect::<Vec<_>>()
                });
                (part.len(), worker)
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|(len, worker)| {
                // A worker can only fail by panicking, which would be a bug; its users are
                // then "unknown", never passed.
                worker.join().unwrap_or_else(|_| {
                    vec![Verdict::Unknown("the password check failed".into()); len]
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(salt: [u8; 4], password: &str, h: fn(&[u8]) -> Vec<u8>) -> String {
        let mut salted = salt.to_vec();
        salted.extend_from_slice(password.as_bytes());
        let mut out = salt.to_vec();
        out.extend(h(&salted));
        STANDARD.encode(out)
    }

    fn sha256(b: &[u8]) -> Vec<u8> {
        Sha256::digest(b).to_vec()
    }

    fn plain() -> Dictionary {
        Dictionary::new([], &[])
    }

    /// The verdict for `user` with `password` (hashed with SHA-256, as 3.6+ does by default).
    fn verdict(user: &str, password: &str, dictionary: &Dictionary) -> Verdict {
        let h = hash_of([9, 8, 7, 6], password, sha256);
        check(user, &h, "rabbit_password_hashing_sha256", dictionary)
    }

    struct Collect(Vec<String>);

    impl Sink for Collect {
        fn offer(&mut self, parts: &[&[u8]]) -> bool {
            self.0.push(String::from_utf8(parts.concat()).unwrap());
            false
        }
    }

    fn variants(user: &str) -> Vec<String> {
        let mut all = Collect(Vec::new());
        user_variants(user, &mut all);
        all.0
    }

    fn assert_variants(user: &str, wanted: &[&str]) {
        let v = variants(user);
        for want in wanted {
            assert!(v.iter().any(|c| c == want), "{user}: no variant {want}");
        }
    }

    #[test]
    fn real_hashes_from_a_3_10_broker() {
        // Captured from the planted node (tests/fixtures/rabbitmq-3.10.8/audit-planted/users.json):
        // `weakling` has password `weakling`, `bob` has `bob123`, warren-admin a random one.
        let raw = include_str!("../../tests/fixtures/rabbitmq-3.10.8/audit-planted/users.json");
        let users: Vec<User> = serde_json::from_str(raw).unwrap();
        let verdicts = check_users(&users, &plain());
        let verdict = |name: &str| {
            let i = users.iter().position(|u| u.name == name).unwrap();
            verdicts[i].clone()
        };
        assert_eq!(verdict("weakling"), Verdict::Weak);
        assert_eq!(verdict("bob"), Verdict::Weak);
        assert_eq!(verdict("guest"), Verdict::Weak);
        assert_eq!(verdict("warren-admin"), Verdict::NotWeak);
    }

    #[test]
    fn the_list_has_10_000_common_passwords() {
        let list: Vec<&str> = COMMON.lines().collect();
        assert_eq!(list.len(), 10_000);
        assert_eq!(list[0], "123456");
        for missed in [
            "123456", "secret", "letmein", "p@ssw0rd", "rabbit", "password",
        ] {
            assert!(list.contains(&missed), "{missed}");
        }
        assert!(list.iter().all(|w| !w.is_empty() && w.trim() == *w));
    }

    #[test]
    fn list_entries_as_is_and_capitalised() {
        let d = plain();
        assert!(d.contains("letmein") && d.contains("Letmein"));
        assert!(d.contains("P@ssw0rd"), "the list's p@ssw0rd, capitalised");
        assert_eq!(verdict("app", "123456", &d), Verdict::Weak);
        assert_eq!(verdict("app", "secret", &d), Verdict::Weak);
        assert_eq!(verdict("app", "P@ssw0rd", &d), Verdict::Weak);
        assert_eq!(verdict("app", "Dragon", &d), Verdict::Weak);
    }

    #[test]
    fn defaults_vhost_names_and_the_operators_list() {
        let d = Dictionary::new(["orders-prod"], &["Winter-Is-Coming-77".to_string()]);
        assert_eq!(verdict("app", "rabbitmq", &d), Verdict::Weak);
        assert_eq!(verdict("app", "guest", &d), Verdict::Weak);
        assert_eq!(verdict("app", "orders-prod", &d), Verdict::Weak);
        assert_eq!(verdict("app", "Winter-Is-Coming-77", &d), Verdict::Weak);
        assert_eq!(verdict("app", "orders-prod", &plain()), Verdict::NotWeak);
        assert_eq!(
            verdict("app", "Winter-Is-Coming-77", &plain()),
            Verdict::NotWeak
        );
    }

    #[test]
    fn the_operators_list_skips_blank_lines_and_never_shows_in_debug() {
        let list = PasswordList::parse("\r\nfirst one\r\n\nsecond\n");
        assert_eq!(list.0, ["first one", "second"]);
        assert_eq!(format!("{list:?}"), "PasswordList(2 passwords)");
    }

    #[test]
    fn name_as_is_reversed_and_capitalised() {
        assert_variants("dave", &["dave", "evad", "Dave"]);
        assert_eq!(verdict("dave", "evad", &plain()), Verdict::Weak);
        assert_eq!(
            verdict("Dave", "dave", &plain()),
            Verdict::Weak,
            "lower case"
        );
    }

    #[test]
    fn name_with_digits_and_years() {
        assert_variants(
            "etl",
            &[
                "etl0", "etl7", "etl123", "etl9999", "etl2024", "Etl2024", "Etl1999",
            ],
        );
        assert!(!variants("etl").contains(&"etl10000".to_string()));
        assert_eq!(verdict("etl", "etl2024", &plain()), Verdict::Weak);
        assert_eq!(verdict("etl", "etl31", &plain()), Verdict::Weak);
    }

    #[test]
    fn leetspeak_of_the_name() {
        assert_variants("oscar", &["0$c@r", "05c4r"]);
        assert_variants("dave", &["d@v3", "d4v3", "D@v3", "D4v3"]);
        assert_eq!(verdict("elise", "3l1$3", &plain()), Verdict::Weak);
        assert_eq!(verdict("elise", "3l153", &plain()), Verdict::Weak);
    }

    #[test]
    fn company_style_and_the_stem_without_trailing_digits() {
        let bases =
            |user: &str| -> Vec<String> { name_bases(user).into_iter().map(|(b, _)| b).collect() };
        assert_eq!(bases("billing2"), ["billing2", "billing"]);
        assert_eq!(bases("Ops"), ["Ops", "ops"]);
        assert!(!variants("billing2").contains(&"billing5000".to_string()));
        assert_variants(
            "billing2",
            &[
                "Billing123!",
                "Billing2024!",
                "Billing7",
                "billing2",
                "billing22",
                "billing2024",
                "billing29999",
            ],
        );
        assert_eq!(verdict("billing2", "Billing123!", &plain()), Verdict::Weak);
    }

    #[test]
    fn a_strong_password_containing_the_name_is_not_weak() {
        assert_eq!(
            verdict("carol", "carol-Xq93!vLm-2291", &plain()),
            Verdict::NotWeak
        );
    }

    #[test]
    fn each_algorithm_and_candidate() {
        let salt = [1, 2, 3, 4];
        let d = plain();
        let sha512 = |b: &[u8]| Sha512::digest(b).to_vec();
        let md5 = |b: &[u8]| Md5::digest(b).to_vec();
        let h = hash_of(salt, "changeme", sha512);
        assert_eq!(
            check("app", &h, "rabbit_password_hashing_sha512", &d),
            Verdict::Weak
        );
        let h = hash_of(salt, "app123", md5);
        assert_eq!(
            check("app", &h, "rabbit_password_hashing_md5", &d),
            Verdict::Weak
        );
        let h = hash_of(salt, "correct horse battery", md5);
        assert_eq!(
            check("app", &h, "rabbit_password_hashing_md5", &d),
            Verdict::NotWeak
        );
        // The salt matters: the same password under another salt is not a match.
        let mut raw = STANDARD.decode(hash_of(salt, "admin", sha512)).unwrap();
        raw[0] ^= 1;
        assert_eq!(
            check(
                "app",
                &STANDARD.encode(raw),
                "rabbit_password_hashing_sha512",
                &d
            ),
            Verdict::NotWeak
        );
    }

    #[test]
    fn unusable_hashes_are_unknown_not_strong() {
        let d = plain();
        assert_eq!(
            check("a", "", "rabbit_password_hashing_sha256", &d),
            Verdict::NoPassword
        );
        assert!(matches!(
            check("a", "!!!", "rabbit_password_hashing_sha256", &d),
            Verdict::Unknown(_)
        ));
        assert!(matches!(
            check("a", "AAAAAAAA", "rabbit_password_hashing_bcrypt", &d),
            Verdict::Unknown(_)
        ));
    }

    #[test]
    fn many_users_keep_their_order_across_threads() {
        let mut users = Vec::new();
        for i in 0..9 {
            let password = if i % 3 == 0 {
                "letmein"
            } else {
                "Kx!93-long-and-random"
            };
            users.push(User {
                name: format!("u{i}"),
                password_hash: hash_of([i, 1, 2, 3], password, sha256),
                hashing_algorithm: "rabbit_password_hashing_sha256".into(),
                ..User::default()
            });
        }
        let verdicts = check_users(&users, &plain());
        for (i, v) in verdicts.iter().enumerate() {
            let want = if i % 3 == 0 {
                Verdict::Weak
            } else {
                Verdict::NotWeak
            };
            assert_eq!(*v, want, "user {i}");
        }
    }
}
