//! Writing files that hold personal data (backups name learners by their email; keys are
//! secrets): readable by their owner only, and never seen half-written.
//!
//! [`write_private`] is the one way the tool writes such a file: the bytes go to a new
//! temporary file in the same directory, created with mode 0600 (whatever the umask), flushed
//! to disk, then moved into place in one step. An existing file is never truncated in place:
//! with `replace` it is swapped for the new one (a new inode, with the new mode); without, the
//! write is refused when the file exists, and a file that appears meanwhile is not replaced
//! either. On any error the temporary file is removed and the destination is left as it was.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The mode of every file [`write_private`] writes.
pub const PRIVATE_MODE: u32 = 0o600;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `bytes` to `path`, mode 0600, through a temporary file in the same directory.
///
/// With `replace`, an existing file at `path` is replaced atomically; without, an existing
/// file makes the call fail with [`io::ErrorKind::AlreadyExists`] and is left untouched.
/// Nothing is left behind on error.
pub fn write_private(path: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    if !replace && fs::symlink_metadata(path).is_ok() {
        return Err(already_exists(path));
    }
    let (temporary, mut file) = create_temporary(path)?;
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            if replace {
                fs::rename(&temporary, path)
            } else {
                place_without_replacing(&temporary, path)
            }
        });
    match result {
        Ok(()) => {
            sync_directory(path);
            Ok(())
        }
        Err(error) => {
            let _ = fs::remove_file(&temporary);
            Err(error)
        }
    }
}

fn already_exists(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{} already exists", path.display()),
    )
}

/// Creates `.<name>.tmp-<pid>-<n>` beside `path`, new, readable by its owner only.
fn create_temporary(path: &Path) -> io::Result<(PathBuf, File)> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file name", path.display()),
        )
    })?;
    loop {
        let mut temporary_name = OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(
            ".tmp-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let temporary = path.with_file_name(temporary_name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_MODE);
        match options.open(&temporary) {
            Ok(file) => {
                // The umask can only remove bits; set the mode anyway, in case a default ACL
                // or an unusual umask gave something else.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    if let Err(error) =
                        file.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))
                    {
                        drop(file);
                        let _ = fs::remove_file(&temporary);
                        return Err(error);
                    }
                }
                return Ok((temporary, file));
            }
            // A leftover of an interrupted run with the same pid: take the next number.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
}

/// Moves `temporary` to `path` unless `path` exists: a hard link fails when the destination
/// exists, atomically. File systems without hard links get a plain exclusive create.
fn place_without_replacing(temporary: &Path, path: &Path) -> io::Result<()> {
    match fs::hard_link(temporary, path) {
        Ok(()) => {
            let _ = fs::remove_file(temporary);
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(already_exists(path)),
        Err(_) => {
            // No hard links here (some network or FAT file systems): create the destination
            // exclusively and copy the bytes, removing it again on error.
            let bytes = fs::read(temporary)?;
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_MODE);
            let mut file = options.open(path)?;
            if let Err(error) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
                drop(file);
                let _ = fs::remove_file(path);
                return Err(error);
            }
            let _ = fs::remove_file(temporary);
            Ok(())
        }
    }
}

/// Flushes the directory entry of a renamed file; a failure here loses nothing already
/// reported, so it is ignored.
fn sync_directory(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(handle) = File::open(dir) {
            let _ = handle.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_private_and_complete() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.json");
        write_private(&path, b"hello", false).expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"hello");
        let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_is_kept_without_replace_and_swapped_with_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.json");
        fs::write(&path, b"old").expect("write old");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let before = fs::metadata(&path).expect("stat").ino();
        let error = write_private(&path, b"new", false).expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).expect("read"), b"old");
        write_private(&path, b"new", true).expect("replace");
        let meta = fs::metadata(&path).expect("stat");
        assert_eq!(fs::read(&path).expect("read"), b"new");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_ne!(meta.ino(), before, "replaced by a new file, not truncated");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_failure_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("sub");
        fs::create_dir(&target).expect("mkdir");
        // Replacing a non-empty directory with a file fails at the rename.
        fs::write(target.join("x"), b"x").expect("write");
        assert!(write_private(&target, b"data", true).is_err());
        assert!(leftovers(dir.path()).is_empty());
        assert!(write_private(&dir.path().join("missing/a.json"), b"data", false).is_err());
    }
}
