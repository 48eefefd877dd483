//! Certificate template preview: a template's details drawn on its A4 page as SVG, and that
//! SVG rasterised to PNG.
//!
//! The page follows Attestoodle's PDF renderer (`classes/gabarit/attestation_pdf.php`,
//! docs/moodle-tables.md §7): A4 in millimetres, landscape (297 × 210) when the background image is
//! wider than tall, else portrait (210 × 297); the background stretched over the whole page;
//! each positioned element at its `location` (millimetres from the top-left corner), its
//! font size in points, aligned as `comput_align` does (`L` from x, `R` ending x from the right
//! edge, `C` centred between x and the right edge, anything else at 0). Each element shows
//! sample text ("Prénom NOM", the training's name, a period, a total) and a thin outline
//! labelled with its type; an element whose data cannot be read is a labelled box, and every
//! such problem is an [`Issue`] (English and French) for the caller to list under the picture.
//!
//! Architecture invariant: pure — no database, no HTTP, no file system; the fonts of the PNG
//! are embedded (`assets/fonts/`), so the PNG is the same on every machine.

use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use resvg::{tiny_skia, usvg};
use serde::Serialize;
use serde_json::Value;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use crate::document::v2::{Background, Document, Template, TemplateDetail};
use crate::i18n::Lang;

/// A4 width, millimetres.
const A4_SHORT: f64 = 210.0;
/// A4 height, millimetres.
const A4_LONG: f64 = 297.0;
/// Millimetres per typographic point.
const MM_PER_PT: f64 = 25.4 / 72.0;
/// TCPDF's cell height ratio: a line of text is this many times the font size high.
const CELL_HEIGHT_RATIO: f64 = 1.25;
/// Where the baseline sits in a line, as a share of the font size (TCPDF's vertical centring
/// of a one-line cell, for Helvetica's ascent and descent).
const BASELINE_RATIO: f64 = 0.88;
/// The colour of the outlines and their type labels.
const OUTLINE: &str = "#0b6bcb";
/// The colour of the boxes of elements whose data cannot be read.
const UNREADABLE: &str = "#c5221f";
/// The size of the type labels, millimetres.
const LABEL_SIZE: f64 = 2.4;
/// The minimum width of the activities table, millimetres (`computewidth`).
const TABLE_MIN_WIDTH: f64 = 80.0;
/// The default resolution of a PNG preview, dots per inch.
pub const DEFAULT_DPI: u32 = 150;
/// The resolutions a PNG preview accepts, dots per inch.
pub const DPI_RANGE: std::ops::RangeInclusive<u32> = 30..=600;

/// The embedded faces: family name, bold, italic, bytes (assets/fonts/README.md).
const FACES: &[(&str, bool, bool, &[u8])] = &[
    (
        "DejaVu Sans",
        false,
        false,
        include_bytes!("../assets/fonts/DejaVuSans.ttf"),
    ),
    (
        "DejaVu Sans",
        true,
        false,
        include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf"),
    ),
    (
        "DejaVu Sans",
        false,
        true,
        include_bytes!("../assets/fonts/DejaVuSans-Oblique.ttf"),
    ),
    (
        "DejaVu Serif",
        false,
        false,
        include_bytes!("../assets/fonts/DejaVuSerif.ttf"),
    ),
    (
        "DejaVu Serif",
        true,
        false,
        include_bytes!("../assets/fonts/DejaVuSerif-Bold.ttf"),
    ),
    (
        "DejaVu Serif",
        false,
        true,
        include_bytes!("../assets/fonts/DejaVuSerif-Italic.ttf"),
    ),
    (
        "DejaVu Sans Mono",
        false,
        false,
        include_bytes!("../assets/fonts/DejaVuSansMono.ttf"),
    ),
    (
        "DejaVu Sans Mono",
        true,
        false,
        include_bytes!("../assets/fonts/DejaVuSansMono-Bold.ttf"),
    ),
];

/// The sample values printed in the elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The learner's name.
    pub learner: String,
    /// The training's name.
    pub training: String,
    /// The period, as the plugin writes it.
    pub period: String,
    /// The minutes credited in the period, `XhMM`.
    pub total: String,
    /// The cumulated minutes, `XhMM`.
    pub cumul: String,
    /// The language of the activities table's headings and sample rows.
    pub lang: Lang,
}

impl Sample {
    /// "Prénom NOM", `training`, a period and totals, in `lang`.
    pub fn new(training: &str, lang: Lang) -> Sample {
        Sample {
            learner: "Prénom NOM".to_owned(),
            training: training.to_owned(),
            period: lang
                .pick(
                    "from 2026-09-01 to 2026-12-18",
                    "du 2026-09-01 au 2026-12-18",
                )
                .to_owned(),
            total: "12h30".to_owned(),
            cumul: "36h45".to_owned(),
            lang,
        }
    }
}

/// The page of a preview.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Page {
    /// Width in millimetres.
    pub width_mm: f64,
    /// Height in millimetres.
    pub height_mm: f64,
    /// `portrait` or `landscape`.
    pub orientation: &'static str,
}

impl Page {
    const PORTRAIT: Page = Page {
        width_mm: A4_SHORT,
        height_mm: A4_LONG,
        orientation: "portrait",
    };
    const LANDSCAPE: Page = Page {
        width_mm: A4_LONG,
        height_mm: A4_SHORT,
        orientation: "landscape",
    };

