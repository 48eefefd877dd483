//! The backup file: the format-2 document and its signature, signing keys and the trust store,
//! and the PHP plugin's legacy files with their PHP-compatible checksum.
//!
//! Architecture invariant: nothing here knows a database or HTTP.

pub mod keys;
pub mod legacy;
pub mod php_json;
pub mod signature;
pub mod v2;
