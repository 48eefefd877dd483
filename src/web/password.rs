//! Checking a password against the hash Moodle stores in `user.password`
//! (docs/moodle-tables.md §5).
//!
//! - `$2y$` bcrypt (Moodle 2.5 to 4.2, and hashes not yet upgraded on 4.3+): verified without
//!   pepper, as Moodle 4.3+ does for its "legacy" hashes.
//! - `$6$` SHA-512 crypt (Moodle 4.3+), and any other bcrypt prefix: the password followed by
//!   each pepper of `$CFG->passwordpeppers`, no pepper first.
//! - 32 hex digits, the md5 of Moodle 4.2 and older: `md5(password . passwordsaltmain)`, then
//!   `md5(password)`.
//! - Anything else (`not cached` for accounts whose password lives elsewhere, an empty value,
//!   `$1$`, a truncated hash...) matches no password.
//!
//! Every comparison of hash bytes is constant-time.

use md5::{Digest as _, Md5};
use sha_crypt::{PasswordVerifier as _, ShaCrypt};
use subtle::ConstantTimeEq as _;

use crate::moodle::config_php::Secret;

/// What config.php says about passwords: the legacy salt and the peppers.
#[derive(Debug, Clone, Default)]
pub struct PasswordSettings {
    /// `$CFG->passwordsaltmain`, for legacy md5 hashes.
    pub salt_main: Option<Secret>,
    /// `$CFG->passwordpeppers`, in key order.
    pub peppers: Vec<Secret>,
}

/// Whether `password` is the one `stored` was made from.
///
/// An empty password never matches. The work is bounded by the hash's own cost (bcrypt cost,
/// SHA-crypt rounds) times one plus the number of peppers: call it off the async runtime.
pub fn verify(password: &str, stored: &str, settings: &PasswordSettings) -> bool {
    if password.is_empty() {
        return false;
    }
    if is_moodle_legacy_bcrypt(stored) {
        return bcrypt_matches(password, stored);
    }
    if is_bcrypt(stored) {
        return with_peppers(password, settings, |candidate| {
            bcrypt_matches(candidate, stored)
        });
    }
    if stored.starts_with("$6$") {
        return with_peppers(password, settings, |candidate| {
            ShaCrypt::default()
                .verify_password(candidate.as_bytes(), stored)
                .is_ok()
        });
    }
    if is_md5_hex(stored) {
        return md5_matches(password, stored, settings);
    }
    false
}

/// A bcrypt hash as PHP's `password_hash` writes it: `$2y$`, two cost digits, 53 characters.
/// Moodle 4.3+ verifies these without pepper.
fn is_moodle_legacy_bcrypt(stored: &str) -> bool {
    stored.len() == 60 && stored.starts_with("$2y$") && stored.as_bytes()[6] == b'$'
}

fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2x$", "$2y$"]
        .iter()
        .any(|prefix| stored.starts_with(prefix))
}

fn bcrypt_matches(password: &str, stored: &str) -> bool {
    // The crate compares in constant time; a malformed hash is an error, hence no match.
    bcrypt::verify(password, stored).unwrap_or(false)
}

/// Tries the password alone, then followed by each pepper, and stops at the first match.
fn with_peppers(password: &str, settings: &PasswordSettings, check: impl Fn(&str) -> bool) -> bool {
    if check(password) {
        return true;
    }
    settings
        .peppers
        .iter()
        .filter(|pepper| !pepper.expose().is_empty())
        .any(|pepper| check(&format!("{password}{}", pepper.expose())))
}

fn is_md5_hex(stored: &str) -> bool {
    stored.len() == 32 && stored.bytes().all(|b| b.is_ascii_hexdigit())
}

