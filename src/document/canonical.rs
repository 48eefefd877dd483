//! A typed walk of a [`Document`] in RFC 8785 (JCS) key order, without a `serde_json::Value`
//! tree: the signature's canonical bytes ([`write_canonical`]) and the scalar checks of
//! `v2::validate` ([`scalars_ok`]) both follow it.
//!
//! Every key of the format is ASCII, so sorting by UTF-16 code units (RFC 8785 §3.2.3) is
//! plain byte order; each struct is written with its keys already in that order. Each struct
//! is destructured without `..`, so that a field added to the format is a compile error here
//! until it is placed; a unit test compares the bytes with those of the generic writer on the
//! `Value` tree.

use super::v2::{
    Activity, Background, Category, Document, Learner, LearnerStyle, Milestone, Planning,
    Signature, Source, Template, TemplateDetail, Training,
};

/// What a walk reports, in document order (keys sorted).
pub(crate) trait Sink {
    /// `{`.
    fn begin_object(&mut self);
    /// The key of the next member of the current object (`first` for the first member).
    fn key(&mut self, key: &str, first: bool);
    /// `}`.
    fn end_object(&mut self);
    /// `[`.
    fn begin_array(&mut self);
    /// Before each item of an array but the first.
    fn separator(&mut self);
    /// `]`.
    fn end_array(&mut self);
    /// `null`.
    fn null(&mut self);
    /// An integer.
    fn int(&mut self, value: i64);
    /// A string.
    fn string(&mut self, value: &str);
}

/// Walks a document as the canonical form sees it: `signature` without its `value` member.
pub(crate) fn walk(document: &Document, out: &mut impl Sink) {
    let Document {
        format,
        version,
        created,
        generator,
        source,
        training,
        milestones,
        templates,
        learners,
        learner_styles,
        planning,
        signature,
    } = document;
    let mut o = Object::begin(out);
    o.key("created").string(created);
    o.key("format").string(format);
    o.key("generator").string(generator);
    array(o.key("learner_styles"), learner_styles, learner_style);
    array(o.key("learners"), learners, learner);
    array(o.key("milestones"), milestones, milestone);
    if let Some(planning) = planning {
        array(o.key("planning"), planning, planning_row);
    }
    if let Some(signature) = signature {
        signature_without_value(o.key("signature"), signature);
    }
    source_object(o.key("source"), source);
    array(o.key("templates"), templates, template);
    training_object(o.key("training"), training);
    o.key("version").int(*version);
    o.end();
}

/// The members of one object, keys given in their canonical order.
struct Object<'a, S: Sink> {
    out: &'a mut S,
    first: bool,
}

impl<'a, S: Sink> Object<'a, S> {
    fn begin(out: &'a mut S) -> Self {
        out.begin_object();
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut S {
        self.out.key(key, self.first);
        self.first = false;
        self.out
    }

    fn end(self) {
        self.out.end_object();
    }
}

fn array<S: Sink, T>(out: &mut S, items: &[T], each: impl Fn(&mut S, &T)) {
    out.begin_array();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.separator();
        }
        each(out, item);
    }
    out.end_array();
}

fn opt_string<S: Sink>(out: &mut S, value: &Option<String>) {
    match value {
        Some(text) => out.string(text),
        None => out.null(),
    }
}

fn opt_int<S: Sink>(out: &mut S, value: &Option<i64>) {
    match value {
        Some(number) => out.int(*number),
        None => out.null(),
    }
}

fn source_object<S: Sink>(out: &mut S, source: &Source) {
    let Source {
        wwwroot,
        source_training_id,
    } = source;
    let mut o = Object::begin(out);
    o.key("source_training_id").int(*source_training_id);
    opt_string(o.key("wwwroot"), wwwroot);
    o.end();
}

fn training_object<S: Sink>(out: &mut S, training: &Training) {
    let Training {
        name,
        category,
        startdate,
        enddate,
        duration,
        nbautolaunch,
        nextlaunch,
        checklearner,
        template,
        grpcriteria1,
        grpcriteria2,
    } = training;
    let mut o = Object::begin(out);
    category_object(o.key("category"), category);
    opt_int(o.key("checklearner"), checklearner);
    opt_int(o.key("duration"), duration);
    opt_int(o.key("enddate"), enddate);
    opt_string(o.key("grpcriteria1"), grpcriteria1);
    opt_string(o.key("grpcriteria2"), grpcriteria2);
    o.key("name").string(name);
    opt_int(o.key("nbautolaunch"), nbautolaunch);
    opt_int(o.key("nextlaunch"), nextlaunch);
    o.key("startdate").int(*startdate);
    opt_string(o.key("template"), template);
    o.end();
}

