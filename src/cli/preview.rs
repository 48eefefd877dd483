//! `preview`: a certificate template drawn as an SVG or PNG page ([`crate::preview`]), from a
//! backup file (`--template NAME` among its templates, default the training's) or from this
//! site (`--site TEMPLATE`, by exact name).
//!
//! Without `-o` the SVG goes to stdout; with `-o PATH.svg` or `-o PATH.png` it is written there
//! (never over an existing file without `--force`). What could not be drawn as the template
//! says is listed after it (stderr when the SVG is on stdout). `--json` prints one object
//! (README "Preview"). Exit 1 when the file cannot be read, 2 for a template that is not there
//! (the choices named) or an output that is neither `.svg` nor `.png`, 3 when the file is not a
//! backup.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::document::load::{self, Backup, LoadError};
use crate::document::{migrate, v2};
use crate::i18n::Lang;
use crate::preview::{self, Issue, Page, Sample};

/// Arguments of `preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// A backup file (format 2, or a legacy file of the PHP plugin).
    #[arg(required_unless_present = "site", conflicts_with = "site")]
    pub file: Option<PathBuf>,
    /// Draw the template of this site named exactly TEMPLATE instead of a file's.
    #[arg(long, value_name = "TEMPLATE")]
    pub site: Option<String>,
    /// With FILE: the template to draw [default: the training's].
    #[arg(long, value_name = "NAME", conflicts_with = "site")]
    pub template: Option<String>,
    /// Write the picture to PATH, SVG or PNG by its extension (.svg, .png) [default: the SVG
    /// on standard output].
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Overwrite an output file that already exists.
    #[arg(long)]
    pub force: bool,
    /// The PNG's resolution in dots per inch (A4 at 150 dpi is 1240 × 1754 pixels).
    #[arg(
        long,
        value_name = "DPI",
        default_value_t = preview::DEFAULT_DPI,
        value_parser = clap::value_parser!(u32).range(30..=600)
    )]
    pub dpi: u32,
    /// Refuse files larger than this many bytes (64 MiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = v2::MAX_FILE_SIZE)]
    pub max_size: u64,
}

/// The picture's format, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Svg,
    Png,
}

/// One issue with its sentence.
#[derive(Debug, Serialize)]
struct IssueJson<'a> {
    #[serde(flatten)]
    issue: &'a Issue,
    message: String,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Output<'a> {
    template: &'a str,
    /// `file` or `site`.
    source: &'static str,
    file: Option<String>,
    output: Option<String>,
    format: Format,
    page: Page,
    details: usize,
    issues: Vec<IssueJson<'a>>,
    notes: &'a [String],
    /// The SVG itself, when no `-o` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    svg: Option<&'a str>,
}

/// Runs `preview`.
pub async fn run(context: &Context, args: &PreviewArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let format = match &args.output {
        None => Format::Svg,
        Some(path) => format_of(path, lang)?,
    };
    let (template, sample, notes) = match (&args.file, &args.site) {
        (_, Some(name)) => site_template(context, name).await?,
        (Some(file), None) => file_template(context, file, args)?,
        (None, None) => {
            return Err(Failure::new(
                Exit::Usage,
                lang.pick(
                    "preview needs a backup file, or --site TEMPLATE",
                    "preview attend un fichier de sauvegarde, ou --site MODÈLE",
                ),
            ))
        }
    };
    let drawn = preview::render(&template, &sample);
    if let Some(path) = &args.output {
        let bytes = match format {
            Format::Svg => drawn.svg.clone().into_bytes(),
            Format::Png => preview::png(&drawn.svg, args.dpi)
                .map_err(|e| Failure::new(Exit::Runtime, e.localized(lang)))?,
        };
        super::save::write_bytes(&context.cwd.join(path), &bytes, args.force, lang)?;
    }
    let shown_output = args.output.as_ref().map(|p| p.display().to_string());
    if context.json {
        return print_json(&Output {
            template: &template.name,
            source: if args.site.is_some() { "site" } else { "file" },
            file: args.file.as_ref().map(|p| p.display().to_string()),
            output: shown_output,
            format,
            page: drawn.page,
            details: template.details.len(),
            issues: drawn
                .issues
                .iter()
                .map(|issue| IssueJson {
                    issue,
                    message: issue.localized(lang),
                })
                .collect(),
            notes: &notes,
            svg: args.output.is_none().then_some(drawn.svg.as_str()),
        });
    }
    let mut report = summary(&template, drawn.page, shown_output.as_deref(), lang);
    for note in &notes {
        report.push_str(&format!("  - {note}\n"));
    }
    for issue in &drawn.issues {
        report.push_str(&format!("  - {}\n", issue.localized(lang)));
    }
    if args.output.is_some() {
        print_stdout(&report)
    } else {
        print_stdout(&drawn.svg)?;
        eprint!("{report}");
        Ok(())
    }
}

