//! The Ed25519 signature of a document: JSF layout, RFC 8785 (JCS) canonical bytes, strict checks.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
#[cfg(test)]
use serde_json::Value;

use super::canonical;
use super::keys::{self, TrustStore};
use super::v2::{self, Document, Signature};
use crate::i18n::Lang;

/// The only signature algorithm of format version 2.
pub const ALGORITHM: &str = "Ed25519";

/// Whether a document is intact: its signature matches its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// The signature is valid for the content and the embedded public key.
    Valid,
    /// The document is signed but the signature does not hold; the reason says why.
    Invalid(Broken),
    /// The document has no signature.
    Unsigned,
}

/// Why a signature does not hold, in English and French: the texts of a [`BrokenReason`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The reason in English.
    pub en: String,
    /// The reason in French.
    pub fr: String,
}

/// Why a signature does not hold; its texts are one `match` in [`BrokenReason::localized`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokenReason {
    /// An algorithm other than Ed25519.
    Algorithm(String),
    /// A field that is not the right number of bytes in base64url.
    Malformed {
        /// The field of `signature`.
        field: &'static str,
        /// The number of bytes it must hold.
        bytes: usize,
    },
    /// A small-order or non-canonical public key.
    WeakKey,
    /// 32 bytes that are not a point of the curve.
    NotAPoint,
    /// The `key_id` is not the id of the embedded key.
    KeyId {
        /// The `key_id` written.
        written: String,
        /// The id of the embedded key.
        actual: String,
    },
    /// The signature does not match the content.
    Mismatch,
}

impl BrokenReason {
    /// The reason in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        const CHANGED_EN: &str = "the file was changed after it was signed, and no key can make \
                                  this signature valid";
        const CHANGED_FR: &str = "le fichier a été modifié après avoir été signé, et aucune clé \
                                  ne peut rendre cette signature valide";
        match (self, lang) {
            (BrokenReason::Algorithm(algorithm), Lang::En) => format!(
                "the signature algorithm is {algorithm:?}, but version 2 files are signed with \
                 \"Ed25519\""
            ),
            (BrokenReason::Algorithm(algorithm), Lang::Fr) => format!(
                "l'algorithme de signature est {algorithm:?}, mais les fichiers de version 2 sont \
                 signés avec \"Ed25519\""
            ),
            (BrokenReason::Malformed { field, bytes }, Lang::En) => format!(
                "signature.{field} is not {bytes} bytes in canonical unpadded base64url; \
                 {CHANGED_EN}"
            ),
            (BrokenReason::Malformed { field, bytes }, Lang::Fr) => format!(
                "signature.{field} n'est pas {bytes} octets en base64url canonique sans \
                 remplissage ; {CHANGED_FR}"
            ),
            (BrokenReason::WeakKey, Lang::En) => "signature.public_key: the public key is a \
                 small-order or non-canonically encoded Ed25519 point, which \"verifies\" forged \
                 signatures; such a key proves nothing and is refused"
                .to_owned(),
            (BrokenReason::WeakKey, Lang::Fr) => "signature.public_key : la clé publique est un \
                 point Ed25519 d'ordre faible ou mal encodé, qui « vérifie » des signatures \
                 forgées ; une telle clé ne prouve rien et est refusée"
                .to_owned(),
            (BrokenReason::NotAPoint, Lang::En) => {
                "signature.public_key: these 32 bytes are not a point of the Ed25519 curve"
                    .to_owned()
            }
            (BrokenReason::NotAPoint, Lang::Fr) => {
                "signature.public_key : ces 32 octets ne sont pas un point de la courbe Ed25519"
                    .to_owned()
            }
            (BrokenReason::KeyId { written, actual }, Lang::En) => format!(
                "signature.key_id is {written:?} but the embedded public key has key id \
                 {actual:?}; {CHANGED_EN}"
            ),
            (BrokenReason::KeyId { written, actual }, Lang::Fr) => format!(
                "signature.key_id vaut {written:?} mais la clé publique incluse a l'identifiant \
                 {actual:?} ; {CHANGED_FR}"
            ),
            (BrokenReason::Mismatch, Lang::En) => {
                format!("the signature does not match the content: {CHANGED_EN}")
            }
            (BrokenReason::Mismatch, Lang::Fr) => {
                format!("la signature ne correspond pas au contenu : {CHANGED_FR}")
            }
        }
    }
}