    /// The size in pixels of the page at `dpi` dots per inch.
    pub fn pixels(&self, dpi: u32) -> (u32, u32) {
        let px = |mm: f64| (mm / 25.4 * f64::from(dpi)).round() as u32;
        (px(self.width_mm), px(self.height_mm))
    }
}

/// What could not be drawn as the template says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "code")]
pub enum Problem {
    /// The data is not JSON.
    NotJson,
    /// The data has no usable `location` (x and y numbers of millimetres).
    NoLocation,
    /// The data has no usable `font` (family, size); drawn in Helvetica 10.
    BadFont,
    /// A type Attestoodle does not know; the plugin prints its label only.
    UnknownType,
    /// A `background` detail whose image is not available.
    NoImage,
    /// A background image that is not a PNG.
    NotPng,
    /// A second `background` detail, which Attestoodle ignores (docs/decisions.md §9).
    ExtraBackground,
}

/// One problem of one detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The detail's number in the template, from 1, in the order of `details`.
    pub detail: usize,
    /// The detail's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// What is wrong.
    #[serde(flatten)]
    pub problem: Problem,
}

impl Issue {
    /// The issue in the operator's language: the detail, its type, what is wrong.
    pub fn localized(&self, lang: Lang) -> String {
        let (n, kind) = (self.detail, &self.kind);
        let (en, fr) = match self.problem {
            Problem::NotJson => (
                "its data is not JSON: drawn as a labelled box in the top-left corner",
                "ses données ne sont pas du JSON : dessiné comme une boîte étiquetée en haut à \
                 gauche",
            ),
            Problem::NoLocation => (
                "its data has no location x and y in millimetres: drawn as a labelled box in \
                 the top-left corner",
                "ses données n'ont pas de position x et y en millimètres : dessiné comme une \
                 boîte étiquetée en haut à gauche",
            ),
            Problem::BadFont => (
                "its data has no readable font (family helvetica, times or courier, and a \
                 size): drawn in Helvetica 10",
                "ses données n'ont pas de police lisible (famille helvetica, times ou courier, \
                 et une taille) : dessiné en Helvetica 10",
            ),
            Problem::UnknownType => (
                "Attestoodle does not know this type: its certificates show only its label",
                "Attestoodle ne connaît pas ce type : ses attestations n'en montrent que le \
                 libellé",
            ),
            Problem::NoImage => (
                "the background image is not available (not carried by the file, or missing \
                 from Moodle's file store): certificates are drawn without it, in portrait",
                "l'image de fond n'est pas disponible (absente du fichier, ou du dépôt de \
                 fichiers de Moodle) : les attestations sont dessinées sans elle, en portrait",
            ),
            Problem::NotPng => (
                "the background image is not a PNG image: Attestoodle draws only PNG",
                "l'image de fond n'est pas une image PNG : Attestoodle ne dessine que le PNG",
            ),
            Problem::ExtraBackground => (
                "a second background detail: Attestoodle uses only the first one",
                "un second détail background : Attestoodle n'utilise que le premier",
            ),
        };
        match lang {
            Lang::En => format!("detail {n} ({kind}): {en}"),
            Lang::Fr => format!("détail {n} ({kind}) : {fr}"),
        }
    }
}

/// A template drawn as an SVG page.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The SVG document (millimetre user units, background embedded as a `data:` URI).
    pub svg: String,
    /// The page.
    pub page: Page,
    /// What could not be drawn as the template says, in detail order.
    pub issues: Vec<Issue>,
}

/// Why an SVG could not become a PNG.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    /// The SVG could not be read.
    #[error("the preview's SVG cannot be read: {0}")]
    Svg(String),
    /// The resolution is out of range.
    #[error("a resolution of {0} dpi is out of range: give 30 to 600")]
    Dpi(u32),
    /// The PNG could not be encoded.
    #[error("the PNG cannot be encoded: {0}")]
    Encode(String),
}

impl PngError {
    /// The reason in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (PngError::Svg(e), Lang::Fr) => format!("le SVG de l'aperçu est illisible : {e}"),
            (PngError::Dpi(dpi), Lang::Fr) => {
                format!("une résolution de {dpi} ppp est hors limites : donnez 30 à 600")
            }
            (PngError::Encode(e), Lang::Fr) => format!("impossible d'encoder le PNG : {e}"),
            _ => self.to_string(),
        }
    }
}

/// The font of a positioned element.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Font {
    family: Family,
    bold: bool,
    italic: bool,
    /// Points.
    size: f64,
}

impl Font {
    const DEFAULT: Font = Font {
        family: Family::Helvetica,
        bold: false,
        italic: false,
        size: 10.0,
    };

    fn size_mm(&self) -> f64 {
        self.size * MM_PER_PT
    }

    /// The `font-*` attributes of an SVG text.
    fn attributes(&self) -> String {
        let mut out = format!(
            "font-family=\"{}\" font-size=\"{}\"",
            self.family.svg(),
            num(self.size_mm())
        );
        if self.bold {
            out.push_str(" font-weight=\"bold\"");
        }
        if self.italic {
            out.push_str(" font-style=\"italic\"");
        }
        out
    }

    /// The width of `text` in millimetres, measured with the embedded face.
    fn width(&self, text: &str) -> f64 {
        let name = self.family.face();
        let bold = self.bold;
        let italic = self.italic && self.family != Family::Courier;
        let face = FACES
            .iter()
            .find(|(n, b, i, _)| *n == name && *b == bold && *i == italic)
            .or_else(|| FACES.first());
        let Some(font) = face.and_then(|(_, _, _, bytes)| FontRef::new(bytes).ok()) else {
            return 0.5 * self.size_mm() * text.chars().count() as f64;
        };
        let size = self.size_mm() as f32;
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        let charmap = font.charmap();
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|glyph| metrics.advance_width(glyph))
                    .map_or(0.5 * self.size_mm(), f64::from)
            })
            .sum()
    }
}

