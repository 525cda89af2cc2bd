//! Archives (ZIP, tar, gzip): their files taken out as members with the path inside kept,
//! within the limits; entries that would land outside the archive (`../`, absolute paths),
//! links and password-protected entries are refused one by one, the rest still read.

use std::io::Cursor;

use crate::limits::{Budget, read_at_most};
use crate::{FormatError, Limits, Member, Read, Refused};

/// The path of an entry as a relative path inside the archive, or why it is refused.
fn inside_path(raw: &str) -> Result<String, FormatError> {
    let normal = raw.replace('\\', "/");
    let mut parts = Vec::new();
    for part in normal.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(FormatError::Damaged {
                    format: "archive entry",
                    reason: format!("`{raw}` points outside the archive"),
                });
            }
            p if parts.is_empty() && p.len() == 2 && p.ends_with(':') => {
                return Err(FormatError::Damaged {
                    format: "archive entry",
                    reason: format!("`{raw}` is an absolute path"),
                });
            }
            p => parts.push(p),
        }
    }
    if normal.starts_with('/') {
        return Err(FormatError::Damaged {
            format: "archive entry",
            reason: format!("`{raw}` is an absolute path"),
        });
    }
    if parts.is_empty() {
        return Err(FormatError::Damaged {
            format: "archive entry",
            reason: "an entry with no name".to_owned(),
        });
    }
    Ok(parts.join("/"))
}

impl Read {
    /// The entry's path inside the archive, or `None` with the refusal recorded.
    fn admit(&mut self, raw: String) -> Option<String> {
        match inside_path(&raw) {
            Ok(path) => Some(path),
            Err(error) => {
                self.refused.push(Refused { path: raw, error });
                None
            }
        }
    }
}

fn damaged(format: &'static str, e: impl std::fmt::Display) -> FormatError {
    FormatError::Damaged {
        format,
        reason: e.to_string(),
    }
}

/// A ZIP archive.
pub(crate) fn zip(bytes: &[u8], limits: &Limits) -> Result<Read, FormatError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| damaged("ZIP", e))?;
    if archive.len() > limits.members {
        return Err(FormatError::Bomb(format!(
            "it lists {} files; the limit is {}",
            archive.len(),
            limits.members
        )));
    }
    let mut read = Read::default();
    let mut budget = Budget::default();
    for i in 0..archive.len() {
        let (raw, encrypted, size, compressed, is_file) = {
            let entry = archive.by_index_raw(i).map_err(|e| damaged("ZIP", e))?;
            let raw = entry
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("entry {i}"));
            (
                raw,
                entry.encrypted(),
                entry.size(),
                entry.compressed_size(),
                entry.is_file(),
            )
        };
        if !is_file {
            continue;
        }
        let Some(path) = read.admit(raw) else {
            continue;
        };
        if encrypted {
            read.refused.push(Refused {
                path,
                error: FormatError::Encrypted {
                    format: "archive entry",
                },
            });
            continue;
        }
        limits.check_member(&path, size, compressed)?;
        budget.take(limits, size)?;
        let entry = archive.by_index(i).map_err(|e| damaged("ZIP", e))?;
        match read_at_most(entry, limits.file_bytes) {
            Ok(Some(bytes)) => read.members.push(Member { path, bytes }),
            Ok(None) => {
                return Err(FormatError::Bomb(format!(
                    "{path} expands past {} bytes although it declares {size}",
                    limits.file_bytes
                )));
            }
            Err(e) => read.refused.push(Refused {
                path,
                error: damaged("archive entry", e),
            }),
        }
    }
    Ok(read)
}

/// A tar archive, plain.
pub(crate) fn tar(bytes: &[u8], limits: &Limits) -> Result<Read, FormatError> {
    tar_entries(Cursor::new(bytes), bytes.len() as u64, limits)
}

/// A gzip-compressed tar archive: the stream is never expanded past the limits.
pub(crate) fn tar_gz(bytes: &[u8], limits: &Limits) -> Result<Read, FormatError> {
    tar_entries(
        flate2::read::GzDecoder::new(bytes),
        bytes.len() as u64,
        limits,
    )
}

fn tar_entries(
    reader: impl std::io::Read,
    compressed: u64,
    limits: &Limits,
) -> Result<Read, FormatError> {
    let mut archive = tar::Archive::new(reader);
    let mut read = Read::default();
    let mut budget = Budget::default();
    let mut expanded: u64 = 0;
    for entry in archive.entries().map_err(|e| damaged("tar archive", e))? {
        let entry = entry.map_err(|e| damaged("tar archive", e))?;
        let header = entry.header();
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let size = header.size().map_err(|e| damaged("tar archive", e))?;
        expanded = expanded.saturating_add(size);
        if expanded > RATIO_CHECK_FROM && expanded / compressed.max(1) > limits.ratio {
            return Err(FormatError::Bomb(format!(
                "it expands {}-fold; the limit is {}-fold",
                expanded / compressed.max(1),
                limits.ratio
            )));
        }
        if !header.entry_type().is_file() {
            if header.entry_type().is_symlink() || header.entry_type().is_hard_link() {
                read.refused.push(Refused {
                    path: raw,
                    error: FormatError::Unsupported {
                        format: "a link inside an archive",
                        hint: "links are not followed; the file it points to is read where it is",
                    },
                });
            }
            continue;
        }
        let Some(path) = read.admit(raw) else {
            continue;
        };
        limits.check_member(&path, size, size)?;
        budget.take(limits, size)?;
        match read_at_most(entry, limits.file_bytes) {
            Ok(Some(bytes)) => read.members.push(Member { path, bytes }),
            Ok(None) => return Err(FormatError::Bomb(format!("{path} is larger than declared"))),
            Err(e) => return Err(damaged("tar archive", e)),
        }
    }
    Ok(read)
}

/// Tar's own ratio check starts past this many expanded bytes.
const RATIO_CHECK_FROM: u64 = 16 * 1024 * 1024;

/// One gzip-compressed file: its content is the member, named without `.gz`.
pub(crate) fn gunzip(name: &str, bytes: &[u8], limits: &Limits) -> Result<Read, FormatError> {
    let inner = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .trim_end_matches(".gz")
        .trim_end_matches(".GZ");
    let limit = limits.file_bytes.min(
        (bytes.len() as u64)
            .saturating_mul(limits.ratio)
            .max(RATIO_CHECK_FROM),
    );
    match read_at_most(flate2::read::GzDecoder::new(bytes), limit) {
        Ok(Some(content)) => {
            let mut budget = Budget::default();
            budget.take(limits, content.len() as u64)?;
            Ok(Read {
                document: None,
                members: vec![Member {
                    path: inner.to_owned(),
                    bytes: content,
                }],
                refused: Vec::new(),
            })
        }
        Ok(None) => Err(FormatError::Bomb(format!(
            "it expands past {limit} bytes from {}",
            bytes.len()
        ))),
        Err(e) => Err(damaged("gzip file", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_outside_the_archive_are_refused() {
        assert_eq!(inside_path("a/./b//c.txt").unwrap(), "a/b/c.txt");
        assert_eq!(inside_path("dir\\file.txt").unwrap(), "dir/file.txt");
        for bad in ["../etc/passwd", "a/../../b", "/etc/passwd", "C:/x.txt", ""] {
            assert!(inside_path(bad).is_err(), "{bad}");
        }
    }
}
