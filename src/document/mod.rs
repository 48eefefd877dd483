//! The backup file: the format-2 document and its signature, signing keys and the trust store,
//! the PHP plugin's legacy files with their PHP-compatible checksum, reading either from a file,
//! and converting a legacy file to format 2.
//!
//! Architecture invariant: nothing here knows a database or HTTP.

mod canonical;
pub mod keys;
pub mod legacy;
pub mod load;
pub mod migrate;
pub mod php_json;
pub mod signature;
pub mod v2;
