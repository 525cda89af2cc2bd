//! Translation models a force installs (`toex models`): each a folder under
//! `<models.dir>/translation/<name>/` with its record, `toex-model.json` (family,
//! languages, every file with its size and SHA-256). Installing takes a Hugging Face
//! folder, a CTranslate2 one (NLLB-200, M2M100) or an archive of either, proves it by
//! loading it, and moves it into place whole;
//! removing deletes it; the set's fingerprint lets a server see a change and load again
//! ([`live`]).

pub mod live;
mod unpack;

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toex_inference::translate::{Family, inspect};

pub use self::unpack::MAX_ENTRIES;
use crate::PipelineError;

/// The record in each installed folder.
pub const RECORD: &str = "toex-model.json";

/// An installed translation model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledModel {
    pub name: String,
    /// `marian` (an OPUS-MT pair) or `nllb` (NLLB-200).
    pub family: String,
    /// A pair's source language, or every language code NLLB has.
    pub languages: Vec<String>,
    pub files: Vec<InstalledFile>,
    /// RFC 3339.
    pub installed_at: String,
    /// Where it is (not stored).
    #[serde(skip)]
    pub path: PathBuf,
}

/// One file of an installed model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledFile {
    /// Relative to the model's folder.
    pub path: String,
    pub bytes: u64,
    /// Hex.
    pub sha256: String,
}

impl InstalledModel {
    /// Bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// The weights file's SHA-256.
    pub fn weights_sha256(&self) -> Option<&str> {
        self.files
            .iter()
            .find(|f| {
                ["model.safetensors", "pytorch_model.bin", "model.bin"].contains(&f.path.as_str())
            })
            .map(|f| f.sha256.as_str())
    }
}

/// What `install` is told besides the source.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The folder name under `translation/`; default: the source's name.
    pub name: Option<String>,
    /// An OPUS-MT pair's source language; default: from an `opus-mt-XX-en` name.
    pub language: Option<String>,
    /// Bytes an archive may unpack to, and a folder may hold, at most.
    pub max_bytes: u64,
}

fn store_error(path: &Path, e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Models(format!("{}: {e}", path.display()))
}

/// Where installed translation models live.
pub fn translation_dir(models_dir: &Path) -> PathBuf {
    models_dir.join("translation")
}

/// The installed translation models, oldest first (a folder without a record, such as
/// an install under way, is not one); an unreadable record is an error naming it.
pub fn list(models_dir: &Path) -> Result<Vec<InstalledModel>, PipelineError> {
    let (models, mut unreadable) = list_readable(models_dir)?;
    match unreadable.pop() {
        Some(err) => Err(err),
        None => Ok(models),
    }
}

/// The installed models whose records can be read, oldest first, and why each other
/// record cannot: one damaged folder does not hide the others (a server loads the rest).
pub fn list_readable(
    models_dir: &Path,
) -> Result<(Vec<InstalledModel>, Vec<PipelineError>), PipelineError> {
    let dir = translation_dir(models_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(store_error(&dir, e)),
    };
    let (mut out, mut unreadable) = (Vec::new(), Vec::new());
    for entry in entries {
        let path = entry.map_err(|e| store_error(&dir, e))?.path();
        let record = path.join(RECORD);
        if !record.is_file() {
            continue;
        }
        let read = std::fs::read(&record)
            .map_err(|e| store_error(&record, e))
            .and_then(|bytes| {
                serde_json::from_slice::<InstalledModel>(&bytes)
                    .map_err(|e| store_error(&record, format!("not a model record: {e}")))
            });
        match read {
            Ok(mut model) => {
                model.path = path;
                out.push(model);
            }
            Err(e) => unreadable.push(e),
        }
    }
    out.sort_by(|a, b| (&a.installed_at, &a.name).cmp(&(&b.installed_at, &b.name)));
    Ok((out, unreadable))
}

/// What changes when a model is installed or removed: names and record times.
pub fn fingerprint(models_dir: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(translation_dir(models_dir)) else {
        return String::new();
    };
    let mut parts: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let modified = e.path().join(RECORD).metadata().ok()?.modified().ok()?;
            Some(format!("{}@{modified:?}", e.file_name().to_string_lossy()))
        })
        .collect();
    parts.sort();
    parts.join(";")
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The name a source gives: its file name without an archive's extension.
fn name_of(source: &Path) -> String {
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for ext in [".tar.gz", ".tgz", ".tar", ".zip"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_owned();
        }
    }
    name
}

/// `opus-mt-XX-en` → `XX`.
fn pair_language(name: &str) -> Option<String> {
    let rest = name.rsplit('/').next()?.strip_prefix("opus-mt-")?;
    let (from, to) = rest.split_once('-')?;
    (to == "en" && (2..=3).contains(&from.len())).then(|| from.to_ascii_lowercase())
}

