//! Originals kept beside their documents: a transcript's audio (or video), a photo or
//! scan, a PDF — stored as `<document id>.<ext>` and handed out through short-lived signed
//! URLs, so a browser's `<audio>` or `<img>` can stream and seek it (HTTP ranges) without
//! the caller's token.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::IndexError;
use crate::jobs::MEDIA_EXTENSIONS;

/// Originals kept: the recordings, and the photos, scans and PDFs a browser can show.
const KEPT_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "gif", "bmp", "pdf"];

/// The folder of rendered PDF pages, inside the media folder.
const PAGES: &str = "pages";
/// The subfolder case exports are written to.
const EXPORTS: &str = "exports";

/// Whether a file of this extension (lower case) is kept as its document's original.
pub fn kept(ext: &str) -> bool {
    MEDIA_EXTENSIONS.contains(&ext) || KEPT_EXTENSIONS.contains(&ext)
}

/// A stored original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub path: PathBuf,
    /// MIME type from the extension.
    pub content_type: &'static str,
    pub bytes: u64,
}

/// The folder of recordings and the key that signs their URLs (new at every start, so
/// URLs die with the process that minted them; with NATS, one the replicas agree on, so a
/// URL one minted holds on any).
#[derive(Clone)]
pub struct MediaStore {
    dir: PathBuf,
    key: std::sync::Arc<std::sync::RwLock<[u8; 32]>>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path, e: std::io::Error) -> IndexError {
    IndexError::Jobs(format!("{}: {e}", path.display()))
}

