//! A certificate template of the site by exact name, with its background image's bytes, for
//! the template preview (`preview --site`, the web pages).

use super::files::{self, FileError};
use super::{Error, Site};
use crate::i18n::Lang;

/// A template of the site as the preview draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteTemplate {
    /// `tool_attestoodle_template.id`.
    pub id: i64,
    /// The name.
    pub name: String,
    /// `(type, data)` of every detail, in id order.
    pub details: Vec<(String, String)>,
    /// The background image: its file name (from the first `background` detail) and bytes.
    pub image: Option<(String, Vec<u8>)>,
    /// Why a template with a `background` detail has no image here.
    pub image_missing: Option<ImageMissing>,
}

/// Why the background image of a template could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageMissing {
    /// Moodle's file table lists no image for the template.
    NotStored,
    /// The data directory is not known.
    NoDataroot,
    /// The content could not be read from the file store.
    File(FileError),
}

impl ImageMissing {
    /// The reason in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (ImageMissing::NotStored, Lang::En) => {
                "Moodle's file storage lists no background image for this template".to_owned()
            }
            (ImageMissing::NotStored, Lang::Fr) => {
                "le stockage de fichiers de Moodle ne liste aucune image de fond pour ce modèle"
                    .to_owned()
            }
            (ImageMissing::NoDataroot, Lang::En) => {
                "Moodle's data directory is not known: pass --dataroot DIR or --moodle-config"
                    .to_owned()
            }
            (ImageMissing::NoDataroot, Lang::Fr) => {
                "le répertoire de données de Moodle n'est pas connu : indiquez --dataroot RÉP \
                 ou --moodle-config"
                    .to_owned()
            }
            (ImageMissing::File(e), Lang::En | Lang::Fr) => e.localized(lang),
        }
    }
}

impl Site {
    /// The templates named exactly `name` (byte for byte, docs/decisions.md §2), in id order, each
    /// with its details and, when it has a `background` detail, the image read from Moodle's
    /// file store (SHA-1 checked).
    ///
    /// # Errors
    ///
    /// A database error; an image that cannot be read is [`SiteTemplate::image_missing`].
    pub async fn templates_for_preview(&self, name: &str) -> Result<Vec<SiteTemplate>, Error> {
        let found = self.templates_by_name(&[name.to_owned()]).await?;
        let filedir = self.target().filedir.clone();
        Ok(found
            .into_iter()
            .map(|template| {
                let filename = template
                    .details
                    .iter()
                    .find(|(kind, _)| kind == "background")
                    .map(|(_, data)| {
                        serde_json::from_str::<serde_json::Value>(data)
                            .ok()
                            .and_then(|v| v.get("filename")?.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    });
                let (image, image_missing) = match (filename, &template.background_sha1) {
                    (None, _) => (None, None),
                    (Some(_), None) => (None, Some(ImageMissing::NotStored)),
                    (Some(filename), Some(hash)) => match &filedir {
                        None => (None, Some(ImageMissing::NoDataroot)),
                        Some(dir) => match files::read_content(dir, hash) {
                            Ok(bytes) => (Some((filename, bytes)), None),
                            Err(e) => (None, Some(ImageMissing::File(e))),
                        },
                    },
                };
                SiteTemplate {
                    id: template.template.id,
                    name: template.template.name,
                    details: template.details,
                    image,
                    image_missing,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::testing::{every_variant, two_texts};

    fn variant(missing: &ImageMissing) -> usize {
        match missing {
            ImageMissing::NotStored => 0,
            ImageMissing::NoDataroot => 1,
            ImageMissing::File(_) => 2,
        }
    }

    // Issue 9, item 1: why a template's image is missing, in English and French.
    #[test]
    fn every_reason_an_image_is_missing_is_said_in_english_and_in_french() {
        let all = [
            ImageMissing::NotStored,
            ImageMissing::NoDataroot,
            ImageMissing::File(FileError::BadHash {
                hash: "zz".to_owned(),
            }),
        ];
        every_variant(all.iter().map(variant), 3);
        for missing in &all {
            two_texts(missing.localized(Lang::En), missing.localized(Lang::Fr));
        }
    }
}
