//! `ehc-hub import-settings FILE`: loads GIAS's establishment file into the hub's education
//! settings with the core's [`SettingImport`], all or nothing, showing a progress bar (bytes of
//! the file) on a terminal.

use anyhow::{Context, Result, bail};
use ehc_core::setting::import::SettingImport;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

use crate::config::Config;
use crate::hub::Backend;

/// Options of `ehc-hub import-settings`.
#[derive(clap::Args)]
pub struct ImportSettingsArgs {
    /// The establishment file downloaded from GIAS (edubasealldata….csv), as UTF-8.
    file: PathBuf,
}

/// `ehc-hub import-settings FILE`: prints `Imported N education settings: I new, U updated`,
/// or fails with `Nothing was imported.` and every reason (the settings are then unchanged).
pub async fn import_settings(config: Config, args: &ImportSettingsArgs) -> Result<()> {
    let path = &args.file;
    let file = std::fs::File::open(path).with_context(|| {
        format!(
            "cannot open {}: give the path of the CSV file downloaded from GIAS",
            path.display()
        )
    })?;
    let size = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let backend = Backend::connect(&config).await?;

    // Drawn on stderr, and only when stderr is a terminal (indicatif hides it otherwise).
    let bar = ProgressBar::new(size);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("Importing education settings");
    let result = SettingImport::new(backend.store())
        .import(file, &mut |bytes| bar.set_position(bytes))
        .await;
    bar.finish_and_clear();

    match result {
        Ok(report) => {
            let noun = if report.total() == 1 {
                "setting"
            } else {
                "settings"
            };
            println!(
                "Imported {} education {noun}: {} new, {} updated",
                report.total(),
                report.inserted,
                report.updated
            );
            Ok(())
        }
        Err(e) => bail!("Nothing was imported. {e}"),
    }
}