/// MIME type of a kept original's extension (lower case).
pub fn content_type(ext: &str) -> &'static str {
    match ext {
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "flac" => "audio/flac",
        "ogg" | "opus" => "audio/ogg",
        "m4a" | "aac" => "audio/mp4",
        "amr" => "audio/amr",
        "mp4" | "mov" => "video/mp4",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Document ids are `doc-` and hex; anything else never names a file here.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl MediaStore {
    /// Opens (creating) the folder, with a fresh random signing key.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| IndexError::Jobs(format!("no randomness: {e}")))?;
        Ok(Self {
            dir: dir.to_owned(),
            key: std::sync::Arc::new(std::sync::RwLock::new(key)),
        })
    }

    /// The key URLs are signed with now.
    pub fn signing_key(&self) -> [u8; 32] {
        *self.key.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Signs (and checks) URLs with `key` from now on.
    pub fn use_signing_key(&self, key: [u8; 32]) {
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = key;
    }

    /// Keeps a copy of `source` (a recording) as the media of document `id`, replacing
    /// any earlier one. The copy is fsynced before this returns.
    pub fn attach(&self, id: &str, source: &Path) -> Result<MediaFile, IndexError> {
        if !valid_id(id) {
            return Err(IndexError::Jobs(format!("not a document id: {id:?}")));
        }
        let ext = source
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .filter(|e| kept(e))
            .ok_or_else(|| {
                IndexError::Jobs(format!(
                    "{} is not a recording, photo or PDF",
                    source.display()
                ))
            })?;
        for old in self.files_of(id)? {
            std::fs::remove_file(&old).map_err(|e| io(&old, e))?;
        }
        // Pages rendered from an earlier original are stale.
        let pages = self.dir.join(PAGES).join(id);
        if pages.is_dir() {
            std::fs::remove_dir_all(&pages).map_err(|e| io(&pages, e))?;
        }
        let target = self.dir.join(format!("{id}.{ext}"));
        let tmp = self.dir.join(format!(".{id}.{ext}.tmp"));
        let src = std::fs::File::open(source).map_err(|e| io(source, e))?;
        let bytes = crate::jobs::write_durably(&tmp, src)?;
        std::fs::rename(&tmp, &target).map_err(|e| io(&target, e))?;
        Ok(MediaFile {
            path: target,
            content_type: content_type(&ext),
            bytes,
        })
    }

    /// The originals stored for `id` (one, unless a crash interrupted a replacement).
    fn files_of(&self, id: &str) -> Result<Vec<PathBuf>, IndexError> {
        Ok(MEDIA_EXTENSIONS
            .iter()
            .chain(KEPT_EXTENSIONS)
            .map(|ext| self.dir.join(format!("{id}.{ext}")))
            .filter(|p| p.is_file())
            .collect())
    }

    /// The original of document `id`, if it has one.
    pub fn get(&self, id: &str) -> Option<MediaFile> {
        if !valid_id(id) {
            return None;
        }
        let path = self.files_of(id).ok()?.into_iter().next()?;
        let ext = path.extension()?.to_str()?.to_owned();
        let bytes = std::fs::metadata(&path).ok()?.len();
        Some(MediaFile {
            path,
            content_type: content_type(&ext),
            bytes,
        })
    }

    /// Where page `page` of document `id`'s PDF is kept once rendered
    /// (`pages/<id>/<page>.jpg`); `None` for what is not a document id.
    pub fn page_path(&self, id: &str, page: u32) -> Option<PathBuf> {
        valid_id(id).then(|| self.dir.join(PAGES).join(id).join(format!("{page}.jpg")))
    }

    /// Where case export `id` (letters, digits, `-`) is written: `exports/<id>.zip`, the
    /// folder made; exports older than a day are removed first.
    pub fn export_path(&self, id: &str) -> Result<PathBuf, IndexError> {
        if !valid_id(id) {
            return Err(IndexError::Jobs(format!("not an export id: {id:?}")));
        }
        let dir = self.dir.join(EXPORTS);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let day = std::time::Duration::from_secs(24 * 3600);
        for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))?.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
            if old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(dir.join(format!("{id}.zip")))
    }

    /// Case export `id`, when it is still kept.
    pub fn export(&self, id: &str) -> Option<PathBuf> {
        let path = self.dir.join(EXPORTS).join(format!("{id}.zip"));
        (valid_id(id) && path.is_file()).then_some(path)
    }

    /// What an export URL's signature binds.
    pub fn export_key(id: &str) -> String {
        format!("export/{id}")
    }

    /// What a page URL's signature binds: the document and the page.
    pub fn page_key(id: &str, page: u32) -> String {
        format!("{id}/page/{page}")
    }

    fn mac(&self, id: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing_key()).expect("any key length");
        mac.update(id.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// A signature for `id` valid until `expires` (Unix seconds), as hex.
    pub fn sign(&self, id: &str, expires: i64) -> String {
        self.mac(id, expires)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `signature` was made by [`MediaStore::sign`] for `id` and `expires`, and
    /// `expires` is not past `now` (constant-time comparison).
    pub fn verify(&self, id: &str, expires: i64, signature: &str, now: i64) -> bool {
        if expires < now || signature.len() != 64 {
            return false;
        }
        let Some(bytes) = (0..32)
            .map(|i| u8::from_str_radix(signature.get(2 * i..2 * i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
        else {
            return false;
        };
        self.mac(id, expires).verify_slice(&bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_is_kept_replaced_and_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(&dir.path().join("media")).unwrap();
        let wav = dir.path().join("Call 1.WAV");
        std::fs::write(&wav, b"RIFF....WAVE").unwrap();
        let kept = store.attach("doc-abc", &wav).unwrap();
        assert_eq!(kept.content_type, "audio/wav");
        assert_eq!(kept.bytes, 12);
        assert_eq!(store.get("doc-abc").unwrap(), kept);
        let mp3 = dir.path().join("call.mp3");
        std::fs::write(&mp3, b"ID3").unwrap();
        store.attach("doc-abc", &mp3).unwrap();
        let now = store.get("doc-abc").unwrap();
        assert_eq!((now.content_type, now.bytes), ("audio/mpeg", 3));
        assert!(!kept.path.exists(), "the older recording is replaced");
        assert!(store.get("doc-other").is_none());
        assert!(store.get("../doc-abc").is_none());
        assert!(store.attach("../x", &mp3).is_err());
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, b"x").unwrap();
        assert!(store.attach("doc-abc", &txt).is_err());
    }

    #[test]
    fn signatures_bind_the_id_and_expiry_and_lapse() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path()).unwrap();
        let sig = store.sign("doc-1", 1_000);
        assert!(store.verify("doc-1", 1_000, &sig, 999));
        assert!(!store.verify("doc-1", 1_000, &sig, 1_001), "expired");
        assert!(!store.verify("doc-2", 1_000, &sig, 999), "other document");
        assert!(!store.verify("doc-1", 2_000, &sig, 999), "other expiry");
        assert!(!store.verify("doc-1", 1_000, "zz", 999));
        assert!(!store.verify("doc-1", 1_000, &"g".repeat(64), 999));
        let other = MediaStore::open(dir.path()).unwrap();
        assert!(
            !other.verify("doc-1", 1_000, &sig, 999),
            "another process's key"
        );
    }
}
