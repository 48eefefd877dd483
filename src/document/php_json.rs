//! PHP-compatible JSON: the bytes PHP 8's `json_encode` writes with its default flags.
//!
//! Legacy backups (made by the PHP plugin `tool_save_attestoodle`) carry a SHA-1 over
//! `json_encode($decoded)`, where `$decoded = json_decode($text)` without `assoc`. To check or
//! compute that checksum, this module reproduces both halves exactly:
//!
//! - [`decode`] reads JSON the way `json_decode` does: objects stay objects and arrays stay
//!   arrays, members keep the file's order, a duplicate key keeps the place of its first
//!   occurrence and the value of its last, the integer `-0` becomes `0`, an integer outside the
//!   64-bit range becomes a float, and an object key that starts with a NUL character is refused
//!   (anywhere in the text, even in a value that a repeated key replaces).
//! - [`encode`] writes a [`Value`] the way `json_encode` does with default flags: no whitespace,
//!   `/` written as `\/`, `"` and `\` escaped, `\b \f \n \r \t` for those controls and lowercase
//!   `\u00xx` for the other C0 controls, DEL (0x7F) raw, and every non-ASCII code point as
//!   lowercase `\uxxxx` (a UTF-16 surrogate pair above U+FFFF). Integers are written plainly;
//!   floats, and integers outside the 64-bit signed range, are written as PHP prints a float with
//!   `serialize_precision = -1`: the shortest digits that read back to the same double, in
//!   scientific notation exactly when the decimal exponent is below −4 or above 16
//!   (`1.0e+17`, `1.0e-5`, `-0`, `1`, `0.30000000000000004`).
//!
//! Known limits: PHP accepts nesting up to 512 levels, [`decode`] up to 128 (serde_json's
//! recursion limit); legacy backups nest three levels deep. Sites that changed
//! `serialize_precision` print floats differently; legacy backups hold no floats.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::i18n::Lang;

/// Why [`decode`] refused a text that PHP's `json_decode` would refuse too.
///
/// Its English and French texts are one `match` in [`DecodeError::localized`]; `Display` is
/// the English one; the JSON parser's own words are in [`DecodeError::detail`].
#[derive(Debug)]
pub enum DecodeError {
    /// The text is not JSON (syntax error, invalid UTF-8, a number out of range, a lone
    /// surrogate, or nesting deeper than 128 levels).
    Syntax(serde_json::Error),
    /// An object key starts with a NUL character, which `json_decode` refuses for objects
    /// ("The decoded property name is invalid").
    NulKey {
        /// The key as read.
        key: String,
    },
}

impl From<serde_json::Error> for DecodeError {
    fn from(error: serde_json::Error) -> DecodeError {
        DecodeError::Syntax(error)
    }
}

impl DecodeError {
    /// What is wrong with the text, in the operator's language: where the JSON breaks (line,
    /// column, and whether the text was cut short), or which key PHP refuses.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (DecodeError::Syntax(error), Lang::En) => format!(
                "the file is not valid JSON (line {}, column {}){}",
                error.line(),
                error.column(),
                if error.is_eof() {
                    ": it ends too early, it was cut short in a copy or a download"
                } else {
                    ""
                }
            ),
            (DecodeError::Syntax(error), Lang::Fr) => format!(
                "le fichier n'est pas du JSON valide (ligne {}, colonne {}){}",
                error.line(),
                error.column(),
                if error.is_eof() {
                    " : il s'arrête trop tôt, il a été tronqué lors d'une copie ou d'un \
                     téléchargement"
                } else {
                    ""
                }
            ),
            (DecodeError::NulKey { key }, Lang::En) => format!(
                "the file is not JSON as PHP reads it: the object key {key:?} starts with a NUL \
                 character, which PHP refuses as a property name; the file was edited or damaged"
            ),
            (DecodeError::NulKey { key }, Lang::Fr) => format!(
                "le fichier n'est pas du JSON tel que PHP le lit : la clé d'objet {key:?} \
                 commence par un caractère NUL, que PHP refuse comme nom de propriété ; le \
                 fichier a été modifié ou abîmé"
            ),
        }
    }

    /// The JSON parser's own words (`--verbose`), when there are some.
    pub fn detail(&self) -> Option<String> {
        match self {
            DecodeError::Syntax(error) => Some(error.to_string()),
            DecodeError::NulKey { .. } => None,
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Syntax(error) => Some(error),
            DecodeError::NulKey { .. } => None,
        }
    }
}