/// The three font families of the template editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Helvetica,
    Times,
    Courier,
}

impl Family {
    fn parse(text: &str) -> Option<Family> {
        match text.trim().to_ascii_lowercase().as_str() {
            "helvetica" => Some(Family::Helvetica),
            "times" => Some(Family::Times),
            "courier" => Some(Family::Courier),
            _ => None,
        }
    }

    /// The CSS font list: the PDF's core font, its usual stand-ins, the generic family (which
    /// the PNG renderer maps to the embedded DejaVu face).
    fn svg(self) -> &'static str {
        match self {
            Family::Helvetica => "Helvetica, Arial, sans-serif",
            Family::Times => "Times New Roman, Times, serif",
            Family::Courier => "Courier New, Courier, monospace",
        }
    }

    fn face(self) -> &'static str {
        match self {
            Family::Helvetica => "DejaVu Sans",
            Family::Times => "DejaVu Serif",
            Family::Courier => "DejaVu Sans Mono",
        }
    }
}

/// A positioned element's data, as far as it could be read.
#[derive(Debug, Clone, PartialEq)]
struct Element {
    x: f64,
    y: f64,
    font: Font,
    align: Option<char>,
    lib: Option<String>,
    /// `activities`: the table width in millimetres, when given and not 0.
    table_width: Option<f64>,
    /// `pagenumber`: print "n / total".
    on_total: bool,
}

/// The positioned types (docs/moodle-tables.md §7).
const POSITIONED: &[&str] = &[
    "learnername",
    "trainingname",
    "period",
    "totalminutes",
    "cumulminutes",
    "activities",
    "text",
    "pagenumber",
];

/// Why no template of a backup could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    /// The file carries no template at all.
    #[error("the file carries no certificate template")]
    NoTemplate,
    /// No template of the file has the name asked for (or the training's template when none
    /// was asked for).
    #[error("the file has no template named “{wanted}”; its templates: {}", quoted(.choices))]
    NotInFile {
        /// The name looked for.
        wanted: String,
        /// The names the file has.
        choices: Vec<String>,
    },
    /// The training has no template and the file carries several: one must be named.
    #[error("the training has no template and the file carries several: name one with --template ({})", quoted(.choices))]
    NoDefault {
        /// The names the file has.
        choices: Vec<String>,
    },
}

impl ChoiceError {
    /// The reason in the operator's language.
    pub fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (ChoiceError::NoTemplate, Lang::Fr) => {
                "le fichier ne contient aucun modèle d'attestation".to_owned()
            }
            (ChoiceError::NotInFile { wanted, choices }, Lang::Fr) => format!(
                "le fichier n'a pas de modèle nommé « {wanted} » ; ses modèles : {}",
                quoted(choices)
            ),
            (ChoiceError::NoDefault { choices }, Lang::Fr) => format!(
                "la formation n'a pas de modèle et le fichier en contient plusieurs : nommez-en \
                 un avec --template ({})",
                quoted(choices)
            ),
            _ => self.to_string(),
        }
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("“{name}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The template of `document` to draw: the one named `name`, else the training's, else the
/// only one.
///
/// # Errors
///
/// A [`ChoiceError`] naming the file's templates.
pub fn choose<'a>(document: &'a Document, name: Option<&str>) -> Result<&'a Template, ChoiceError> {
    let choices = || document.templates.iter().map(|t| t.name.clone()).collect();
    if document.templates.is_empty() {
        return Err(ChoiceError::NoTemplate);
    }
    let wanted = match (name, &document.training.template) {
        (Some(name), _) => name,
        (None, Some(name)) => name.as_str(),
        (None, None) if document.templates.len() == 1 => document.templates[0].name.as_str(),
        (None, None) => return Err(ChoiceError::NoDefault { choices: choices() }),
    };
    document
        .templates
        .iter()
        .find(|t| t.name == wanted)
        .ok_or_else(|| ChoiceError::NotInFile {
            wanted: wanted.to_owned(),
            choices: choices(),
        })
}

/// A format-2 template made of a site's rows: `(type, data)` details in id order and the
/// background image's file name and bytes, when they could be read.
pub fn template(
    name: &str,
    details: &[(String, String)],
    background: Option<(&str, &[u8])>,
) -> Template {
    Template {
        name: name.to_owned(),
        details: details
            .iter()
            .map(|(kind, data)| TemplateDetail {
                kind: kind.clone(),
                data: data.clone(),
            })
            .collect(),
        background: background.map(|(filename, bytes)| Background {
            filename: filename.to_owned(),
            mimetype: "image/png".to_owned(),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha1: crate::hex::sha1_hex(bytes),
            content: base64::engine::general_purpose::STANDARD.encode(bytes),
        }),
    }
}

