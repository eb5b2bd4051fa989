//! Sources: where a run's records come from.

pub mod google;
pub mod http;
pub mod sftp;
pub mod table;
pub mod workday;

use super::settings::{CheckedFile, Transport};
use super::validate::{LoadError, Loaded, Validator};
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

/// Fetches a static file (over SFTP, or from a local folder) and reads it, counting
/// records into `progress` as it goes.
pub async fn load_file(
    settings: &CheckedFile,
    progress: Arc<AtomicUsize>,
) -> Result<Loaded, LoadError> {
    let name = settings.file_name();
    let (path, _download) = match settings.raw.transport {
        Transport::Folder => {
            let path = PathBuf::from(&settings.raw.path);
            match tokio::fs::metadata(&path).await {
                Ok(m) if m.is_file() => {}
                Ok(_) => {
                    return Err(LoadError(format!(
                        "{} is a folder, not a file.",
                        settings.raw.path
                    )))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(LoadError(format!(
                        "The file {} was not found in the drop folder.",
                        settings.raw.path
                    )))
                }
                Err(e) => {
                    return Err(LoadError(format!(
                        "The file {} could not be read: {}.",
                        settings.raw.path,
                        e.kind()
                    )))
                }
            }
            (path, None)
        }
        Transport::Sftp => {
            let file = sftp::download(settings).await?;
            (file.path().to_path_buf(), Some(file))
        }
    };
    let mapping = settings.mapping.clone();
    let sheet = settings.sheet.clone();
    tokio::task::spawn_blocking(move || {
        let mut validator = Validator::new(mapping).with_progress(progress);
        table::read_file(&path, &name, &sheet, &mut validator)?;
        validator.finish()
    })
    .await
    .map_err(|_| LoadError::new("Reading the file stopped unexpectedly."))?
}