/// Parses JSON text into a [`Value`] exactly as PHP 8's `json_decode($text)` (without `assoc`)
/// sees it, so that [`encode`] of the result gives the bytes PHP would give.
///
/// Member order is the file's; a repeated key keeps its first position and its last value. The
/// integer `-0` reads as `0` (PHP makes it an int), whereas `-0.0` stays a negative zero float.
/// Integers beyond the 64-bit signed range read as numbers that [`encode`] prints as floats, as
/// PHP does.
///
/// # Errors
///
/// [`DecodeError::Syntax`] when the text is not JSON, and [`DecodeError::NulKey`] when an object
/// key starts with U+0000.
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    let text = neutralise_negative_integer_zero(bytes);
    let value: Value = serde_json::from_slice(&text)?;
    // Read from the text, not from `value`: PHP refuses such a key even in a value that a
    // repeated key replaces, which `value` no longer holds (found by fuzzing, README "Fuzzing").
    let FirstNulKey(nul_key) = serde_json::from_slice(&text)?;
    if let Some(key) = nul_key {
        return Err(DecodeError::NulKey { key });
    }
    Ok(value)
}

/// Encodes `value` exactly as PHP 8's `json_encode` does with default flags, for a value that
/// came from [`decode`] (or has the same shape: PHP objects as JSON objects, lists as arrays).
///
/// Encoding cannot fail: a [`Value`] holds neither NaN nor infinities, and its strings are
/// valid UTF-8.
pub fn encode(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// The SHA-1 digest of `bytes` as 40 lowercase hexadecimal digits, as PHP's `sha1()` gives it.
pub use crate::hex::sha1_hex;

/// Replaces the `-` of every integer token `-0` (not `-0.…` nor `-0e…`) with a space.
///
/// serde_json reads `-0` as the float −0.0, while PHP reads it as the integer 0; a space is
/// insignificant JSON whitespace, so nothing else changes. The text is copied only when it holds
/// such a token.
fn neutralise_negative_integer_zero(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Cow<'_, [u8]> = Cow::Borrowed(bytes);
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if byte == b'-'
            // A `-` after `e` or `E` is an exponent's sign, not a number's.
            && !matches!(i.checked_sub(1).and_then(|before| bytes.get(before)), Some(b'e' | b'E'))
            && bytes.get(i + 1) == Some(&b'0')
            && !matches!(bytes.get(i + 2), Some(b'.' | b'e' | b'E' | b'0'..=b'9'))
        {
            out.to_mut()[i] = b' ';
        }
        i += 1;
    }
    out
}

/// The first object key of a JSON text that starts with U+0000, which `json_decode` refuses
/// for objects, wherever it is: the text is walked key by key, the keys of values replaced by a
/// repeated key included.
struct FirstNulKey(Option<String>);

impl<'de> Deserialize<'de> for FirstNulKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FirstNulKeyVisitor)
    }
}

struct FirstNulKeyVisitor;

