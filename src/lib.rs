//! attestoodle-backup: save, restore and clone the trainings of Attestoodle, the Moodle admin
//! tool that issues training certificates, by natural identifiers.
//!
//! See `ARCHITECTURE.md` for the map of the modules.

pub mod audit;
pub mod cli;
pub mod demo;
pub mod diff;
pub mod document;
pub mod hex;
pub mod i18n;
pub mod moodle;
pub mod preview;
pub mod restore;
pub mod safe_file;
pub mod save;
pub mod web;