/// Installs a model folder (or a `.zip`/`.tar`/`.tar.gz` of one) under
/// `<models_dir>/translation/`: unpacked or copied aside, proved by loading it, recorded
/// with every file's SHA-256, then moved into place in one step.
pub fn install(
    models_dir: &Path,
    source: &Path,
    options: &InstallOptions,
) -> Result<InstalledModel, PipelineError> {
    let bad = |why: String| PipelineError::InvalidInput(format!("{}: {why}", source.display()));
    if !source.exists() {
        return Err(bad("no such folder or archive".into()));
    }
    let name = options.name.clone().unwrap_or_else(|| name_of(source));
    if !valid_name(&name) {
        return Err(bad(format!(
            "`{name}` is not a model name (letters, digits, `.`, `_`, `-`; --name sets one)"
        )));
    }
    let dir = translation_dir(models_dir);
    let dest = dir.join(&name);
    if dest.exists() {
        return Err(bad(format!(
            "a model named `{name}` is installed already (toex models remove {name})"
        )));
    }
    std::fs::create_dir_all(&dir).map_err(|e| store_error(&dir, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempdir_in(&dir)
        .map_err(|e| store_error(&dir, e))?;
    if source.is_dir() {
        copy_folder(source, staging.path(), options.max_bytes)?;
    } else {
        unpack::unpack(source, staging.path(), options.max_bytes)?;
    }
    let root = single_folder(staging.path())?;
    let (family, languages) = prove(&root, &name, options, &bad)?;
    let files = hash_files(&root)?;
    let model = InstalledModel {
        name: name.clone(),
        family: family.to_owned(),
        languages,
        files,
        installed_at: chrono::Utc::now().to_rfc3339(),
        path: dest.clone(),
    };
    let record = serde_json::to_vec_pretty(&model).map_err(|e| store_error(&root, e))?;
    std::fs::write(root.join(RECORD), record).map_err(|e| store_error(&root, e))?;
    std::fs::rename(&root, &dest).map_err(|e| store_error(&dest, e))?;
    Ok(model)
}

/// Loads the folder on the CPU, which checks its config, tokenizer and every weight;
/// (family, languages).
fn prove(
    root: &Path,
    name: &str,
    options: &InstallOptions,
    bad: &dyn Fn(String) -> PipelineError,
) -> Result<(&'static str, Vec<String>), PipelineError> {
    let (family, languages) = inspect(root).map_err(|e| bad(e.to_string()))?;
    match family {
        Family::M2M100 => Ok(("nllb", languages)),
        Family::Marian => {
            let language = options
                .language
                .clone()
                .or_else(|| pair_language(name))
                .ok_or_else(|| {
                    bad("an OPUS-MT pair translates one language: say which with --language".into())
                })?;
            Ok(("marian", vec![language.to_ascii_lowercase()]))
        }
    }
}

/// The folder an archive unpacked into: itself, or the one folder it holds.
fn single_folder(staging: &Path) -> Result<PathBuf, PipelineError> {
    let entries: Vec<PathBuf> = std::fs::read_dir(staging)
        .map_err(|e| store_error(staging, e))?
        .flatten()
        .map(|e| e.path())
        .collect();
    match entries.as_slice() {
        [one] if one.is_dir() => Ok(one.clone()),
        _ => Ok(staging.to_path_buf()),
    }
}

/// Copies a folder's regular files (recursively, links refused) within `max_bytes`.
fn copy_folder(from: &Path, to: &Path, max_bytes: u64) -> Result<(), PipelineError> {
    let mut total = 0u64;
    let mut count = 0usize;
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        std::fs::create_dir_all(&dst).map_err(|e| store_error(&dst, e))?;
        for entry in std::fs::read_dir(&src).map_err(|e| store_error(&src, e))? {
            let entry = entry.map_err(|e| store_error(&src, e))?;
            let kind = entry
                .file_type()
                .map_err(|e| store_error(&entry.path(), e))?;
            let target = dst.join(entry.file_name());
            if kind.is_dir() {
                stack.push((entry.path(), target));
            } else if kind.is_file() {
                count += 1;
                total += entry
                    .metadata()
                    .map_err(|e| store_error(&entry.path(), e))?
                    .len();
                if count > MAX_ENTRIES || total > max_bytes {
                    return Err(PipelineError::InvalidInput(format!(
                        "{}: more than {MAX_ENTRIES} files or the size limit \
                         (models.max_install_bytes)",
                        from.display()
                    )));
                }
                std::fs::copy(entry.path(), &target).map_err(|e| store_error(&target, e))?;
            } else {
                return Err(PipelineError::InvalidInput(format!(
                    "{}: a link or special file; a model folder holds plain files",
                    entry.path().display()
                )));
            }
        }
    }
    Ok(())
}

/// Every file under `root` with its size and SHA-256, by path.
fn hash_files(root: &Path) -> Result<Vec<InstalledFile>, PipelineError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| store_error(&dir, e))? {
            let path = entry.map_err(|e| store_error(&dir, e))?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let mut file = std::fs::File::open(&path).map_err(|e| store_error(&path, e))?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut bytes = 0u64;
            loop {
                let n = file.read(&mut buf).map_err(|e| store_error(&path, e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                bytes += n as u64;
            }
            let relative = path.strip_prefix(root).unwrap_or(&path);
            out.push(InstalledFile {
                path: relative.to_string_lossy().replace('\\', "/"),
                bytes,
                sha256: format!("{:x}", hasher.finalize()),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Removes installed model `name` (a folder whose record is damaged too).
pub fn remove(models_dir: &Path, name: &str) -> Result<InstalledModel, PipelineError> {
    let unknown = || {
        PipelineError::InvalidInput(format!(
            "no installed translation model is named `{name}` (toex models list)"
        ))
    };
    if !valid_name(name) {
        return Err(unknown());
    }
    let model = match list_readable(models_dir)?
        .0
        .into_iter()
        .find(|m| m.name == name)
    {
        Some(model) => model,
        None => {
            let path = translation_dir(models_dir).join(name);
            if !path.join(RECORD).is_file() {
                return Err(unknown());
            }
            InstalledModel {
                name: name.to_owned(),
                family: "unreadable".to_owned(),
                languages: Vec::new(),
                files: Vec::new(),
                installed_at: String::new(),
                path,
            }
        }
    };
    std::fs::remove_dir_all(&model.path).map_err(|e| store_error(&model.path, e))?;
    Ok(model)
}