/// Draws `template` on its page with `sample` values.
pub fn render(template: &Template, sample: &Sample) -> Preview {
    let mut issues = Vec::new();
    let image = background_image(template);
    let first_background = template
        .details
        .iter()
        .position(|detail| detail.kind == "background");
    let page = match &image {
        Some(Ok((width, height, _))) if width > height => Page::LANDSCAPE,
        _ => Page::PORTRAIT,
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" \
         viewBox=\"0 0 {w} {h}\" data-orientation=\"{o}\">\n<title>{title}</title>\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
        w = num(page.width_mm),
        h = num(page.height_mm),
        o = page.orientation,
        title = escape(&template.name),
    );
    // The background first, under everything, as the renderer draws it; then the others in
    // the order of the details.
    let mut unreadable = 0usize;
    let mut unreadable_at = || {
        let y = 4.0 + 10.0 * unreadable as f64;
        unreadable += 1;
        y
    };
    let mut others = String::new();
    for (index, detail) in template.details.iter().enumerate() {
        let number = index + 1;
        let kind = detail.kind.as_str();
        let issue = |problem| Issue {
            detail: number,
            kind: kind.to_owned(),
            problem,
        };
        let (under, body) = match kind {
            "background" if Some(index) != first_background => {
                issues.push(issue(Problem::ExtraBackground));
                (
                    false,
                    label(2.0, page.height_mm - 2.0, &format!("{kind} ×")),
                )
            }
            "background" => match &image {
                Some(Ok((_, _, bytes))) => (
                    true,
                    format!(
                        "<image x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" \
                         preserveAspectRatio=\"none\" href=\"data:image/png;base64,{}\"/>{}",
                        num(page.width_mm),
                        num(page.height_mm),
                        base64::engine::general_purpose::STANDARD.encode(bytes),
                        label(1.0, page.height_mm - 1.0, kind),
                    ),
                ),
                Some(Err(problem)) => {
                    issues.push(issue(problem.clone()));
                    (
                        true,
                        page_box(page, &format!("{kind}: {}", image_note(problem))),
                    )
                }
                None => {
                    issues.push(issue(Problem::NoImage));
                    (
                        true,
                        page_box(page, &format!("{kind}: {}", image_note(&Problem::NoImage))),
                    )
                }
            },
            "pagebreak" => match serde_json::from_str::<Value>(&detail.data) {
                Ok(value) => (
                    false,
                    label(
                        page.width_mm / 2.0,
                        page.height_mm - 1.0,
                        &format!("{kind}: {}", pagebreak_text(&value)),
                    ),
                ),
                Err(_) => {
                    issues.push(issue(Problem::NotJson));
                    let y = unreadable_at();
                    (
                        false,
                        unreadable_box(4.0, y, 70.0, 8.0, kind, &Problem::NotJson, sample.lang),
                    )
                }
            },
            _ => {
                if !POSITIONED.contains(&kind) {
                    issues.push(issue(Problem::UnknownType));
                }
                match element(&detail.data) {
                    Ok((element, font_ok)) => {
                        if !font_ok {
                            issues.push(issue(Problem::BadFont));
                        }
                        if kind == "activities" {
                            (false, table(&element, page, sample))
                        } else {
                            (false, text_element(kind, &element, page, sample))
                        }
                    }
                    Err(problem) => {
                        issues.push(issue(problem.clone()));
                        let y = unreadable_at();
                        (
                            false,
                            unreadable_box(4.0, y, 70.0, 8.0, kind, &problem, sample.lang),
                        )
                    }
                }
            }
        };
        let _ = writeln!(
            if under { &mut svg } else { &mut others },
            "<g data-detail=\"{number}\" data-type=\"{}\">{body}</g>",
            escape(kind)
        );
    }
    svg.push_str(&others);
    svg.push_str("</svg>\n");
    Preview { svg, page, issues }
}

/// Rasterises a preview's SVG at `dpi` dots per inch: the PNG has the page's size in pixels
/// ([`Page::pixels`]), text drawn with the embedded DejaVu faces.
///
/// # Errors
///
/// [`PngError::Dpi`] outside [`DPI_RANGE`]; [`PngError::Svg`] when `svg` cannot be read;
/// [`PngError::Encode`] when the PNG cannot be made.
pub fn png(svg: &str, dpi: u32) -> Result<Vec<u8>, PngError> {
    if !DPI_RANGE.contains(&dpi) {
        return Err(PngError::Dpi(dpi));
    }
    let mut fonts = usvg::fontdb::Database::new();
    for (_, _, _, bytes) in FACES {
        fonts.load_font_data(bytes.to_vec());
    }
    fonts.set_sans_serif_family("DejaVu Sans");
    fonts.set_serif_family("DejaVu Serif");
    fonts.set_monospace_family("DejaVu Sans Mono");
    let options = usvg::Options {
        font_family: "DejaVu Sans".to_owned(),
        fontdb: Arc::new(fonts),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| PngError::Svg(e.to_string()))?;
    let size = tree.size();
    // The SVG's size is in millimetres; usvg gives it in CSS pixels (96 per inch).
    let width_mm = f64::from(size.width()) * 25.4 / 96.0;
    let height_mm = f64::from(size.height()) * 25.4 / 96.0;
    let px = |mm: f64| (mm / 25.4 * f64::from(dpi)).round().max(1.0) as u32;
    let (width, height) = (px(width_mm), px(height_mm));
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| PngError::Encode(format!("{width} × {height} pixels")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let transform = tiny_skia::Transform::from_scale(
        width as f32 / size.width(),
        height as f32 / size.height(),
    );
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| PngError::Encode(e.to_string()))
}

/// A background image: its width and height in pixels, and its bytes.
type Image = (u32, u32, Vec<u8>);

