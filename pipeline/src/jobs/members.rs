//! Files found inside other files of a job (archive entries, attachments, the messages of
//! a mailbox, the chats of a whole export): kept in the job's own folder, added to the job
//! as files of their own with where they were found, within a depth and a count.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toex_formats::{FormatError, Member, Parsed, Read, Refused};
use toex_indexer::jobs::{FileStatus, Job, JobFile, Within};
use toex_indexer::{Parent, Provenance};

/// Containers inside containers this deep are not opened further.
pub(super) const MAX_DEPTH: u32 = 8;
/// Most files one job may grow to by opening containers.
pub(super) const MAX_JOB_FILES: usize = 100_000;

/// Refuses every member of `read` when `file` is already [`MAX_DEPTH`] containers deep.
pub(super) fn refuse_too_deep(file: &JobFile, read: &mut Read) {
    let depth = file.within.as_ref().map_or(0, |w| w.depth) + 1;
    if depth <= MAX_DEPTH {
        return;
    }
    for m in std::mem::take(&mut read.members) {
        read.refused.push(Refused {
            path: m.path,
            error: FormatError::Bomb(format!(
                "found {depth} containers deep; the limit is {MAX_DEPTH}"
            )),
        });
    }
}

/// A member taken out and kept on disk.
pub(super) struct Kept {
    path: String,
    stored: PathBuf,
    bytes: u64,
}

/// SHA-256 of `bytes`, hex.
pub(super) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A member's name for the disk: only its last part, made safe, after a number that keeps
/// it apart from its neighbours. Nothing can climb out of `folder`.
fn disk_name(n: usize, path: &str) -> String {
    let last = path.rsplit(['/', '\\']).next().unwrap_or("member");
    let safe: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    format!("{n:05}-{}", safe.trim_start_matches('.'))
}

/// Writes the members of file `index` under `spool/members/index/`.
pub(super) fn keep(spool: &Path, index: usize, members: Vec<Member>) -> Result<Vec<Kept>, String> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let folder = spool.join("members").join(index.to_string());
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot keep what it holds in {}: {e}", folder.display()))?;
    members
        .into_iter()
        .enumerate()
        .map(|(n, m)| {
            let stored = folder.join(disk_name(n, &m.path));
            toex_indexer::jobs::write_durably(&stored, m.bytes.as_slice())
                .map_err(|e| format!("cannot keep {}: {e}", m.path))?;
            Ok(Kept {
                path: m.path,
                stored,
                bytes: m.bytes.len() as u64,
            })
        })
        .collect()
}

/// Adds what container `parent` held to the job: members waiting to be read, refused
/// members failed with their reason, and members past the job's file limit failed with
/// that reason.
pub(super) fn adopt(
    job: &mut Job,
    parent: usize,
    sha256: &str,
    kept: Vec<Kept>,
    refused: Vec<Refused>,
) {
    let depth = job.files[parent].within.as_ref().map_or(0, |w| w.depth) + 1;
    let parent_name = job.files[parent].name.clone();
    let within = |path: &str| Within {
        parent,
        path: path.to_owned(),
        depth,
        parent_sha256: sha256.to_owned(),
    };
    for k in kept {
        let status = if job.files.len() >= MAX_JOB_FILES {
            FileStatus::Failed {
                error: format!("the job already holds {MAX_JOB_FILES} files"),
            }
        } else {
            FileStatus::Waiting
        };
        job.files.push(JobFile {
            name: format!("{parent_name}/{}", k.path),
            path: k.stored,
            bytes: k.bytes,
            document_id: None,
            within: Some(within(&k.path)),
            status,
        });
    }
    for r in refused {
        job.files.push(JobFile {
            name: format!("{parent_name}/{}", r.path),
            path: PathBuf::new(),
            bytes: 0,
            document_id: None,
            within: Some(within(&r.path)),
            status: FileStatus::Failed {
                error: r.error.to_string(),
            },
        });
    }
}

/// Where file `index` of `job` came from and what read it.
pub(super) fn provenance(job: &Job, index: usize, sha256: String, parsed: &Parsed) -> Provenance {
    let parent = job.files[index].within.as_ref().map(|w| {
        let container = &job.files[w.parent];
        Parent {
            name: container.name.clone(),
            sha256: w.parent_sha256.clone(),
            document: match &container.status {
                FileStatus::Done { document, .. } => Some(document.clone()),
                _ => None,
            },
            path: w.path.clone(),
            depth: w.depth,
        }
    });
    Provenance {
        sha256,
        format: parsed.encoding.to_owned(),
        tool: parsed.tool.clone(),
        parent,
        headers: parsed.headers.clone(),
        pages_without_text: parsed.pages_without_text.clone(),
        location: parsed.location,
        taken: parsed.taken.clone(),
        page_frames: parsed.page_frames.clone(),
        also_found: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_cannot_climb_out_of_the_job_folder() {
        assert_eq!(disk_name(3, "../../etc/passwd"), "00003-passwd");
        assert_eq!(disk_name(0, "a/b/..hidden"), "00000-hidden");
        assert_eq!(disk_name(1, "x/تقرير مالي.pdf"), "00001-تقرير_مالي.pdf");
        assert_eq!(disk_name(2, "dir\\evil.txt"), "00002-evil.txt");
    }

    #[test]
    fn a_container_too_deep_down_is_not_opened() {
        let file = |depth| JobFile {
            name: "x.zip".to_owned(),
            path: PathBuf::new(),
            bytes: 0,
            document_id: None,
            within: Some(Within {
                parent: 0,
                path: "x.zip".to_owned(),
                depth,
                parent_sha256: String::new(),
            }),
            status: FileStatus::Waiting,
        };
        let holding = || Read {
            members: vec![Member {
                path: "inner.zip".to_owned(),
                bytes: b"PK".to_vec(),
            }],
            ..Read::default()
        };
        let mut read = holding();
        refuse_too_deep(&file(MAX_DEPTH - 1), &mut read);
        assert_eq!(read.members.len(), 1);
        let mut read = holding();
        refuse_too_deep(&file(MAX_DEPTH), &mut read);
        assert!(read.members.is_empty());
        assert!(
            read.refused[0]
                .error
                .to_string()
                .contains("containers deep")
        );
    }
}
