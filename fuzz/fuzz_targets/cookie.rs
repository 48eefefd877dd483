//! Fuzz target: the request headers the web server reads by hand: the session cookie
//! (`id_from_cookie_header`), any cookie by name (`cookie_value`, the Moodle session of
//! `serve --moodle-session`) and `Accept-Language`.
//!
//! Input: the cookie name to look for, a line break, then the header value.
//! Properties: a session id found has the shape of ours and is the value of our cookie in the
//! header; a cookie found is trimmed, non-empty and named exactly; the cookie this server sets,
//! sent back with the fuzzed cookies around it, is read back as its id.
#![no_main]

use attestoodle_backup::web::parsers::{
    cookie_value, id_from_cookie_header, lang_from_accept, set_cookie, COOKIE,
};
use axum::http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

const OURS: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let (name, value) = text.split_once('\n').unwrap_or(("MoodleSession", text));
    let _ = lang_from_accept(Some(value));
    if let Some(id) = id_from_cookie_header(value) {
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(value.contains(id), "the id is not in the header");
        assert!(value.contains(COOKIE), "an id without our cookie");
    }
    // Ours set by the server, sent back after the fuzzed ones: found unless one of them is
    // also ours (the first one wins, as browsers send the most specific path first).
    let ours = set_cookie(OURS, "/", false);
    let pair = ours.split(';').next().unwrap_or_default();
    let sent = format!("{value}; {pair}");
    if id_from_cookie_header(value).is_none() && !value.contains(COOKIE) {
        assert_eq!(id_from_cookie_header(&sent), Some(OURS), "{sent}");
    }
    let Ok(header_value) = HeaderValue::from_str(value) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.append(header::COOKIE, header_value);
    if let Some(found) = cookie_value(&headers, name) {
        assert!(!found.is_empty());
        assert_eq!(found.trim(), found);
        assert!(value.contains(&found));
        assert!(value.contains(name));
    }
});