impl<'de> Visitor<'de> for FirstNulKeyVisitor {
    type Value = FirstNulKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<FirstNulKey, E> {
        Ok(FirstNulKey(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<FirstNulKey, E> {
        Ok(FirstNulKey(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<FirstNulKey, E> {
        Ok(FirstNulKey(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<FirstNulKey, E> {
        Ok(FirstNulKey(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<FirstNulKey, E> {
        Ok(FirstNulKey(None))
    }

    fn visit_unit<E>(self) -> Result<FirstNulKey, E> {
        Ok(FirstNulKey(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<FirstNulKey, A::Error> {
        let mut first = None;
        while let Some(FirstNulKey(found)) = items.next_element()? {
            first = first.or(found);
        }
        Ok(FirstNulKey(first))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<FirstNulKey, A::Error> {
        let mut first = None;
        while let Some(key) = members.next_key::<Cow<'de, str>>()? {
            if first.is_none() && key.starts_with('\0') {
                first = Some(key.into_owned());
            }
            let FirstNulKey(found) = members.next_value()?;
            first = first.or(found);
        }
        Ok(FirstNulKey(first))
    }
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => write_object(out, members),
    }
}

fn write_object(out: &mut String, members: &Map<String, Value>) {
    out.push('{');
    for (index, (key, member)) in members.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_value(out, member);
    }
    out.push('}');
}

/// Writes a number: a PHP int (64-bit signed) plainly, anything else as a PHP float.
fn write_number(out: &mut String, number: &Number) {
    if let Some(int) = number.as_i64() {
        let _ = write!(out, "{int}");
    } else if let Some(unsigned) = number.as_u64() {
        // Above i64::MAX: json_decode makes it a float, rounded to nearest as `as` does.
        write_float(out, unsigned as f64);
    } else if let Some(float) = number.as_f64() {
        write_float(out, float);
    }
}

/// Writes a finite double as PHP's `php_gcvt(value, 17, '.', 'e')` does in mode 0 (shortest
/// round-trip digits), which is what `serialize_precision = -1` selects.
fn write_float(out: &mut String, value: f64) {
    if value.is_sign_negative() {
        out.push('-');
    }
    let (digits, decpt) = shortest_digits(value.abs());
    // `decpt` places the point: value = 0.d1d2d3… × 10^decpt. PHP switches to scientific
    // notation when decpt < -3 or decpt > 17.
    if !(-3..=17).contains(&decpt) {
        let exponent = decpt - 1;
        out.push(char::from(digits[0]));
        out.push('.');
        if digits.len() == 1 {
            out.push('0');
        } else {
            out.extend(digits[1..].iter().map(|&digit| char::from(digit)));
        }
        let _ = write!(
            out,
            "e{}{}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', decpt.unsigned_abs() as usize));
        out.extend(digits.iter().map(|&digit| char::from(digit)));
    } else {
        let decpt = decpt.unsigned_abs() as usize;
        for index in 0..decpt {
            out.push(digits.get(index).map_or('0', |&digit| char::from(digit)));
        }
        if digits.len() > decpt {
            out.push('.');
            out.extend(digits[decpt..].iter().map(|&digit| char::from(digit)));
        }
    }
}

/// Returns the shortest decimal digits (no leading or trailing zeros, `"0"` for zero) that read
/// back to the non-negative finite `value`, and the decimal point position `decpt` such that
/// value = 0.digits × 10^decpt, as `zend_dtoa` mode 0 returns them.
fn shortest_digits(value: f64) -> (Vec<u8>, i32) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value);
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let mut digits = Vec::with_capacity(mantissa.len());
    let mut integer_digits: Option<i32> = None;
    for byte in mantissa.bytes() {
        if byte == b'.' {
            integer_digits = Some(digits.len() as i32);
        } else if byte.is_ascii_digit() {
            digits.push(byte);
        }
    }
    let mut decpt = integer_digits.unwrap_or(digits.len() as i32) + exponent;
    let leading_zeros = digits.iter().take_while(|&&digit| digit == b'0').count();
    digits.drain(..leading_zeros);
    decpt -= leading_zeros as i32;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        (vec![b'0'], 1)
    } else {
        (digits, decpt)
    }
}

/// Writes a string with `json_encode`'s default escaping.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{00}'..='\u{1f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(character));
            }
            // Printable ASCII and DEL (0x7F) are written raw.
            '\u{20}'..='\u{7f}' => out.push(character),
            _ => {
                let mut units = [0u16; 2];
                for unit in character.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn check_string(input: &str, expected: &str) {
        assert_eq!(encode(&Value::String(input.to_owned())), expected);
    }

    fn check_float(input: f64, expected: &str) {
        let value = Value::Number(Number::from_f64(input).expect("test floats are finite"));
        assert_eq!(encode(&value), expected, "float {input:e}");
    }

    fn check_decode_encode(input: &str, expected: &str) {
        let value = decode(input.as_bytes()).expect("test input is JSON");
        assert_eq!(encode(&value), expected, "input {input}");
    }

    #[test]
    fn encode_escapes_quote_backslash_and_slash() {
        check_string(r#"a"b\c/d"#, r#""a\"b\\c\/d""#);
    }

    #[test]
    fn encode_uses_short_escapes_for_five_controls() {
        check_string("\u{08}\u{0c}\n\r\t", r#""\b\f\n\r\t""#);
    }

    #[test]
    fn encode_writes_other_controls_as_lowercase_u00xx() {
        check_string(
            "\u{00}\u{01}\u{0b}\u{0e}\u{1b}\u{1f}",
            r#""\u0000\u0001\u000b\u000e\u001b\u001f""#,
        );
    }

    #[test]
    fn encode_writes_del_raw() {
        check_string("a\u{7f}b", "\"a\u{7f}b\"");
    }

    #[test]
    fn encode_writes_printable_ascii_raw_including_html_characters() {
        check_string("<p>&'x' ~</p>", r#""<p>&'x' ~<\/p>""#);
    }

    #[test]
    fn encode_escapes_non_ascii_as_lowercase_u_escapes() {
        check_string(
            "é€\u{feff}\u{2028}\u{2029}\u{80}\u{ffff}",
            r#""\u00e9\u20ac\ufeff\u2028\u2029\u0080\uffff""#,
        );
    }

    #[test]
    fn encode_escapes_astral_characters_as_lowercase_surrogate_pairs() {
        check_string(
            "😀🎓\u{10000}\u{10ffff}",
            r#""\ud83d\ude00\ud83c\udf93\ud800\udc00\udbff\udfff""#,
        );
    }

    #[test]
    fn encode_escapes_object_keys_like_strings() {
        let value = json!({"a/b": 1, "é": 2, "": 3});
        assert_eq!(encode(&value), r#"{"a\/b":1,"\u00e9":2,"":3}"#);
    }

    #[test]
    fn encode_is_compact_and_keeps_member_order() {
        let value: Value =
            serde_json::from_str(r#" { "z" : [ 1 , true , null , { } , [ ] ] , "a" : false } "#)
                .expect("valid JSON");
        assert_eq!(encode(&value), r#"{"z":[1,true,null,{},[]],"a":false}"#);
    }

    #[test]
    fn encode_writes_the_empty_string() {
        check_string("", r#""""#);
    }

    #[test]
    fn encode_writes_integers_plainly() {
        assert_eq!(encode(&json!(0)), "0");
        assert_eq!(encode(&json!(-1)), "-1");
        assert_eq!(encode(&json!(i64::MAX)), "9223372036854775807");
        assert_eq!(encode(&json!(i64::MIN)), "-9223372036854775808");
    }

    #[test]
    fn encode_writes_integers_beyond_i64_as_php_floats() {
        assert_eq!(
            encode(&json!(9_223_372_036_854_775_808_u64)),
            "9.223372036854776e+18"
        );
        assert_eq!(
            encode(&json!(12_345_678_901_234_567_890_u64)),
            "1.2345678901234567e+19"
        );
        check_decode_encode("-9223372036854775809", "-9.223372036854776e+18");
        check_decode_encode("100000000000000000000", "1.0e+20");
    }

    #[test]
    fn encode_lays_out_floats_as_php_with_serialize_precision_minus_one() {
        check_float(1.0, "1");
        check_float(0.1, "0.1");
        check_float(1e16, "10000000000000000");
        check_float(1e17, "1.0e+17");
        check_float(0.0001, "0.0001");
        check_float(0.00001, "1.0e-5");
        check_float(-0.0, "-0");
        check_float(0.0, "0");
        check_float(1.5e300, "1.5e+300");
        check_float(0.1 + 0.2, "0.30000000000000004");
        check_float(12_345_678_901_234_567_890.0, "1.2345678901234567e+19");
    }

    #[test]
    fn encode_lays_out_float_edge_cases_as_php() {
        // Checked against PHP 8.2's json_encode(json_decode(...)).
        check_float(5e-324, "5.0e-324");
        check_float(1e22, "1.0e+22");
        check_float(1e-7, "1.0e-7");
        check_float(123_456_789_012_345_680.0, "1.2345678901234568e+17");
        check_float(-2.5e-3, "-0.0025");
        check_float(f64::MAX, "1.7976931348623157e+308");
        check_float(0.5, "0.5");
        check_float(123.456, "123.456");
    }

    #[test]
    fn decode_reads_negative_integer_zero_as_php_int_zero() {
        check_decode_encode("-0", "0");
        check_decode_encode("[-0,-0.0,-0e0,0.0,\"-0\"]", r#"[0,-0,-0,0,"-0"]"#);
        check_decode_encode("[1e-0,2E-0,-0e-0,-0]", "[1,2,-0,0]");
    }

    #[test]
    fn decode_reads_exponent_and_fraction_numbers_as_floats() {
        check_decode_encode("[1.0,1E2,1e+2,2.5E-3]", "[1,100,100,0.0025]");
    }

    #[test]
    fn decode_keeps_first_position_and_last_value_of_a_duplicate_key() {
        check_decode_encode(r#"{"a":1,"b":2,"a":3}"#, r#"{"a":3,"b":2}"#);
    }

    fn decode_variant(error: &DecodeError) -> usize {
        match error {
            DecodeError::Syntax(_) => 0,
            DecodeError::NulKey { .. } => 1,
        }
    }

    // Issue 9, item 1: why a legacy text is not JSON is said in English and French, without
    // the parser's words (those are the detail).
    #[test]
    fn every_decode_error_is_said_in_english_and_in_french() {
        let errors = [
            decode(b"{\"a\": ").expect_err("cut short"),
            decode(b"nope").expect_err("not JSON"),
            decode(br#"{"\u0000a":1}"#).expect_err("a NUL key"),
        ];
        crate::i18n::testing::every_variant(errors.iter().map(decode_variant), 2);
        for error in &errors {
            let (en, fr) = (error.localized(Lang::En), error.localized(Lang::Fr));
            assert_eq!(en, error.to_string());
            for text in [&en, &fr] {
                assert!(
                    !text.contains(" at line ") && !text.contains("EOF"),
                    "{text}"
                );
            }
            crate::i18n::testing::two_texts(en, fr);
        }
        assert!(errors[0].localized(Lang::Fr).contains("tronqué"));
        assert!(errors[0].detail().is_some_and(|d| d.contains("EOF")));
    }

    #[test]
    fn decode_refuses_an_object_key_starting_with_nul() {
        let error = decode(br#"{"x":[{"\u0000a":1}]}"#).expect_err("PHP refuses it");
        assert!(
            matches!(error, DecodeError::NulKey { ref key } if key == "\0a"),
            "{error:?}"
        );
    }

    #[test]
    fn decode_refuses_a_nul_key_in_a_value_a_repeated_key_replaces() {
        // Found by fuzzing (fuzz/ legacy_reader): PHP 8.2's json_decode refuses this text
        // ("The decoded property name is invalid") although the value holding the key is
        // replaced; the reader took it as {"a":2}.
        let error = decode(br#"{"a":{"\u0000x":1},"a":2}"#).expect_err("PHP refuses it");
        assert!(
            matches!(error, DecodeError::NulKey { ref key } if key == "\0x"),
            "{error:?}"
        );
        let error = decode(br#"[{"m":[{"\u0000y":0}],"m":[]}]"#).expect_err("PHP refuses it");
        assert!(matches!(error, DecodeError::NulKey { .. }), "{error:?}");
        // A NUL further in a key, or in a string, is PHP's too.
        assert!(decode(br#"{"a\u0000":"\u0000"}"#).is_ok());
    }

    #[test]
    fn decode_refuses_what_php_refuses() {
        for text in ["", "{", "\"\\ud800\"", "1e400", "\u{feff}{}", "[1,]", "'a'"] {
            assert!(
                decode(text.as_bytes()).is_err(),
                "{text:?} should be refused"
            );
        }
    }

    #[test]
    fn decode_leaves_minus_zero_inside_strings_alone() {
        check_decode_encode(r#"["a\"-0",-0]"#, r#"["a\"-0",0]"#);
    }

    #[test]
    fn sha1_hex_is_lowercase_hex() {
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    /// Characters from every escape class, plus any character at all.
    fn any_text() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            '"',
            '\\',
            '/',
            '\u{08}',
            '\u{0c}',
            '\n',
            '\r',
            '\t',
            '\u{00}',
            '\u{0b}',
            '\u{1f}',
            '\u{7f}',
            'a',
            ' ',
            '<',
            '&',
            'é',
            '€',
            '\u{2028}',
            '\u{feff}',
            '\u{ffff}',
            '😀',
            '\u{10000}',
            '\u{10ffff}',
        ]);
        prop::collection::vec(prop_oneof![special, any::<char>()], 0..12)
            .prop_map(|characters| characters.into_iter().collect())
    }

    fn any_finite_float() -> impl Strategy<Value = f64> {
        use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
        prop_oneof![
            (POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO),
            any::<u64>()
                .prop_map(f64::from_bits)
                .prop_filter("finite", |float| float.is_finite()),
            (-1_000_000i64..1_000_000, -30i32..30)
                .prop_map(|(mantissa, exponent)| mantissa as f64 * 10f64.powi(exponent)),
        ]
    }

    /// Nested JSON values whose leaves are text, booleans, null and 64-bit signed integers:
    /// exactly the values that survive `encode` then serde_json unchanged.
    fn any_exact_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any_text(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    /// Nested JSON values with every kind of number too, for the comparison with PHP.
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any_finite_float().prop_map(Value::from),
            any_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any_text(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn encode_output_reads_back_as_the_same_value(value in any_exact_value()) {
            let text = encode(&value);
            prop_assert!(text.is_ascii(), "json_encode output is ASCII: {}", text);
            let back: Value = serde_json::from_str(&text).expect("encode writes JSON");
            prop_assert_eq!(back, value);
        }

        #[test]
        fn encode_float_reads_back_as_the_same_double(float in any_finite_float()) {
            let text = encode(&Value::from(float));
            let back: f64 = text.parse().expect("encode writes a number Rust can read");
            prop_assert_eq!(back.to_bits(), float.to_bits(), "{} from {:e}", text, float);
        }
    }

    /// Runs `php -r` on each JSON text (one per line) and returns what PHP 8's
    /// `json_encode(json_decode($line))` writes for each, or `None` when `php` is not installed.
    fn php_reencode(texts: &[String]) -> Option<Vec<String>> {
        use std::io::Write as _;
        use std::process::{Command, Stdio};

        const SCRIPT: &str = r#"while (($line = fgets(STDIN)) !== false) {
            $decoded = json_decode($line);
            if (json_last_error() !== JSON_ERROR_NONE) { echo "DECODE-ERROR\n"; continue; }
            $encoded = json_encode($decoded);
            echo $encoded === false ? "ENCODE-ERROR" : $encoded, "\n";
        }"#;
        let mut child = Command::new("php")
            .args(["-d", "serialize_precision=-1", "-r", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let mut stdin = child.stdin.take()?;
        let input = texts.join("\n") + "\n";
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output().expect("php runs to completion");
        writer
            .join()
            .expect("the writer thread does not panic")
            .expect("php reads its input");
        assert!(output.status.success(), "php failed: {:?}", output.status);
        let stdout = String::from_utf8(output.stdout).expect("json_encode writes ASCII");
        Some(stdout.lines().map(str::to_owned).collect())
    }

    /// What [`decode`] then [`encode`] give for `text`, in the form [`php_reencode`] uses.
    fn rust_reencode(text: &str) -> String {
        match decode(text.as_bytes()) {
            Ok(value) => encode(&value),
            Err(_) => "DECODE-ERROR".to_owned(),
        }
    }

    fn compare_with_php(texts: &[String]) {
        let Some(from_php) = php_reencode(texts) else {
            println!("skipped: `php` is not on PATH, so the comparison with PHP's json_encode did not run");
            return;
        };
        assert_eq!(from_php.len(), texts.len(), "php answered every line");
        for (text, php) in texts.iter().zip(&from_php) {
            assert_eq!(&rust_reencode(text), php, "input line: {text}");
        }
    }

    #[test]
    fn decode_then_encode_matches_php_on_edge_cases() {
        let texts: Vec<String> = [
            "-0",
            "[1e-0,2E-0,-0e-0,-0,-0 ,[-0],{\"a\":-0}]",
            "[-0,-0.0,0.0,1.0,1e17,1e16,0.00001,0.0001,12345678901234567890]",
            "[-9223372036854775808,9223372036854775807,9223372036854775808,-9223372036854775809]",
            "[1.5e300,5e-324,1e22,123456789012345678,1e-7,0.1,100000000000000000000,2.5E-3,1E2]",
            r#"{"a":1,"b":2,"a":3}"#,
            r#"{"":{},"0":[],"x":[{}]}"#,
            r#""\u007f\u2028\ud83d\ude00/\u0001\u000b\b\f\n\r\t\"\\<>&'""#,
            r#"{"\u0000a":1}"#,
            r#"{"a\u0000":1}"#,
            r#""\ud800""#,
            "[0.1,0.2,0.30000000000000004,1e-4,9.999999999999999e-5,1e+17,9.999999999999998e16]",
        ]
        .iter()
        .map(|text| (*text).to_owned())
        .collect();
        compare_with_php(&texts);
    }

    #[test]
    fn decode_then_encode_matches_php_on_the_vectors() {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
        let texts: Vec<String> = [
            "legacy-simple.json",
            "legacy-positions.json",
            "legacy-tampered.json",
            "legacy-error-notfound.json",
        ]
        .iter()
        .map(|name| {
            std::fs::read_to_string(format!("{directory}/{name}")).expect("vector is readable")
        })
        .collect();
        compare_with_php(&texts);
    }

    /// JSON number texts of every spelling: sign, `0` or a long integer part, fraction,
    /// exponent with or without sign (small enough that PHP never reads an infinity).
    fn any_number_text() -> impl Strategy<Value = String> {
        let integer = prop_oneof![Just("0".to_owned()), "[1-9][0-9]{0,24}"];
        let fraction = prop::option::of("[0-9]{1,20}");
        let exponent = prop::option::of(("[eE]", "[+-]?", "[0-9]{1,2}"));
        (any::<bool>(), integer, fraction, exponent).prop_map(
            |(negative, integer, fraction, exponent)| {
                let mut text = if negative {
                    "-".to_owned()
                } else {
                    String::new()
                };
                text.push_str(&integer);
                if let Some(fraction) = fraction {
                    text.push('.');
                    text.push_str(&fraction);
                }
                if let Some((mark, sign, digits)) = exponent {
                    text.push_str(&mark);
                    text.push_str(&sign);
                    text.push_str(&digits);
                }
                text
            },
        )
    }

    /// Generates `count` cases from `strategy`, without shrinking.
    fn generate<T: std::fmt::Debug>(strategy: impl Strategy<Value = T>, count: usize) -> Vec<T> {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::{Config, TestRunner};

        let mut runner = TestRunner::new(Config::default());
        (0..count)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .expect("the strategy generates values")
                    .current()
            })
            .collect()
    }

    // One PHP process checks every generated case, so the comparison stays fast; a failure
    // names the input line.
    #[test]
    fn decode_then_encode_matches_php_on_random_values() {
        let texts: Vec<String> = generate(any_value(), 2000)
            .iter()
            .map(|value| serde_json::to_string(value).expect("a Value serialises"))
            .collect();
        compare_with_php(&texts);
    }

    #[test]
    fn decode_then_encode_matches_php_on_random_number_spellings() {
        let numbers = prop::collection::vec(any_number_text(), 1..8)
            .prop_map(|numbers| format!("[{}]", numbers.join(",")));
        compare_with_php(&generate(numbers, 2000));
    }
}