impl From<BrokenReason> for Broken {
    fn from(reason: BrokenReason) -> Broken {
        Broken {
            en: reason.localized(Lang::En),
            fr: reason.localized(Lang::Fr),
        }
    }
}

impl Broken {
    /// The reason in the operator's language.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.fr)
    }
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// The outcome of [`verify`]: integrity, and which key signed (or claims to have signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Whether the signature holds.
    pub integrity: Integrity,
    /// The `key_id` written in the file, when the document is signed.
    pub key_id: Option<String>,
    /// The embedded public key, when it is a well-formed Ed25519 key.
    pub public_key: Option<VerifyingKey>,
}

/// Whether a document comes from someone the restoring site trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authenticity {
    /// A valid signature by a trusted key (the site's own, or one it imported); holds its key id.
    Trusted(String),
    /// A valid signature by a key the site does not trust; holds its key id. Trusting that key
    /// makes the document authentic.
    Untrusted(String),
    /// A signature that does not hold: the document was changed after it was signed (or the
    /// signature was damaged), and no key can make it valid; holds the key id written in the
    /// file. Never offer to trust this key for this document.
    Broken(String),
    /// The document has no signature.
    Unsigned,
}

/// Returns the bytes a signature covers: the RFC 8785 (JCS) canonical form of the whole
/// document, with the `signature` object present but without its `value` member.
///
/// The document holds only integers within ±(2^53 − 1) and ASCII keys, so JCS here is: object
/// keys sorted, no whitespace, raw UTF-8, and only `"`, `\` and control characters escaped.
pub fn canonical_bytes(document: &Document) -> Vec<u8> {
    // Written from the typed document (about the size of the compact text).
    let mut out = Vec::with_capacity(64 * 1024);
    canonical::write_canonical(document, &mut out);
    out
}

/// Signs a document with `key`, replacing any signature it had: sets `signature` to
/// `{algorithm, key_id, public_key, value}`, where `value` signs [`canonical_bytes`].
///
/// Call it last, after sorting and filling every field: any later change invalidates it.
pub fn sign(document: &mut Document, key: &SigningKey) {
    let public = key.verifying_key();
    document.signature = Some(Signature {
        algorithm: ALGORITHM.to_owned(),
        key_id: keys::key_id(&public),
        public_key: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        value: String::new(),
    });
    let value = URL_SAFE_NO_PAD.encode(key.sign(&canonical_bytes(document)).to_bytes());
    if let Some(signature) = &mut document.signature {
        signature.value = value;
    }
}

/// Checks the signature of a document against its embedded public key, strictly (RFC 8032 with
/// ed25519-dalek's `verify_strict`): a small-order or non-canonical public key or `R`, `S ≥ L`,
/// a `key_id` that does not match the public key, or malformed base64url make it invalid.
///
/// This says nothing about who signed: see [`authenticity`].
pub fn verify(document: &Document) -> Verification {
    let Some(signature) = &document.signature else {
        return Verification {
            integrity: Integrity::Unsigned,
            key_id: None,
            public_key: None,
        };
    };
    let mut verification = Verification {
        integrity: Integrity::Valid,
        key_id: Some(signature.key_id.clone()),
        public_key: None,
    };
    verification.integrity = match check(document, signature, &mut verification.public_key) {
        Ok(()) => Integrity::Valid,
        Err(reason) => Integrity::Invalid(reason),
    };
    verification
}

