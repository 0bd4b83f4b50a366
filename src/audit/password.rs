//! Offline weak-password detection: hash a few candidates per user the way RabbitMQ does
//! (`base64(salt || H(salt || password))`, a 4-byte salt, H from `hashing_algorithm`) and
//! compare with `password_hash`. No login is ever attempted, and the match is never returned.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha2::{Digest, Sha256, Sha512};

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

/// The candidate passwords for a user: common defaults and variants of the name.
fn candidates(user: &str) -> Vec<String> {
    vec![
        "guest".into(),
        user.to_string(),
        format!("{user}123"),
        "password".into(),
        "admin".into(),
        "changeme".into(),
    ]
}

/// Whether `user`'s stored hash matches one of the candidates.
pub fn check(user: &str, password_hash: &str, hashing_algorithm: &str) -> Verdict {
    if password_hash.is_empty() {
        return Verdict::NoPassword;
    }
    let Ok(raw) = STANDARD.decode(password_hash) else {
        return Verdict::Unknown("password_hash is not base64".into());
    };
    // Before 3.6 there was no hashing_algorithm field and the hash was MD5.
    let hash: fn(&[u8]) -> Vec<u8> = match hashing_algorithm {
        "rabbit_password_hashing_sha256" => |b| Sha256::digest(b).to_vec(),
        "rabbit_password_hashing_sha512" => |b| Sha512::digest(b).to_vec(),
        "rabbit_password_hashing_md5" | "" => |b| Md5::digest(b).to_vec(),
        other => return Verdict::Unknown(format!("unknown hashing_algorithm `{other}`")),
    };
    if raw.len() <= 4 {
        return Verdict::Unknown("password_hash is too short".into());
    }
    let (salt, expected) = raw.split_at(4);
    for candidate in candidates(user) {
        let mut salted = salt.to_vec();
        salted.extend_from_slice(candidate.as_bytes());
        if hash(&salted) == expected {
            return Verdict::Weak;
        }
    }
    Verdict::NotWeak
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

    #[test]
    fn real_hashes_from_a_3_10_broker() {
        // Captured from the planted node (tests/fixtures/rabbitmq-3.10.8/audit-planted/users.json):
        // `weakling` has password `weakling`, `bob` has `bob123`, warren-admin a random one.
        let raw = include_str!("../../tests/fixtures/rabbitmq-3.10.8/audit-planted/users.json");
        let users: Vec<super::super::snapshot::User> = serde_json::from_str(raw).unwrap();
        let verdict = |name: &str| {
            let u = users.iter().find(|u| u.name == name).unwrap();
            check(&u.name, &u.password_hash, &u.hashing_algorithm)
        };
        assert_eq!(verdict("weakling"), Verdict::Weak);
        assert_eq!(verdict("bob"), Verdict::Weak);
        assert_eq!(verdict("guest"), Verdict::Weak);
        assert_eq!(verdict("warren-admin"), Verdict::NotWeak);
    }

    #[test]
    fn each_algorithm_and_candidate() {
        let salt = [1, 2, 3, 4];
        let sha512 = |b: &[u8]| Sha512::digest(b).to_vec();
        let md5 = |b: &[u8]| Md5::digest(b).to_vec();
        let h = hash_of(salt, "changeme", sha512);
        assert_eq!(
            check("app", &h, "rabbit_password_hashing_sha512"),
            Verdict::Weak
        );
        let h = hash_of(salt, "app123", md5);
        assert_eq!(
            check("app", &h, "rabbit_password_hashing_md5"),
            Verdict::Weak
        );
        let h = hash_of(salt, "correct horse battery", md5);
        assert_eq!(
            check("app", &h, "rabbit_password_hashing_md5"),
            Verdict::NotWeak
        );
        // The salt matters: the same password under another salt is not a match.
        let mut raw = STANDARD.decode(hash_of(salt, "admin", sha512)).unwrap();
        raw[0] ^= 1;
        assert_eq!(
            check(
                "app",
                &STANDARD.encode(raw),
                "rabbit_password_hashing_sha512"
            ),
            Verdict::NotWeak
        );
    }

    #[test]
    fn unusable_hashes_are_unknown_not_strong() {
        assert_eq!(
            check("a", "", "rabbit_password_hashing_sha256"),
            Verdict::NoPassword
        );
        assert!(matches!(
            check("a", "!!!", "rabbit_password_hashing_sha256"),
            Verdict::Unknown(_)
        ));
        assert!(matches!(
            check("a", "AAAAAAAA", "rabbit_password_hashing_bcrypt"),
            Verdict::Unknown(_)
        ));
    }
}
