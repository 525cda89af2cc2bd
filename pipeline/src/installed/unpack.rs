//! A model archive (ZIP, tar, tar.gz) unpacked into a folder, streaming to disk: every
//! entry must land inside the folder (no `..`, no absolute paths, no links), there are at
//! most [`MAX_ENTRIES`] of them, and together they are at most the size limit — checked
//! while writing, so a bomb stops at the limit, not when the disk is full.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::PipelineError;

/// Files in a model archive at most (a model folder has a handful).
pub const MAX_ENTRIES: usize = 256;

fn refused(archive: &Path, why: impl std::fmt::Display) -> PipelineError {
    PipelineError::InvalidInput(format!("{}: {why}", archive.display()))
}

/// Where entry `name` goes under `into`, or why it may not.
fn inside(archive: &Path, into: &Path, name: &Path) -> Result<PathBuf, PipelineError> {
    let mut out = into.to_path_buf();
    for part in name.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => {
                return Err(refused(
                    archive,
                    format!("the entry `{}` points outside the archive", name.display()),
                ));
            }
        }
    }
    Ok(out)
}

/// Copies at most `left` bytes of `from` into a new file at `to`; the bytes written.
fn write_within(
    archive: &Path,
    from: &mut dyn Read,
    to: &Path,
    left: &mut u64,
) -> Result<(), PipelineError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| refused(archive, e))?;
    }
    let mut file = std::fs::File::create(to).map_err(|e| refused(archive, e))?;
    let copied = std::io::copy(&mut from.take(*left + 1), &mut file)
        .map_err(|e| refused(archive, format!("reading it: {e}")))?;
    if copied > *left {
        return Err(refused(
            archive,
            "it unpacks to more than the size limit (models.max_install_bytes)",
        ));
    }
    *left -= copied;
    Ok(())
}

/// Unpacks `archive` (by its name: `.zip`, `.tar`, `.tar.gz`/`.tgz`) into `into`, at most
/// `limit` bytes in all.
pub fn unpack(archive: &Path, into: &Path, limit: u64) -> Result<(), PipelineError> {
    let name = archive
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let file = std::fs::File::open(archive).map_err(|e| refused(archive, e))?;
    let mut left = limit;
    if name.ends_with(".zip") {
        let mut zip = zip::ZipArchive::new(file).map_err(|e| refused(archive, e))?;
        if zip.len() > MAX_ENTRIES {
            return Err(refused(archive, format!("more than {MAX_ENTRIES} entries")));
        }
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| refused(archive, e))?;
            let raw = PathBuf::from(entry.name().map_err(|e| refused(archive, e))?.as_ref());
            if entry.is_dir() {
                continue;
            }
            if entry.is_symlink() {
                return Err(refused(archive, format!("`{}` is a link", raw.display())));
            }
            let to = inside(archive, into, &raw)?;
            write_within(archive, &mut entry, &to, &mut left)?;
        }
        return Ok(());
    }
    let reader: Box<dyn Read> = if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else if name.ends_with(".tar") {
        Box::new(file)
    } else {
        return Err(refused(
            archive,
            "not a model folder, nor a .zip, .tar or .tar.gz archive of one",
        ));
    };
    let mut tar = tar::Archive::new(reader);
    let entries = tar.entries().map_err(|e| refused(archive, e))?;
    for (n, entry) in entries.enumerate() {
        if n >= MAX_ENTRIES {
            return Err(refused(archive, format!("more than {MAX_ENTRIES} entries")));
        }
        let mut entry = entry.map_err(|e| refused(archive, e))?;
        let raw = entry.path().map_err(|e| refused(archive, e))?.into_owned();
        match entry.header().entry_type() {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            // pax and GNU long-name headers are read by `tar` itself.
            t if t.is_pax_global_extensions() || t.is_pax_local_extensions() => continue,
            _ => {
                return Err(refused(
                    archive,
                    format!("`{}` is a link or a special file", raw.display()),
                ));
            }
        }
        let to = inside(archive, into, &raw)?;
        write_within(archive, &mut entry, &to, &mut left)?;
    }
    Ok(())
}
