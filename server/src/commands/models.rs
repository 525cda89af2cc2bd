//! `toex models`: the translation models installed under `models.dir` — list, install
//! (a Hugging Face folder or an archive of one, proved by loading it), remove. A running
//! server picks up the change within seconds.

use super::*;
use toex_pipeline::installed::{self, InstallOptions};

/// What `toex models` does.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsAction {
    /// The translation models: installed ones (name, family, languages, size, weights
    /// SHA-256) and those named in settings.
    List,
    /// Install a translation model: a Hugging Face folder (NLLB-200 / M2M100, or an
    /// OPUS-MT pair) or a .zip, .tar or .tar.gz of one.
    Install {
        path: PathBuf,
        /// The name to install it as; default: the folder's or archive's name.
        #[arg(long)]
        name: Option<String>,
        /// An OPUS-MT pair's source language (ISO 639-1); default: from an
        /// `opus-mt-XX-en` name.
        #[arg(long)]
        language: Option<String>,
    },
    /// Remove an installed translation model by name.
    Remove { name: String },
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.1} KiB", b as f64 / 1024.0),
    }
}

/// A one-line summary of a model's languages.
fn languages(m: &installed::InstalledModel) -> String {
    match m.family.as_str() {
        "nllb" => format!("{} languages", m.languages.len()),
        _ => m.languages.join(","),
    }
}

pub fn models(settings: &Settings, action: ModelsAction) -> anyhow::Result<()> {
    let dir = &settings.models.dir;
    match action {
        ModelsAction::List => {
            let all = installed::list(dir)?;
            println!("NAME\tFAMILY\tLANGUAGES\tSIZE\tWEIGHTS SHA-256\tSOURCE");
            for m in &all {
                println!(
                    "{}\t{}\t{}\t{}\t{}\tinstalled ({})",
                    m.name,
                    m.family,
                    languages(m),
                    size(m.bytes()),
                    m.weights_sha256().map_or("-", |h| &h[..12.min(h.len())]),
                    m.path.display()
                );
            }
            let t = &settings.translation;
            for (language, path) in &t.models {
                println!("-\tmarian\t{language}\t-\t-\tsettings ({})", path.display());
            }
            if let Some(path) = &t.nllb {
                println!("-\tnllb\t-\t-\t-\tsettings ({})", path.display());
            }
            if all.is_empty() && t.models.is_empty() && t.nllb.is_none() {
                eprintln!("no translation models: toex models install PATH");
            }
        }
        ModelsAction::Install {
            path,
            name,
            language,
        } => {
            let options = InstallOptions {
                name,
                language,
                max_bytes: settings.models.max_install_bytes,
            };
            let m = installed::install(dir, &path, &options)?;
            println!(
                "installed {} ({}, {}, {}) in {}",
                m.name,
                m.family,
                languages(&m),
                size(m.bytes()),
                m.path.display()
            );
        }
        ModelsAction::Remove { name } => {
            let m = installed::remove(dir, &name)?;
            println!("removed {} ({})", m.name, m.path.display());
        }
    }
    Ok(())
}