/// Decides whether a verified document is authentic: a valid signature by a key in `trust`
/// (compared on the whole public key, not only its id). An invalid signature is never trusted:
/// it is [`Authenticity::Broken`], whichever key it names.
pub fn authenticity(verification: &Verification, trust: &TrustStore) -> Authenticity {
    let Some(key_id) = verification.key_id.clone() else {
        return Authenticity::Unsigned;
    };
    match (&verification.integrity, &verification.public_key) {
        (Integrity::Unsigned, _) => Authenticity::Unsigned,
        (Integrity::Invalid(_), _) | (Integrity::Valid, None) => Authenticity::Broken(key_id),
        (Integrity::Valid, Some(key)) if trust.is_trusted_key(key) => Authenticity::Trusted(key_id),
        (Integrity::Valid, Some(_)) => Authenticity::Untrusted(key_id),
    }
}

/// Runs the checks of [`verify`], storing the public key once it is known to be well formed.
fn check(
    document: &Document,
    signature: &Signature,
    public_key: &mut Option<VerifyingKey>,
) -> Result<(), Broken> {
    if signature.algorithm != ALGORITHM {
        return Err(BrokenReason::Algorithm(signature.algorithm.clone()).into());
    }
    let malformed = |field: &'static str, bytes: usize| -> Broken {
        BrokenReason::Malformed { field, bytes }.into()
    };
    let key_bytes: [u8; 32] = v2::decode_base64url(&signature.public_key, 32)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| malformed("public_key", 32))?;
    let key = keys::public_key_from_bytes(&key_bytes).map_err(|error| -> Broken {
        match error {
            keys::KeyError::WeakPublic => BrokenReason::WeakKey.into(),
            _ => BrokenReason::NotAPoint.into(),
        }
    })?;
    *public_key = Some(key);
    let expected = keys::key_id(&key);
    if signature.key_id != expected {
        return Err(BrokenReason::KeyId {
            written: signature.key_id.clone(),
            actual: expected,
        }
        .into());
    }
    let value: [u8; 64] = v2::decode_base64url(&signature.value, 64)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| malformed("value", 64))?;
    let value = ed25519_dalek::Signature::from_bytes(&value);
    key.verify_strict(&canonical_bytes(document), &value)
        .map_err(|_| BrokenReason::Mismatch.into())
}