/// The background image; `None` when the template carries none.
fn background_image(template: &Template) -> Option<Result<Image, Problem>> {
    let background = template.background.as_ref()?;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&background.content) else {
        return Some(Err(Problem::NotPng));
    };
    Some(match png_size(&bytes) {
        Some((width, height)) => Ok((width, height, bytes)),
        None => Err(Problem::NotPng),
    })
}

/// The width and height of a PNG image, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
    };
    match (word(16)?, word(20)?) {
        (0, _) | (_, 0) => None,
        size => Some(size),
    }
}

/// Reads a positioned element's data: the element, and whether its font could be read.
fn element(data: &str) -> Result<(Element, bool), Problem> {
    let value: Value = serde_json::from_str(data).map_err(|_| Problem::NotJson)?;
    let location = value.get("location").ok_or(Problem::NoLocation)?;
    let x = location
        .get("x")
        .and_then(number)
        .ok_or(Problem::NoLocation)?;
    let y = location
        .get("y")
        .and_then(number)
        .ok_or(Problem::NoLocation)?;
    let font = value.get("font").and_then(|font| {
        let family = font
            .get("family")
            .and_then(Value::as_str)
            .and_then(Family::parse)?;
        let size = font
            .get("size")
            .and_then(number)
            .filter(|size| *size > 0.0 && *size <= 500.0)?;
        let emphasis = font
            .get("emphasis")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Some(Font {
            family,
            bold: emphasis.contains('B'),
            italic: emphasis.contains('I'),
            size,
        })
    });
    let align = value
        .get("align")
        .and_then(Value::as_str)
        .and_then(|a| a.trim().chars().next());
    Ok((
        Element {
            x,
            y,
            font: font.unwrap_or(Font::DEFAULT),
            align,
            lib: value.get("lib").and_then(Value::as_str).map(str::to_owned),
            table_width: value
                .get("size")
                .and_then(number)
                .filter(|width| *width > 0.0),
            on_total: value
                .get("ontotal")
                .is_some_and(|v| v.as_bool() == Some(true) || number(v).is_some_and(|n| n != 0.0)),
        },
        font.is_some(),
    ))
}

/// A number, or a string holding one (the seeded "Site" template stores `"66"`).
fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (n.is_finite() && n.abs() <= 100_000.0).then_some(n)
}

/// The left edge of a block `width` wide, as the renderer's `comput_align` places it.
fn left_edge(element: &Element, page: Page, width: f64) -> f64 {
    match element.align {
        Some('L') => element.x,
        Some('R') => page.width_mm - element.x - width,
        Some('C') => (page.width_mm - element.x - width) / 2.0 + element.x,
        _ => 0.0,
    }
}

/// A text element: its sample text at its place, its outline and type label.
fn text_element(kind: &str, element: &Element, page: Page, sample: &Sample) -> String {
    let value = match kind {
        "learnername" => sample.learner.clone(),
        "trainingname" => sample.training.clone(),
        "period" => sample.period.clone(),
        "totalminutes" => sample.total.clone(),
        "cumulminutes" => sample.cumul.clone(),
        "pagenumber" if element.on_total => "1 / 1".to_owned(),
        "pagenumber" => "1".to_owned(),
        _ => String::new(),
    };
    let text = format!("{}{value}", element.lib.as_deref().unwrap_or_default());
    let lines: Vec<&str> = text.trim().split('\n').map(str::trim_end).collect();
    let font = element.font;
    let line_height = font.size_mm() * CELL_HEIGHT_RATIO;
    let widths: Vec<f64> = lines.iter().map(|line| font.width(line)).collect();
    let width = widths.iter().copied().fold(0.0, f64::max).max(4.0);
    let height = line_height * lines.len() as f64;
    let mut out = String::new();
    for (n, (line, line_width)) in lines.iter().zip(&widths).enumerate() {
        let x = left_edge(element, page, *line_width);
        let y = element.y + n as f64 * line_height + font.size_mm() * BASELINE_RATIO;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" {} fill=\"#000000\">{}</text>",
            num(x),
            num(y),
            font.attributes(),
            escape(line)
        );
    }
    let left = left_edge(element, page, width);
    out.push_str(&outline(left, element.y, width, height, kind));
    out
}

/// The activities table: its frame, headings and three sample rows, as `printactivities`
/// draws them, with its outline and type label.
fn table(element: &Element, page: Page, sample: &Sample) -> String {
    let mut width = element
        .table_width
        .unwrap_or(page.width_mm - 2.0 * element.x);
    if width < TABLE_MIN_WIDTH {
        width = TABLE_MIN_WIDTH;
    }
    let mut x = left_edge(element, page, width);
    if x + TABLE_MIN_WIDTH > page.width_mm {
        x = page.width_mm - TABLE_MIN_WIDTH;
    }
    let y = element.y;
    let font = element.font;
    // The renderer uses the font size in points as a height in millimetres.
    let line = font.size.trunc().max(1.0);
    let header = line * 1.5;
    let first = width * 0.75;
    let lang = sample.lang;
    let rows = [
        (lang.pick("Course A", "Cours A"), "6h00"),
        (lang.pick("Course B", "Cours B"), "4h15"),
        (lang.pick("Course C", "Cours C"), "2h15"),
    ];
    let height = header + line * rows.len() as f64;
    let stroke = "stroke=\"#000000\" stroke-width=\"0.1\"";
    let mut out = format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" {stroke}/>\
         <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {stroke}/>\
         <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {stroke}/>",
        num(x),
        num(y),
        num(width),
        num(height),
        num(x),
        num(y + header),
        num(x + width),
        num(y + header),
        num(x + first),
        num(y),
        num(x + first),
        num(y + height),
    );
    let bold = Font {
        bold: true,
        italic: false,
        ..font
    };
    let regular = Font {
        bold: false,
        italic: false,
        ..font
    };
    let baseline = |top: f64, cell: f64| top + cell / 2.0 + regular.size_mm() * 0.35;
    for (text, left, column) in [
        (lang.pick("Course", "Cours"), x, first),
        (
            lang.pick("Total hours", "Total heures"),
            x + first,
            width - first,
        ),
    ] {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" {} text-anchor=\"middle\" fill=\"#000000\">{}</text>",
            num(left + column / 2.0),
            num(baseline(y, header)),
            bold.attributes(),
            escape(text)
        );
    }
    for (n, (name, total)) in rows.iter().enumerate() {
        let top = y + header + line * n as f64;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" {} fill=\"#000000\">{}</text>\
             <text x=\"{}\" y=\"{}\" {} text-anchor=\"middle\" fill=\"#000000\">{}</text>\
             <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {stroke}/>",
            num(x + 3.0),
            num(baseline(top, line)),
            regular.attributes(),
            escape(name),
            num(x + first + (width - first) / 2.0),
            num(baseline(top, line)),
            regular.attributes(),
            total,
            num(x),
            num(top + line),
            num(x + width),
            num(top + line),
        );
    }
    out.push_str(&outline(x, y, width, height, "activities"));
    out
}