fn category_object<S: Sink>(out: &mut S, category: &Category) {
    let Category {
        name,
        idnumber,
        path,
        source_id,
    } = category;
    let mut o = Object::begin(out);
    opt_string(o.key("idnumber"), idnumber);
    opt_string(o.key("name"), name);
    array(o.key("path"), path, |out, item| out.string(item));
    o.key("source_id").int(*source_id);
    o.end();
}

fn milestone<S: Sink>(out: &mut S, milestone: &Milestone) {
    let Milestone {
        course,
        section,
        position,
        activity,
        creditedtime,
        name,
        timemodified,
    } = milestone;
    let mut o = Object::begin(out);
    activity_object(o.key("activity"), activity);
    o.key("course").string(course);
    o.key("creditedtime").int(*creditedtime);
    opt_string(o.key("name"), name);
    o.key("position").int(*position);
    o.key("section").int(*section);
    opt_int(o.key("timemodified"), timemodified);
    o.end();
}

fn activity_object<S: Sink>(out: &mut S, activity: &Activity) {
    let Activity {
        kind,
        name,
        idnumber,
        source_cmid,
    } = activity;
    let mut o = Object::begin(out);
    opt_string(o.key("idnumber"), idnumber);
    opt_string(o.key("name"), name);
    opt_int(o.key("source_cmid"), source_cmid);
    opt_string(o.key("type"), kind);
    o.end();
}

fn template<S: Sink>(out: &mut S, template: &Template) {
    let Template {
        name,
        details,
        background,
    } = template;
    let mut o = Object::begin(out);
    match background {
        Some(background) => background_object(o.key("background"), background),
        None => o.key("background").null(),
    }
    array(o.key("details"), details, detail);
    o.key("name").string(name);
    o.end();
}

fn detail<S: Sink>(out: &mut S, detail: &TemplateDetail) {
    let TemplateDetail { kind, data } = detail;
    let mut o = Object::begin(out);
    o.key("data").string(data);
    o.key("type").string(kind);
    o.end();
}

fn background_object<S: Sink>(out: &mut S, background: &Background) {
    let Background {
        filename,
        mimetype,
        size,
        sha1,
        content,
    } = background;
    let mut o = Object::begin(out);
    o.key("content").string(content);
    o.key("filename").string(filename);
    o.key("mimetype").string(mimetype);
    o.key("sha1").string(sha1);
    o.key("size").int(*size);
    o.end();
}

fn learner<S: Sink>(out: &mut S, learner: &Learner) {
    let Learner {
        email,
        username,
        idnumber,
        selected,
        predelete,
        resultcriteria,
    } = learner;
    let mut o = Object::begin(out);
    o.key("email").string(email);
    opt_string(o.key("idnumber"), idnumber);
    opt_int(o.key("predelete"), predelete);
    opt_string(o.key("resultcriteria"), resultcriteria);
    opt_int(o.key("selected"), selected);
    opt_string(o.key("username"), username);
    o.end();
}

fn learner_style<S: Sink>(out: &mut S, style: &LearnerStyle) {
    let LearnerStyle {
        email,
        username,
        template,
        grpcriteria1,
        grpcriteria2,
        enablecertificate,
        withdateformat,
    } = style;
    let mut o = Object::begin(out);
    o.key("email").string(email);
    opt_int(o.key("enablecertificate"), enablecertificate);
    opt_string(o.key("grpcriteria1"), grpcriteria1);
    opt_string(o.key("grpcriteria2"), grpcriteria2);
    o.key("template").string(template);
    opt_string(o.key("username"), username);
    opt_string(o.key("withdateformat"), withdateformat);
    o.end();
}

fn planning_row<S: Sink>(out: &mut S, row: &Planning) {
    let Planning {
        executiondate,
        beginperiod,
        endperiod,
        mailto,
        auto,
        togenerate,
    } = row;
    let mut o = Object::begin(out);
    opt_int(o.key("auto"), auto);
    o.key("beginperiod").int(*beginperiod);
    o.key("endperiod").int(*endperiod);
    o.key("executiondate").int(*executiondate);
    opt_string(o.key("mailto"), mailto);
    opt_int(o.key("togenerate"), togenerate);
    o.end();
}

/// The signature object as the canonical form covers it: every member but `value`.
fn signature_without_value<S: Sink>(out: &mut S, signature: &Signature) {
    let Signature {
        algorithm,
        key_id,
        public_key,
        value: _,
    } = signature;
    let mut o = Object::begin(out);
    o.key("algorithm").string(algorithm);
    o.key("key_id").string(key_id);
    o.key("public_key").string(public_key);
    o.end();
}

