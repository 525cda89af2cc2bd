//! The translation models a process uses, replaced whole when the installed set changes:
//! the models from settings plus those installed under `models.dir` (settings win for
//! a language), loaded again off the async runtime when a model is installed or
//! removed, so a server picks it up without a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use toex_inference::translate::{DecodeOptions, Translators};

use crate::PipelineError;
use crate::settings::TranslationSettings;

/// How often a server looks for installed or removed models.
const WATCH_EVERY: Duration = Duration::from_secs(3);

/// The models in use now, and where they come from.
pub struct TranslationModels {
    current: RwLock<Arc<Translators>>,
    settings: TranslationSettings,
    models_dir: PathBuf,
    /// The installed set's fingerprint when `current` was loaded.
    loaded_from: RwLock<String>,
}

/// The models named in `t` and those installed under `models_dir`, loaded.
pub fn load_translators(
    t: &TranslationSettings,
    models_dir: &Path,
) -> Result<Translators, PipelineError> {
    let mut pairs: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut nllb = None;
    let (installed, unreadable) = super::list_readable(models_dir)?;
    for err in unreadable {
        tracing::warn!(error = %err, "an installed translation model is skipped");
    }
    for m in installed {
        match m.family.as_str() {
            "nllb" => nllb = Some(m.path),
            _ => {
                for language in m.languages {
                    pairs.insert(language, m.path.clone());
                }
            }
        }
    }
    pairs.extend(t.models.clone());
    let nllb = t.nllb.clone().or(nllb);
    let decode = DecodeOptions {
        beam: t.beam.max(1),
        max_tokens: t.max_tokens,
        ..Default::default()
    };
    Ok(Translators::load(
        &pairs,
        nllb.as_deref(),
        decode,
        t.batch,
        t.precision.into(),
    )?)
}

impl TranslationModels {
    /// Loads the models of `settings` and `models_dir` (blocking).
    pub fn open(settings: &TranslationSettings, models_dir: &Path) -> Result<Self, PipelineError> {
        let fingerprint = super::fingerprint(models_dir);
        let translators = load_translators(settings, models_dir)?;
        Ok(Self {
            current: RwLock::new(Arc::new(translators)),
            settings: settings.clone(),
            models_dir: models_dir.to_path_buf(),
            loaded_from: RwLock::new(fingerprint),
        })
    }

    /// Fixed models (tests, tools).
    pub fn fixed(translators: Translators) -> Self {
        Self {
            current: RwLock::new(Arc::new(translators)),
            settings: TranslationSettings::default(),
            models_dir: PathBuf::new(),
            loaded_from: RwLock::new(String::new()),
        }
    }

    /// The models in use now.
    pub fn get(&self) -> Arc<Translators> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads again if the installed set changed since the last load (blocking); whether
    /// it did. A set that does not load keeps the models in use, and says why.
    pub fn reload_if_changed(&self) -> Result<bool, PipelineError> {
        if self.models_dir.as_os_str().is_empty() {
            return Ok(false);
        }
        let now = super::fingerprint(&self.models_dir);
        if *self.loaded_from.read().unwrap_or_else(|e| e.into_inner()) == now {
            return Ok(false);
        }
        // Marked first: a set that fails is not tried again until it changes.
        *self.loaded_from.write().unwrap_or_else(|e| e.into_inner()) = now;
        let translators = load_translators(&self.settings, &self.models_dir)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(translators);
        Ok(true)
    }
}

impl crate::Services {
    /// Watches the installed translation models and loads them again (on the jobs pool)
    /// when one is installed or removed. Runs for the life of the server.
    pub async fn keep_translation_current(self) {
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let models = self.translation.clone();
            match self.jobs_cpu.run(move || models.reload_if_changed()).await {
                Ok(Ok(true)) => {
                    let loaded = self.translation.get().loaded();
                    tracing::info!(?loaded, "translation models loaded again");
                }
                Ok(Ok(false)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "the installed translation models did not load; the previous ones stay in use")
                }
                Err(e) => tracing::debug!(error = %e, "translation model check postponed"),
            }
        }
    }
}