/// What a `pagebreak` detail says, in the template editor's words.
fn pagebreak_text(value: &Value) -> String {
    let numbering = value
        .get("numpage")
        .and_then(Value::as_str)
        .unwrap_or("never");
    let mut repeated = Vec::new();
    for (key, word) in [
        ("repeatbackground", "background"),
        ("repeatstart", "start"),
        ("repeatend", "end"),
    ] {
        if value.get(key).and_then(Value::as_bool) == Some(true) {
            repeated.push(word);
        }
    }
    if repeated.is_empty() {
        format!("numpage {numbering}")
    } else {
        format!("numpage {numbering}, repeat {}", repeated.join(" + "))
    }
}

/// A thin dashed outline with the element's type: left of its top-left corner when there is
/// room in the margin (so that elements a line apart do not cover each other's labels), else
/// above it, else below.
fn outline(x: f64, y: f64, width: f64, height: f64, kind: &str) -> String {
    let room = LABEL_SIZE * 0.55 * kind.chars().count() as f64 + 1.0;
    let name = if x >= room {
        label_end(x - 0.8, y + LABEL_SIZE, kind)
    } else if y >= LABEL_SIZE + 0.5 {
        label(x, y - 0.6, kind)
    } else {
        label(x, y + height + LABEL_SIZE, kind)
    };
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{OUTLINE}\" \
         stroke-width=\"0.25\" stroke-dasharray=\"1.2 0.8\"/>{name}",
        num(x),
        num(y),
        num(width),
        num(height),
    )
}

/// A small type label ending at `x`, its baseline at `y`.
fn label_end(x: f64, y: f64, text: &str) -> String {
    format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-family=\"Helvetica, Arial, sans-serif\" \
         font-size=\"{LABEL_SIZE}\" fill=\"{OUTLINE}\">{}</text>",
        num(x),
        num(y),
        escape(text)
    )
}

/// A small type label, its baseline at `y`.
fn label(x: f64, y: f64, text: &str) -> String {
    format!(
        "<text x=\"{}\" y=\"{}\" font-family=\"Helvetica, Arial, sans-serif\" \
         font-size=\"{LABEL_SIZE}\" fill=\"{OUTLINE}\">{}</text>",
        num(x),
        num(y),
        escape(text)
    )
}

/// The labelled box of an element whose data cannot be read.
fn unreadable_box(
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    kind: &str,
    problem: &Problem,
    lang: Lang,
) -> String {
    let why = match problem {
        Problem::NotJson => lang.pick("data is not JSON", "données non JSON"),
        _ => lang.pick("no location x, y", "pas de position x, y"),
    };
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{UNREADABLE}\" \
         fill-opacity=\"0.08\" stroke=\"{UNREADABLE}\" stroke-width=\"0.35\"/>\
         <text x=\"{}\" y=\"{}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"3\" \
         fill=\"{UNREADABLE}\">{}</text>",
        num(x),
        num(y),
        num(width),
        num(height),
        num(x + 2.0),
        num(y + height / 2.0 + 1.0),
        escape(&format!("{kind}: {why}"))
    )
}

/// A labelled box over the whole page, for a background image that cannot be drawn.
fn page_box(page: Page, text: &str) -> String {
    format!(
        "<rect x=\"1\" y=\"1\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{UNREADABLE}\" \
         stroke-width=\"0.35\" stroke-dasharray=\"2 1\"/>\
         <text x=\"3\" y=\"{}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"3\" \
         fill=\"{UNREADABLE}\">{}</text>",
        num(page.width_mm - 2.0),
        num(page.height_mm - 2.0),
        num(page.height_mm - 4.0),
        escape(text)
    )
}

fn image_note(problem: &Problem) -> &'static str {
    match problem {
        Problem::NotPng => "not a PNG image",
        _ => "image not available",
    }
}