/// Writes RFC 8785 bytes: no whitespace, integers in plain decimal, strings as
/// [`write_string`] writes them.
struct Canonical<'a>(&'a mut Vec<u8>);

impl Sink for Canonical<'_> {
    fn begin_object(&mut self) {
        self.0.push(b'{');
    }

    fn key(&mut self, key: &str, first: bool) {
        if !first {
            self.0.push(b',');
        }
        write_string(key, self.0);
        self.0.push(b':');
    }

    fn end_object(&mut self) {
        self.0.push(b'}');
    }

    fn begin_array(&mut self) {
        self.0.push(b'[');
    }

    fn separator(&mut self) {
        self.0.push(b',');
    }

    fn end_array(&mut self) {
        self.0.push(b']');
    }

    fn null(&mut self) {
        self.0.extend_from_slice(b"null");
    }

    fn int(&mut self, value: i64) {
        write_int(value, self.0);
    }

    fn string(&mut self, value: &str) {
        write_string(value, self.0);
    }
}

/// The canonical bytes of a document, `signature.value` left out (what a signature covers).
pub(crate) fn write_canonical(document: &Document, out: &mut Vec<u8>) {
    walk(document, &mut Canonical(out));
}

/// Writes an integer in plain decimal, as JSON and JCS write integers.
fn write_int(value: i64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        // `rest % 10` is a single digit: the cast cannot truncate.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

/// Writes a JSON string as RFC 8785 §3.2.2.2 says: raw UTF-8, `"` and `\` escaped, control
/// characters as `\b \t \n \f \r` or lowercase `\u00xx`. Runs of bytes that need no escape
/// are copied at once.
pub(crate) fn write_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => b"",
            // Every other byte, including those of multi-byte UTF-8 sequences, is copied.
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        start = index + 1;
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0x0f)]);
        } else {
            out.extend_from_slice(escape);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether every integer of a document is within ±(2^53 − 1) and no string holds U+0000:
/// the checks `v2::validate` makes on a document built in memory. Keys are ASCII names
/// without U+0000; `signature.value`, which the walk leaves out, is checked apart.
pub(crate) fn scalars_ok(document: &Document) -> bool {
    let mut check = ScalarCheck(true);
    walk(document, &mut check);
    check.0
        && document
            .signature
            .as_ref()
            .is_none_or(|signature| !signature.value.as_bytes().contains(&0))
}

struct ScalarCheck(bool);

impl Sink for ScalarCheck {
    fn begin_object(&mut self) {}
    fn key(&mut self, _key: &str, _first: bool) {}
    fn end_object(&mut self) {}
    fn begin_array(&mut self) {}
    fn separator(&mut self) {}
    fn end_array(&mut self) {}
    fn null(&mut self) {}

    fn int(&mut self, value: i64) {
        let limit = super::v2::MAX_SAFE_INTEGER;
        self.0 &= (-limit..=limit).contains(&value);
    }

    fn string(&mut self, value: &str) {
        self.0 &= !value.as_bytes().contains(&0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::v2::tests::demo;
    use crate::document::v2::{self, MAX_SAFE_INTEGER};

    /// The typed check agrees with the checks on the `Value` tree, which say where.
    #[test]
    fn scalars_ok_refuses_what_validate_refuses() {
        assert!(scalars_ok(&demo()));
        let mut cases: Vec<Document> = Vec::new();
        let mut d = demo();
        d.training.duration = Some(MAX_SAFE_INTEGER + 1);
        cases.push(d);
        let mut d = demo();
        d.source.source_training_id = -MAX_SAFE_INTEGER - 1;
        cases.push(d);
        let mut d = demo();
        d.learners[0].email.push('\0');
        cases.push(d);
        let mut d = demo();
        d.signature = Some(Signature {
            algorithm: "Ed25519".to_owned(),
            key_id: "0".repeat(16),
            public_key: String::new(),
            value: "\0".to_owned(),
        });
        cases.push(d);
        for document in cases {
            assert!(!scalars_ok(&document));
            assert!(v2::validate(&document).is_err());
        }
        let mut d = demo();
        d.training.duration = Some(MAX_SAFE_INTEGER);
        assert!(scalars_ok(&d));
    }

    #[test]
    fn integers_are_written_in_plain_decimal() {
        for n in [0, 1, -1, 9, 10, -10, i64::MAX, i64::MIN, 1_788_220_800] {
            let mut out = Vec::new();
            write_int(n, &mut out);
            assert_eq!(String::from_utf8_lossy(&out), n.to_string());
        }
    }
}