/// Writes the JCS form of a value made of nulls, booleans, integers, strings, arrays and
/// objects (documents hold no floats, so integers print as plain decimals): the generic
/// writer the typed one ([`canonical::write_canonical`]) is checked against.
#[cfg(test)]
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => out.extend_from_slice(number.to_string().as_bytes()),
        Value::String(text) => canonical::write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(object) => {
            let mut entries: Vec<_> = object.iter().collect();
            // RFC 8785 §3.2.3: keys sorted by their UTF-16 code units.
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                canonical::write_string(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::testing::two_texts;
    use std::path::Path;
    use std::process::Command;

    use proptest::prelude::*;

    use super::*;

    // Issue 9, item 1: every reason a signature does not hold exists in English and French.
    #[test]
    fn every_broken_reason_is_said_in_english_and_in_french() {
        let reasons = [
            BrokenReason::Algorithm("RSA".to_owned()),
            BrokenReason::Malformed {
                field: "value",
                bytes: 64,
            },
            BrokenReason::WeakKey,
            BrokenReason::NotAPoint,
            BrokenReason::KeyId {
                written: "00".to_owned(),
                actual: "11".to_owned(),
            },
            BrokenReason::Mismatch,
        ];
        for reason in reasons {
            let broken = Broken::from(reason);
            two_texts(broken.en, broken.fr);
        }
    }
    use crate::document::v2::tests::demo;
    use crate::document::v2::{parse, to_text};

    fn fixed_key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn signed_demo() -> Document {
        let mut document = demo();
        sign(&mut document, &fixed_key(1));
        document
    }

    fn canonical_of(value: &Value) -> String {
        let mut out = Vec::new();
        write_canonical(value, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The eight small-order points of edwards25519, canonically encoded.
    const SMALL_ORDER: [&str; 8] = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ];

    fn from_hex(hex: &str) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0);
        }
        bytes
    }

    /// A document "signed" by a small-order key: the neutral point as key and as `R`, `S` = 0,
    /// which a plain Ed25519 check accepts for any content.
    fn forged_with_identity_key() -> Document {
        let identity = from_hex(SMALL_ORDER[0]);
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&identity);
        let mut document = demo();
        document.signature = Some(Signature {
            algorithm: ALGORITHM.to_owned(),
            key_id: keys::key_id_of_bytes(&identity),
            public_key: URL_SAFE_NO_PAD.encode(identity),
            value: URL_SAFE_NO_PAD.encode(signature),
        });
        document
    }

    fn is_invalid(document: &Document) -> bool {
        matches!(verify(document).integrity, Integrity::Invalid(_))
    }

    #[test]
    fn sign_then_verify_is_valid_and_survives_the_text_form() {
        let document = signed_demo();
        let verification = verify(&document);
        assert_eq!(verification.integrity, Integrity::Valid);
        let key = fixed_key(1).verifying_key();
        assert_eq!(verification.public_key, Some(key));
        assert_eq!(verification.key_id, Some(keys::key_id(&key)));
        let reread = parse(to_text(&document).as_bytes());
        assert_eq!(reread.map(|d| verify(&d).integrity), Ok(Integrity::Valid));
    }

    #[test]
    fn signature_covers_algorithm_key_id_and_public_key_but_not_value() {
        let document = signed_demo();
        let text = String::from_utf8(canonical_bytes(&document)).unwrap_or_default();
        let Some(signature) = document.signature.clone() else {
            panic!("the document is signed");
        };
        assert!(
            text.starts_with("{\"created\":\"2026-11-28T11:00:00Z\",\"format\":"),
            "{text}"
        );
        let expected = format!(
            ",\"signature\":{{\"algorithm\":\"Ed25519\",\"key_id\":\"{}\",\"public_key\":\"{}\"}},\"source\":",
            signature.key_id, signature.public_key
        );
        assert!(text.contains(&expected), "{text}");
        assert!(!text.contains(&signature.value));
        assert!(
            !text.contains('\n'),
            "no whitespace between tokens, control characters escaped"
        );
        assert!(text.contains(r#""Quiz \"final\"\n(tab\there)""#), "{text}");
    }

    #[test]
    fn unsigned_document_is_unsigned() {
        let verification = verify(&demo());
        assert_eq!(verification.integrity, Integrity::Unsigned);
        assert_eq!(verification.key_id, None);
    }

    #[test]
    fn key_id_that_does_not_match_the_public_key_is_invalid() {
        let mut document = signed_demo();
        // Re-sign so that the signature covers the wrong key id: only the id check can catch it.
        let key = fixed_key(1);
        if let Some(signature) = &mut document.signature {
            signature.key_id = "0000000000000000".to_owned();
            signature.value = String::new();
        }
        let value = URL_SAFE_NO_PAD.encode(key.sign(&canonical_bytes(&document)).to_bytes());
        if let Some(signature) = &mut document.signature {
            signature.value = value;
        }
        let verification = verify(&document);
        assert!(
            matches!(&verification.integrity, Integrity::Invalid(reason) if reason.en.contains("key id")),
            "{verification:?}"
        );
    }

    #[test]
    fn small_order_public_keys_are_invalid() {
        let document = forged_with_identity_key();
        // The forgery verifies under the plain (non-strict) Ed25519 equation.
        let key = VerifyingKey::from_bytes(&from_hex(SMALL_ORDER[0]));
        let plain = key.map(|key| {
            let value = URL_SAFE_NO_PAD
                .decode(document.signature.as_ref().map_or("", |s| s.value.as_str()))
                .unwrap_or_default();
            let value = ed25519_dalek::Signature::from_slice(&value);
            value.map(|value| {
                ed25519_dalek::Verifier::verify(&key, &canonical_bytes(&document), &value).is_ok()
            })
        });
        assert!(
            matches!(plain, Ok(Ok(true))),
            "plain verification accepts the forgery"
        );
        let verification = verify(&document);
        assert!(
            matches!(&verification.integrity, Integrity::Invalid(reason) if reason.en.contains("small-order")),
            "{verification:?}"
        );
        for hex in SMALL_ORDER {
            let key = VerifyingKey::from_bytes(&from_hex(hex));
            assert!(
                key.is_ok_and(|key| key.is_weak()),
                "{hex} is a small-order point"
            );
            let mut document = signed_demo();
            if let Some(signature) = &mut document.signature {
                signature.public_key = URL_SAFE_NO_PAD.encode(from_hex(hex));
                signature.key_id = keys::key_id_of_bytes(&from_hex(hex));
            }
            assert!(is_invalid(&document), "{hex}");
        }
    }

    #[test]
    fn non_canonical_s_is_invalid() {
        let mut document = signed_demo();
        // S + L is the same scalar modulo L but not canonical: strict verification refuses it.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        if let Some(signature) = &mut document.signature {
            let mut value = URL_SAFE_NO_PAD.decode(&signature.value).unwrap_or_default();
            let mut carry = 0u16;
            for (i, l) in L.iter().enumerate() {
                let sum = u16::from(value[32 + i]) + u16::from(*l) + carry;
                value[32 + i] = sum as u8;
                carry = sum >> 8;
            }
            signature.value = URL_SAFE_NO_PAD.encode(value);
        }
        assert!(is_invalid(&document));
    }

    #[test]
    fn malformed_signature_members_are_invalid() {
        for edit in [
            |s: &mut Signature| s.algorithm = "EdDSA".to_owned(),
            |s: &mut Signature| s.public_key.push('A'),
            |s: &mut Signature| s.value.truncate(10),
        ] {
            let mut document = signed_demo();
            if let Some(signature) = &mut document.signature {
                edit(signature);
            }
            assert!(is_invalid(&document));
        }
    }

    #[test]
    fn authenticity_needs_a_valid_signature_by_a_trusted_key() -> Result<(), keys::KeyError> {
        let dir = tempfile::tempdir().map_err(|source| keys::KeyError::Write {
            path: std::env::temp_dir(),
            source,
        })?;
        let own = fixed_key(1).verifying_key();
        let other = fixed_key(2);
        let document = signed_demo();
        let id = keys::key_id(&own);

        let empty = TrustStore::open(dir.path().join("trusted"), None)?;
        assert_eq!(
            authenticity(&verify(&document), &empty),
            Authenticity::Untrusted(id.clone())
        );
        let with_own = TrustStore::open(dir.path().join("trusted"), Some(own))?;
        assert_eq!(
            authenticity(&verify(&document), &with_own),
            Authenticity::Trusted(id.clone())
        );

        let mut imported =
            TrustStore::open(dir.path().join("trusted"), Some(other.verifying_key()))?;
        assert_eq!(
            authenticity(&verify(&document), &imported),
            Authenticity::Untrusted(id.clone())
        );
        imported.trust(&keys::public_key_pem(&own))?;
        assert_eq!(
            authenticity(&verify(&document), &imported),
            Authenticity::Trusted(id.clone())
        );

        let mut tampered = document.clone();
        tampered.training.name.push('!');
        // A broken signature is not an untrusted signer: no key can make it valid, not even
        // one the site trusts.
        assert_eq!(
            authenticity(&verify(&tampered), &imported),
            Authenticity::Broken(id.clone())
        );
        assert_eq!(
            authenticity(&verify(&tampered), &with_own),
            Authenticity::Broken(id)
        );
        assert_eq!(
            authenticity(&verify(&demo()), &imported),
            Authenticity::Unsigned
        );
        Ok(())
    }

    // --- RFC 8785 test vectors, for the parts that fit this profile (no floats). ---

    #[test]
    fn jcs_matches_rfc8785_sorting_example() {
        // RFC 8785 §3.2.3, with its values.
        let input = r#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let value: Value = serde_json::from_str(input).unwrap_or_default();
        assert_eq!(
            canonical_of(&value),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
    }

    #[test]
    fn jcs_matches_rfc8785_string_and_literal_example() {
        // RFC 8785 §3.2.2 without its "numbers" member (floats are outside this profile).
        let input = r#"{
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        let value: Value = serde_json::from_str(input).unwrap_or_default();
        assert_eq!(
            canonical_of(&value),
            r#"{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn jcs_writes_integers_and_nesting_compactly() {
        let value =
            serde_json::json!({"b": [1, -9_007_199_254_740_991_i64, {"z": {}, "a": []}], "a": 0});
        assert_eq!(
            canonical_of(&value),
            r#"{"a":0,"b":[1,-9007199254740991,{"a":[],"z":{}}]}"#
        );
    }

    /// A document whose strings hold every character class JCS treats specially.
    fn tricky_document() -> Document {
        let mut document = demo();
        document.training.name = (0u8..0x20)
            .map(char::from)
            .filter(|&c| c != '\0')
            .collect::<String>()
            + "\"\\/\u{7f}\u{80}\u{a0}\u{2028}\u{2029}\u{fb33}\u{1f600}\u{10ffff}é";
        document.learners[0].resultcriteria = Some("<script>&'</script>".to_owned());
        document
    }

    /// The bytes of the generic writer on the `Value` tree, `signature.value` removed: what
    /// [`canonical_bytes`] wrote before it walked the typed document.
    fn canonical_by_value(document: &Document) -> Vec<u8> {
        let mut value = v2::to_value(document);
        if let Some(Value::Object(signature)) = value.get_mut("signature") {
            signature.remove("value");
        }
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        out
    }

    #[test]
    fn typed_canonical_bytes_equal_the_generic_writer() {
        let mut with_everything = tricky_document();
        with_everything.planning = Some(vec![v2::Planning {
            executiondate: -v2::MAX_SAFE_INTEGER,
            beginperiod: 0,
            endperiod: v2::MAX_SAFE_INTEGER,
            mailto: Some("a\u{1}\"b".to_owned()),
            auto: None,
            togenerate: Some(-1),
        }]);
        with_everything.source.wwwroot = None;
        let mut signed = with_everything.clone();
        sign(&mut signed, &fixed_key(5));
        for document in [
            demo(),
            signed_demo(),
            tricky_document(),
            with_everything,
            signed,
        ] {
            assert_eq!(
                String::from_utf8_lossy(&canonical_bytes(&document)),
                String::from_utf8_lossy(&canonical_by_value(&document))
            );
        }
    }

    #[test]
    fn canonical_bytes_equal_python_sorted_compact_dumps() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let mut document = tricky_document();
        sign(&mut document, &fixed_key(3));
        let file = dir.path().join("backup.json");
        std::fs::write(&file, to_text(&document)).unwrap_or_else(|e| panic!("write: {e}"));
        let script = "import json,sys\n\
                      d=json.load(open(sys.argv[1],encoding='utf-8'))\n\
                      del d['signature']['value']\n\
                      sys.stdout.buffer.write(json.dumps(d,sort_keys=True,separators=(',',':'),ensure_ascii=False).encode('utf-8'))\n";
        let output = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("python3 must be installed to run this test: {e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&canonical_bytes(&document))
        );
        assert_eq!(output.stdout, canonical_bytes(&document));
    }

    // --- The third-party recipe: python3 + openssl only. ---

    fn recipe(file: &Path, trusted: Option<&Path>) -> (bool, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/verify-with-openssl.sh");
        let mut command = Command::new("sh");
        command.arg(script).arg(file);
        if let Some(trusted) = trusted {
            command.arg(trusted);
        }
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("sh must be installed to run this test: {e}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    #[test]
    fn openssl_recipe_verifies_a_signed_file_and_refuses_changes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("write: {e}"));
            path
        };
        let mut document = tricky_document();
        sign(&mut document, &fixed_key(4));
        let good = write("good.json", &to_text(&document));
        let (ok, text) = recipe(&good, None);
        assert!(ok, "{text}");
        assert!(
            text.contains(&keys::key_id(&fixed_key(4).verifying_key())),
            "{text}"
        );

        let own = write(
            "own.pem",
            &keys::public_key_pem(&fixed_key(4).verifying_key()),
        );
        let stranger = write(
            "stranger.pem",
            &keys::public_key_pem(&fixed_key(5).verifying_key()),
        );
        assert!(recipe(&good, Some(&own)).0, "the trusted key matches");
        let (ok, text) = recipe(&good, Some(&stranger));
        assert!(!ok && text.contains("not the trusted key"), "{text}");

        let mut tampered = document.clone();
        tampered.milestones[0].creditedtime += 1;
        let (ok, text) = recipe(&write("tampered.json", &to_text(&tampered)), None);
        assert!(!ok, "{text}");

        let with_bom = format!("\u{feff}{}", to_text(&document));
        assert!(
            recipe(&write("bom.json", &with_bom), None).0,
            "a byte order mark is not signed"
        );

        let reindented = serde_json::to_string(&document).unwrap_or_default();
        assert!(
            recipe(&write("compact.json", &reindented), None).0,
            "layout is not signed"
        );

        assert!(!recipe(&write("unsigned.json", &to_text(&demo())), None).0);
        let duplicate = to_text(&document).replacen("{\n", "{\n  \"version\": 2,\n", 1);
        assert!(!recipe(&write("duplicate.json", &duplicate), None).0);
        for (from, to) in [
            ("\"creditedtime\": 30", "\"creditedtime\": 30.0"),
            ("\"creditedtime\": 30", "\"creditedtime\": 9007199254740992"),
            ("\"alice\"", "\"ali\\ud800ce\""),
            ("\"alice\"", "\"ali\\u0000ce\""),
        ] {
            let edited = to_text(&document).replacen(from, to, 1);
            assert_ne!(edited, to_text(&document));
            let (ok, text) = recipe(&write("edited.json", &edited), None);
            assert!(!ok && !text.contains("Traceback"), "{to}: {text}");
        }
    }

    #[test]
    fn openssl_recipe_refuses_small_order_public_keys() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let forged = forged_with_identity_key();
        let file = dir.path().join("forged.json");
        std::fs::write(&file, to_text(&forged)).unwrap_or_else(|e| panic!("write: {e}"));
        let (ok, text) = recipe(&file, None);
        assert!(!ok && text.contains("small-order"), "{text}");
        for hex in SMALL_ORDER {
            let mut document = signed_demo();
            if let Some(signature) = &mut document.signature {
                signature.public_key = URL_SAFE_NO_PAD.encode(from_hex(hex));
                signature.key_id = keys::key_id_of_bytes(&from_hex(hex));
            }
            std::fs::write(&file, to_text(&document)).unwrap_or_else(|e| panic!("write: {e}"));
            let (ok, text) = recipe(&file, None);
            assert!(!ok && text.contains("small-order"), "{hex}: {text}");
        }
    }

    // --- Any single change to a signed document is detected. ---

    /// Every place in a JSON value that a mutation can target, as JSON pointers.
    fn places(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    places(item, format!("{at}/{index}"), out);
                }
            }
            Value::Object(object) => {
                for (key, item) in object {
                    places(item, format!("{at}/{key}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    /// Changes the value at `pointer` so that it stays of a type the format allows there.
    fn mutate(value: &mut Value, pointer: &str, pick: usize) -> bool {
        let Some(target) = value.pointer_mut(pointer) else {
            return false;
        };
        match target {
            Value::String(text) => {
                let mut chars: Vec<char> = text.chars().collect();
                if chars.is_empty() {
                    text.push('x');
                } else {
                    let at = pick % chars.len();
                    // Swap a character for a neighbour of the same kind (hex stays hex).
                    chars[at] = match chars[at] {
                        '0'..='8' | 'a'..='e' | 'A'..='Y' => char::from(chars[at] as u8 + 1),
                        '9' => '0',
                        'f' => 'a',
                        _ => 'é',
                    };
                    *text = chars.into_iter().collect();
                }
                true
            }
            Value::Number(number) => {
                let n = number.as_i64().unwrap_or(0);
                *target = Value::from(if pick.is_multiple_of(2) || n == 0 {
                    n + 1
                } else {
                    n - 1
                });
                true
            }
            Value::Null => {
                *target = Value::from(pick as i64 % 3);
                true
            }
            Value::Array(items) if !items.is_empty() => {
                match pick % 3 {
                    0 => {
                        items.remove(pick % items.len());
                    }
                    1 => {
                        let copy = items[pick % items.len()].clone();
                        items.push(copy);
                    }
                    _ if items.len() > 1 && items[0] != items[items.len() - 1] => {
                        let last = items.len() - 1;
                        items.swap(0, last);
                    }
                    _ => items.clear(),
                }
                true
            }
            _ => false,
        }
    }

    #[test]
    fn every_single_change_to_a_signed_document_is_detected() {
        let original = v2::to_value(&signed_demo());
        let mut all = Vec::new();
        places(&original, String::new(), &mut all);
        all.retain(|p| !p.is_empty());
        let (mut readable, mut unreadable) = (0, 0);
        for pointer in &all {
            for pick in 0..6 {
                let mut changed = original.clone();
                if !mutate(&mut changed, pointer, pick) || changed == original {
                    continue;
                }
                match parse(changed.to_string().as_bytes()) {
                    // A change that contradicts another part (a background's SHA-1 or file
                    // name, a template name) is refused when read, before the signature.
                    Err(v2::DocumentError::Inconsistent { .. }) => {}
                    Err(_) => unreadable += 1,
                    Ok(reread) => {
                        assert!(
                            is_invalid(&reread),
                            "{pointer} (pick {pick}) changed but still verifies"
                        );
                        readable += 1;
                    }
                }
            }
        }
        // Most changes give a readable document: the signature, not the parser, catches them.
        assert!(
            readable > 3 * unreadable,
            "{readable} readable, {unreadable} unreadable"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_single_change_to_a_signed_document_is_detected(place in any::<prop::sample::Index>(), pick in 0usize..1000) {
            let document = signed_demo();
            let original = v2::to_value(&document);
            let mut all = Vec::new();
            places(&original, String::new(), &mut all);
            all.retain(|p| !p.is_empty());
            let pointer = place.get(&all).clone();
            let mut changed = original.clone();
            prop_assume!(mutate(&mut changed, &pointer, pick));
            prop_assume!(changed != original);
            // A change either makes the file unreadable or breaks the signature.
            match parse(changed.to_string().as_bytes()) {
                Err(_) => {}
                Ok(reread) => prop_assert!(is_invalid(&reread), "{pointer} changed but still verifies"),
            }
        }

        #[test]
        fn typed_canonical_bytes_equal_the_generic_writer_on_any_value(text in any::<String>(), number in any::<i64>()) {
            let mut document = demo();
            document.training.name = text.clone();
            document.learners[0].resultcriteria = Some(text);
            document.training.duration = Some(number);
            prop_assert_eq!(canonical_bytes(&document), canonical_by_value(&document));
        }

        #[test]
        fn signing_any_text_verifies(name in "\\PC*", data in any::<String>().prop_filter("no NUL", |s| !s.contains('\0'))) {
            let mut document = demo();
            document.training.name = name;
            document.templates[0].details[1].data = data;
            sign(&mut document, &fixed_key(6));
            let reread = parse(to_text(&document).as_bytes());
            prop_assert_eq!(reread.map(|d| verify(&d).integrity), Ok(Integrity::Valid));
        }
    }
}