fn md5_matches(password: &str, stored: &str, settings: &PasswordSettings) -> bool {
    let stored = stored.to_ascii_lowercase();
    let matches = |text: &str| -> bool {
        let digest = Md5::digest(text.as_bytes());
        let hex = crate::hex::hex(&digest);
        bool::from(hex.as_bytes().ct_eq(stored.as_bytes()))
    };
    let salted = settings
        .salt_main
        .as_ref()
        .filter(|salt| !salt.expose().is_empty())
        .is_some_and(|salt| matches(&format!("{password}{}", salt.expose())));
    salted || matches(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with PHP 8.2 (`php -r`), committed so that the tests need no PHP:
    // password_hash('Demo-Admin-2026!', PASSWORD_DEFAULT, ['cost' => 10])
    const BCRYPT_10: &str = "$2y$10$bEiEGMdVD9TSDOa5vKZG/O.KzAaapi0/TP.hsWVYOYlzJKfNLqbXW";
    // password_hash('correct horse', PASSWORD_BCRYPT, ['cost' => 4])
    const BCRYPT_4: &str = "$2y$04$rBqjoRiHPquhu2ImlivJnuOXAdpyrdnb8D50w5ZRn6FidVXSLRnEe";
    // crypt('correct horse', '$6$rounds=10000$kV7pK1x9aQ2mZ3bN$')
    const SHA512_10000: &str = "$6$rounds=10000$kV7pK1x9aQ2mZ3bN$mVwhqjEGzOhoiT/6/CRw.NHQWdv5Z9d9HTBhIzm89CrHacdzm4nFIuStNzhBFGdAkGidLgYRILDU0l6fzu2Ht1";
    // crypt('correct horse' . 'pepper-two', '$6$rounds=10000$Qm3nR8sT1uV4wX6y$')
    const SHA512_PEPPERED: &str = "$6$rounds=10000$Qm3nR8sT1uV4wX6y$bguO0GjAwsFhr5MKhL7ykN9BLfhc/r1vTell12gWIrVkWhaNYz9QQq0M5HxPzXNlTaOa/RW4uDONnrZ0qYnxI0";
    // crypt('motdepasse', '$6$Ab12Cd34Ef56Gh78$'): the default 5000 rounds, not written
    const SHA512_DEFAULT_ROUNDS: &str = "$6$Ab12Cd34Ef56Gh78$aj52mjCbqJUGRXiGlTLjB6VrBc1d9h.X1ErXXYBT9ltO6AsGG9Rs0axN62S908cQqXNYANGhWh74KNQ2CWv2d0";
    // crypt('Éléphant ☃', '$6$rounds=5000$Zz99Yy88Xx77Ww66$')
    const SHA512_UNICODE: &str = "$6$rounds=5000$Zz99Yy88Xx77Ww66$YYKfSaOCzkPz4j4N9tsKXZxUlDE2ceAtqnR8xOh3zybekCYsD5vvPVGcVN87Vw6rU0NsmuYGz5642wTSoT2ru1";
    // md5('legacy pw' . 'saltmain!') and md5('legacy pw')
    const MD5_SALTED: &str = "f93f84b6180d80590adf447ba775ec75";
    const MD5_PLAIN: &str = "b44a534ef6ef9db8549baeb3f7307e76";

    fn none() -> PasswordSettings {
        PasswordSettings::default()
    }

    #[test]
    fn php_bcrypt_hashes_verify() {
        assert!(verify("Demo-Admin-2026!", BCRYPT_10, &none()));
        assert!(!verify("demo-admin-2026!", BCRYPT_10, &none()));
        assert!(verify("correct horse", BCRYPT_4, &none()));
        assert!(!verify("correct horse ", BCRYPT_4, &none()));
    }

    #[test]
    fn the_2b_spelling_of_bcrypt_verifies_too() {
        let b = BCRYPT_4.replacen("$2y$", "$2b$", 1);
        assert!(verify("correct horse", &b, &none()));
    }

    #[test]
    fn php_sha512_crypt_hashes_verify() {
        assert!(verify("correct horse", SHA512_10000, &none()));
        assert!(!verify("correct-horse", SHA512_10000, &none()));
        assert!(verify("motdepasse", SHA512_DEFAULT_ROUNDS, &none()));
        assert!(verify("Éléphant ☃", SHA512_UNICODE, &none()));
        assert!(!verify("Elephant ☃", SHA512_UNICODE, &none()));
    }

    #[test]
    fn sha512_hashes_are_tried_with_each_pepper() {
        let peppers = PasswordSettings {
            salt_main: None,
            peppers: vec![Secret::new("pepper-one"), Secret::new("pepper-two")],
        };
        assert!(verify("correct horse", SHA512_PEPPERED, &peppers));
        assert!(!verify("correct horse", SHA512_PEPPERED, &none()));
        // The hash made without pepper still verifies when peppers are configured.
        assert!(verify("correct horse", SHA512_10000, &peppers));
    }

    #[test]
    fn legacy_bcrypt_is_verified_without_pepper() {
        let peppers = PasswordSettings {
            salt_main: None,
            peppers: vec![Secret::new("x")],
        };
        assert!(!verify("correct hors", BCRYPT_4, &peppers));
        assert!(verify("correct horse", BCRYPT_4, &peppers));
    }

    #[test]
    fn legacy_md5_hashes_verify_with_and_without_the_main_salt() {
        let salted = PasswordSettings {
            salt_main: Some(Secret::new("saltmain!")),
            peppers: vec![],
        };
        assert!(verify("legacy pw", MD5_SALTED, &salted));
        assert!(!verify("legacy pw", MD5_SALTED, &none()));
        assert!(verify("legacy pw", MD5_PLAIN, &none()));
        assert!(verify("legacy pw", MD5_PLAIN, &salted));
        assert!(verify("legacy pw", &MD5_PLAIN.to_uppercase(), &none()));
        assert!(!verify("legacy", MD5_PLAIN, &salted));
    }

    #[test]
    fn unusable_values_match_nothing() {
        for stored in [
            "not cached",
            "",
            "adminsetuppending",
            "$1$abc$def",
            &SHA512_10000[..40],
            &BCRYPT_4[..59],
            "$6$",
        ] {
            assert!(!verify("not cached", stored, &none()), "{stored:?}");
            assert!(!verify("", stored, &none()), "{stored:?}");
        }
    }

    #[test]
    fn an_empty_password_never_matches() {
        let md5_of_empty = "d41d8cd98f00b204e9800998ecf8427e";
        assert!(!verify("", md5_of_empty, &none()));
    }
}