/// `svg` or `png` from the output's extension, else a usage error.
fn format_of(path: &Path, lang: Lang) -> Result<Format, Failure> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(Failure::new(
            Exit::Usage,
            match lang {
                Lang::En => format!(
                    "-o {}: give a file name ending in .svg or .png",
                    path.display()
                ),
                Lang::Fr => format!(
                    "-o {} : donnez un nom de fichier terminé par .svg ou .png",
                    path.display()
                ),
            },
        )),
    }
}

/// The first line of the report: what was drawn and where it went.
fn summary(template: &v2::Template, page: Page, output: Option<&str>, lang: Lang) -> String {
    let name = &template.name;
    let details = template.details.len();
    let orientation = match (page.orientation, lang) {
        ("landscape", Lang::Fr) => "paysage",
        (_, Lang::Fr) => "portrait",
        (other, Lang::En) => other,
    };
    match (output, lang) {
        (Some(path), Lang::En) => {
            format!("wrote {path}: template “{name}”, A4 {orientation}, {details} detail(s)\n")
        }
        (Some(path), Lang::Fr) => {
            format!("{path} écrit : modèle « {name} », A4 {orientation}, {details} détail(s)\n")
        }
        (None, Lang::En) => {
            format!("template “{name}”, A4 {orientation}, {details} detail(s)\n")
        }
        (None, Lang::Fr) => format!("modèle « {name} », A4 {orientation}, {details} détail(s)\n"),
    }
}

/// The template of a backup file: read as `verify` reads it (a legacy file converted; the
/// signature is not checked: `verify` does), then chosen by name.
fn file_template(
    context: &Context,
    path: &Path,
    args: &PreviewArgs,
) -> Result<(v2::Template, Sample, Vec<String>), Failure> {
    let lang = context.lang;
    let shown = path.display().to_string();
    let rejected = |reason: String| {
        Failure::new(
            Exit::FileRejected,
            match lang {
                Lang::En => format!("{shown}: {reason}"),
                Lang::Fr => format!("{shown} : {reason}"),
            },
        )
    };
    let backup = load::load_file(&context.cwd.join(path), args.max_size).map_err(|e| match e {
        LoadError::Read { .. } => Failure::load(&e, lang),
        other => rejected(other.localized(lang)),
    })?;
    let document = match backup {
        Backup::V2(document) => document,
        Backup::Legacy(file) => {
            migrate::legacy_to_v2(&file)
                .map_err(|e| rejected(e.localized(lang)))?
                .document
        }
    };
    let template = preview::choose(&document, args.template.as_deref()).map_err(|e| {
        Failure::new(
            Exit::Usage,
            match lang {
                Lang::En => format!("{shown}: {}", e.localized(lang)),
                Lang::Fr => format!("{shown} : {}", e.localized(lang)),
            },
        )
        .with_code("template-not-found")
    })?;
    Ok((
        template.clone(),
        Sample::new(&document.training.name, lang),
        Vec::new(),
    ))
}

/// The template of this site named exactly `name`, with its background image when it can be
/// read (else a note says why).
async fn site_template(
    context: &Context,
    name: &str,
) -> Result<(v2::Template, Sample, Vec<String>), Failure> {
    let lang = context.lang;
    let site = context.open_site().await?;
    let found = site.templates_for_preview(name).await;
    site.close().await;
    let found = found.map_err(|e| Failure::database(e, lang))?;
    let Some(first) = found.first() else {
        return Err(Failure::new(
            Exit::Usage,
            match lang {
                Lang::En => format!(
                    "this site has no template named exactly “{name}”; `list` shows each \
                     training's template"
                ),
                Lang::Fr => format!(
                    "ce site n'a pas de modèle nommé exactement « {name} » ; `list` montre le \
                     modèle de chaque formation"
                ),
            },
        )
        .with_code("template-not-found"));
    };
    let mut notes = Vec::new();
    if found.len() > 1 {
        let ids: Vec<String> = found.iter().map(|t| t.id.to_string()).collect();
        notes.push(match lang {
            Lang::En => format!(
                "{} templates are named “{name}” (ids {}): the first is drawn",
                found.len(),
                ids.join(", ")
            ),
            Lang::Fr => format!(
                "{} modèles s'appellent « {name} » (ids {}) : le premier est dessiné",
                found.len(),
                ids.join(", ")
            ),
        });
    }
    if let Some(missing) = &first.image_missing {
        let why = missing.localized(lang);
        notes.push(match lang {
            Lang::En => format!("background image not read: {why}"),
            Lang::Fr => format!("image de fond non lue : {why}"),
        });
    }
    let template = preview::template(
        &first.name,
        &first.details,
        first
            .image
            .as_ref()
            .map(|(filename, bytes)| (filename.as_str(), bytes.as_slice())),
    );
    let training = lang.pick("Training name", "Nom de la formation");
    Ok((template, Sample::new(training, lang), notes))
}