/// A number for an SVG attribute: at most three decimals, no trailing zeros.
fn num(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Text for XML content or a quoted attribute: markup characters escaped, and the characters
/// XML 1.0 cannot hold at all replaced by U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(name: &str) -> Template {
        let (details, background) = crate::demo::template_content(name).unwrap_or_default();
        let details: Vec<(String, String)> = details
            .iter()
            .map(|(kind, data)| ((*kind).to_owned(), (*data).to_owned()))
            .collect();
        template(name, &details, background)
    }

    fn with_details(details: &[(&str, &str)]) -> Template {
        let details: Vec<(String, String)> = details
            .iter()
            .map(|(kind, data)| ((*kind).to_owned(), (*data).to_owned()))
            .collect();
        template("Test", &details, None)
    }

    fn sample() -> Sample {
        Sample::new("Licence Chimie S1 2026", Lang::Fr)
    }

    /// The groups of the details, in order: `(type, texts inside)`.
    fn groups(svg: &str) -> Vec<(String, Vec<String>)> {
        let document = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        document
            .descendants()
            .filter(|node| node.has_tag_name("g") && node.attribute("data-detail").is_some())
            .map(|g| {
                let texts = g
                    .descendants()
                    .filter(|node| node.has_tag_name("text"))
                    .map(|node| node.text().unwrap_or_default().to_owned())
                    .collect();
                (
                    g.attribute("data-type").unwrap_or_default().to_owned(),
                    texts,
                )
            })
            .collect()
    }

    // Issue 15: the SVG of the demo's two templates holds the background and every element.
    #[test]
    fn demo_templates_draw_the_background_and_every_detail_with_its_type() {
        for (name, width, height) in [
            ("Site", "210mm", "297mm"),
            ("Attestation FC", "297mm", "210mm"),
        ] {
            let template = demo(name);
            let preview = render(&template, &sample());
            assert!(preview.issues.is_empty(), "{name}: {:?}", preview.issues);
            let document = roxmltree::Document::parse(&preview.svg).expect("an XML document");
            let root = document.root_element();
            assert_eq!(
                (root.attribute("width"), root.attribute("height")),
                (Some(width), Some(height))
            );
            let image = document
                .descendants()
                .find(|node| node.has_tag_name("image"))
                .expect("the background image");
            let href = image.attribute("href").unwrap_or_default();
            let content = template
                .background
                .as_ref()
                .map(|b| b.content.as_str())
                .unwrap_or("-");
            assert_eq!(href, format!("data:image/png;base64,{content}"), "{name}");
            assert_eq!(image.attribute("width"), Some(width.trim_end_matches("mm")));
            let groups = groups(&preview.svg);
            let kinds: Vec<&str> = groups.iter().map(|(kind, _)| kind.as_str()).collect();
            let expected: Vec<&str> = template.details.iter().map(|d| d.kind.as_str()).collect();
            assert_eq!(kinds, expected, "{name}");
            for (kind, texts) in &groups {
                assert!(
                    texts
                        .iter()
                        .any(|text| text == kind || text.starts_with(&format!("{kind}:"))),
                    "{name}: {kind} has no label in {texts:?}"
                );
            }
            let learner = &groups
                .iter()
                .find(|(kind, _)| kind == "learnername")
                .expect("learnername")
                .1;
            assert!(
                learner.iter().any(|t| t.ends_with("Prénom NOM")),
                "{learner:?}"
            );
            let training = &groups
                .iter()
                .find(|(kind, _)| kind == "trainingname")
                .expect("trainingname")
                .1;
            assert!(
                training
                    .iter()
                    .any(|t| t.ends_with("Licence Chimie S1 2026")),
                "{training:?}"
            );
        }
    }

    #[test]
    fn labels_and_samples_print_after_the_lib_as_the_plugin_does() {
        let preview = render(&demo("Attestation FC"), &sample());
        let groups = groups(&preview.svg);
        let texts = |kind: &str| {
            groups
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        };
        assert!(texts("learnername").contains(&"Attestation délivrée à Prénom NOM".to_owned()));
        assert!(texts("cumulminutes").contains(&"Durée totale validée : 36h45".to_owned()));
        assert!(texts("pagenumber").contains(&"1 / 1".to_owned()));
        assert!(texts("pagebreak")
            .iter()
            .any(|t| t == "pagebreak: numpage any, repeat background + end"));
        // The free text's two lines are two lines.
        let text = texts("text");
        assert!(
            text.contains(&"Université Démo — Service de formation continue".to_owned()),
            "{text:?}"
        );
        assert!(
            text.contains(&"Attestation établie d'après l'achèvement des activités.".to_owned())
        );
        // The activities table has its French headings.
        assert!(texts("activities").contains(&"Total heures".to_owned()));
    }

    #[test]
    fn right_and_centre_alignment_follow_the_renderer() {
        let template = with_details(&[
            (
                "learnername",
                r#"{"font":{"family":"courier","emphasis":"","size":"12"},"location":{"x":20,"y":30},"align":"R"}"#,
            ),
            (
                "trainingname",
                r#"{"font":{"family":"times","emphasis":"B","size":"12"},"location":{"x":50,"y":60},"align":"C"}"#,
            ),
        ]);
        let preview = render(&template, &sample());
        let document = roxmltree::Document::parse(&preview.svg).expect("an XML document");
        let outline = |kind: &str| {
            let g = document
                .descendants()
                .find(|n| n.attribute("data-type") == Some(kind))
                .expect("the element");
            let rect = g
                .descendants()
                .find(|n| n.has_tag_name("rect") && n.attribute("stroke") == Some(OUTLINE))
                .expect("its outline");
            let get = |a: &str| {
                rect.attribute(a)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(f64::NAN)
            };
            (get("x"), get("y"), get("width"))
        };
        // R: the text ends x millimetres from the right edge.
        let (x, y, width) = outline("learnername");
        assert!((x + width - 190.0).abs() < 0.01, "{x} + {width}");
        assert!((y - 30.0).abs() < 0.01);
        // C: centred between x and the right edge.
        let (x, _, width) = outline("trainingname");
        assert!((x + width / 2.0 - 130.0).abs() < 0.01, "{x} + {width} / 2");
    }

    // Issue 15: an element whose data cannot be read is a labelled box, and is listed.
    #[test]
    fn unreadable_elements_are_labelled_boxes_and_listed() {
        let template = with_details(&[
            (
                "learnername",
                r#"{"font":{"family":"helvetica","emphasis":"","size":"14"},"location":{"x":66,"y":33},"align":"L"}"#,
            ),
            ("trainingname", "{not json"),
            (
                "period",
                r#"{"font":{"family":"helvetica","size":"14"},"align":"L"}"#,
            ),
            (
                "totalminutes",
                r#"{"font":{"family":"comic","size":"huge"},"location":{"x":"86","y":"45"},"align":"L"}"#,
            ),
        ]);
        let preview = render(&template, &sample());
        let problems: Vec<(usize, &str, &Problem)> = preview
            .issues
            .iter()
            .map(|i| (i.detail, i.kind.as_str(), &i.problem))
            .collect();
        assert_eq!(
            problems,
            [
                (2, "trainingname", &Problem::NotJson),
                (3, "period", &Problem::NoLocation),
                (4, "totalminutes", &Problem::BadFont),
            ]
        );
        let groups = groups(&preview.svg);
        assert_eq!(groups.len(), 4);
        assert_eq!(groups[1].1, ["trainingname: données non JSON"]);
        assert_eq!(groups[2].1, ["period: pas de position x, y"]);
        // The unreadable ones are boxes drawn in the warning colour, not outlines.
        let document = roxmltree::Document::parse(&preview.svg).expect("an XML document");
        let boxes = document
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("stroke") == Some(UNREADABLE))
            .count();
        assert_eq!(boxes, 2);
        // A font that cannot be read is drawn in Helvetica 10, and said.
        assert!(groups[3].1.contains(&"12h30".to_owned()));
        assert_eq!(
            preview.issues[0].localized(Lang::En),
            "detail 2 (trainingname): its data is not JSON: drawn as a labelled box in the top-left corner"
        );
        assert!(preview.issues[1]
            .localized(Lang::Fr)
            .starts_with("détail 3 (period) : ses données"));
    }

    #[test]
    fn a_background_without_its_image_is_a_labelled_page_in_portrait() {
        let mut template = demo("Attestation FC");
        template.background = None;
        let preview = render(&template, &sample());
        assert_eq!(preview.page.orientation, "portrait");
        assert_eq!(preview.issues.len(), 1);
        assert_eq!(preview.issues[0].problem, Problem::NoImage);
        let groups = groups(&preview.svg);
        assert_eq!(groups[0].1, ["background: image not available"]);
        assert!(!preview.svg.contains("<image"));
    }

    #[test]
    fn markup_in_labels_is_text_not_markup() {
        let template = with_details(&[(
            "text",
            "{\"font\":{\"family\":\"helvetica\",\"emphasis\":\"\",\"size\":\"9\"},\"location\":{\"x\":10,\"y\":10},\"align\":\"L\",\"lib\":\"<b>R&D</b> \\\"x\\\" \\u0001\"}",
        )]);
        let preview = render(&template, &sample());
        assert!(preview.issues.is_empty(), "{:?}", preview.issues);
        let groups = groups(&preview.svg);
        assert!(
            groups[0]
                .1
                .contains(&"<b>R&D</b> \"x\" \u{FFFD}".to_owned()),
            "{:?}",
            groups[0].1
        );
    }

    // Issue 15: the PNG decodes to the page size, with the background and the text drawn.
    #[test]
    fn png_has_the_page_size_the_background_and_text() {
        let preview = render(&demo("Attestation FC"), &sample());
        let bytes = png(&preview.svg, 96).expect("a PNG");
        let pixmap = tiny_skia::Pixmap::decode_png(&bytes).expect("a PNG that decodes");
        assert_eq!((pixmap.width(), pixmap.height()), preview.page.pixels(96));
        assert_eq!((pixmap.width(), pixmap.height()), (1123, 794));
        // The background is not white, and black text is drawn on it.
        let pixels = pixmap.pixels();
        let corner = pixels[pixmap.width() as usize * 5 + 5];
        assert_ne!(
            (corner.red(), corner.green(), corner.blue()),
            (255, 255, 255)
        );
        let dark = pixels
            .iter()
            .filter(|p| p.red() < 40 && p.green() < 40 && p.blue() < 40)
            .count();
        assert!(dark > 500, "{dark} dark pixels");
        // At another resolution, another size.
        let bytes = png(&render(&demo("Site"), &sample()).svg, 150).expect("a PNG");
        let pixmap = tiny_skia::Pixmap::decode_png(&bytes).expect("a PNG that decodes");
        assert_eq!((pixmap.width(), pixmap.height()), (1240, 1754));
    }

    #[test]
    fn png_refuses_a_resolution_out_of_range() {
        let preview = render(&demo("Site"), &sample());
        assert!(matches!(png(&preview.svg, 5), Err(PngError::Dpi(5))));
        assert!(matches!(png("<svg", 96), Err(PngError::Svg(_))));
    }
}
