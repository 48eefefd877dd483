//! `preview` through the binary on the demo site (issue 15, part 1): a backup's templates and
//! the site's as SVG and PNG, the background and every element in the SVG, the PNG's size, an
//! unreadable element listed, and the refusals with their exit codes, in English and French.

mod common;

use std::path::Path;

use common::{run_in, stderr, stdout};
use serde_json::Value;

/// The demo's backup of "Licence Chimie S1 2026" (`demo` writes it): its training uses "Site",
/// a learner style "Attestation FC".
const DEMO_SAVE: &str = "attestoodle-demo-licence-chimie-s1-2026.json";

/// A fresh directory where `demo` made the demo site and its backup.
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = run_in(dir.path(), &["demo"]);
    assert_eq!(output.status.code(), Some(0), "demo: {}", stderr(&output));
    dir
}

/// `(type, texts)` of every detail group of an SVG preview, in order.
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

/// The background `<image>`'s `href` of an SVG preview, if any.
fn background_href(svg: &str) -> Option<String> {
    let document = roxmltree::Document::parse(svg).ok()?;
    let image = document.descendants().find(|n| n.has_tag_name("image"))?;
    image.attribute("href").map(str::to_owned)
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON value ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// The types of a template of the demo backup, in order.
fn detail_types(dir: &Path, template: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(DEMO_SAVE)).expect("the demo's backup");
    let document: Value = serde_json::from_str(&text).expect("JSON");
    document["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .find(|t| t["name"] == template)
        .expect("the template")["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

// Issue 15: the SVG of the demo's two templates holds the background and every element.
#[test]
fn a_backups_templates_are_drawn_with_their_background_and_every_element() {
    let dir = demo_dir();
    for (template, args, orientation) in [
        (
            "Site",
            vec!["preview", DEMO_SAVE, "-o", "site.svg"],
            "portrait",
        ),
        (
            "Attestation FC",
            vec![
                "preview",
                DEMO_SAVE,
                "--template",
                "Attestation FC",
                "-o",
                "fc.svg",
            ],
            "landscape",
        ),
    ] {
        let output = run_in(dir.path(), &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{template}: {}",
            stderr(&output)
        );
        let path = args[args.len() - 1];
        let types = detail_types(dir.path(), template);
        assert_eq!(
            stdout(&output),
            format!(
                "wrote {path}: template “{template}”, A4 {orientation}, {} detail(s)\n",
                types.len()
            )
        );
        let svg = std::fs::read_to_string(dir.path().join(path)).expect("the SVG");
        let href = background_href(&svg).expect("the background image");
        assert!(
            href.starts_with("data:image/png;base64,iVBOR"),
            "{href:.60}"
        );
        let drawn: Vec<String> = groups(&svg).into_iter().map(|(kind, _)| kind).collect();
        assert_eq!(drawn, types, "{template}");
    }
}

// Issue 15: the PNG decodes to the page size.
#[test]
fn a_png_preview_has_the_page_size_at_the_resolution_asked() {
    let dir = demo_dir();
    let output = run_in(
        dir.path(),
        &[
            "preview",
            DEMO_SAVE,
            "--template",
            "Attestation FC",
            "-o",
            "fc.png",
            "--dpi",
            "96",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bytes = std::fs::read(dir.path().join("fc.png")).expect("the PNG");
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&bytes).expect("a PNG that decodes");
    // A4 landscape, 297 × 210 mm at 96 dpi.
    assert_eq!((pixmap.width(), pixmap.height()), (1123, 794));
    // The default resolution, 150 dpi, for the portrait "Site".
    let output = run_in(dir.path(), &["preview", DEMO_SAVE, "-o", "site.PNG"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bytes = std::fs::read(dir.path().join("site.PNG")).expect("the PNG");
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&bytes).expect("a PNG that decodes");
    assert_eq!((pixmap.width(), pixmap.height()), (1240, 1754));
}

#[test]
fn the_sites_template_is_read_with_its_image_and_printed_as_json() {
    let dir = demo_dir();
    let output = run_in(
        dir.path(),
        &["--json", "preview", "--site", "Attestation FC"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let result = json(&output);
    assert_eq!(result["template"], "Attestation FC");
    assert_eq!(result["source"], "site");
    assert_eq!(result["format"], "svg");
    assert_eq!(result["output"], Value::Null);
    assert_eq!(result["page"]["orientation"], "landscape", "{result}");
    assert_eq!(result["page"]["width_mm"], 297.0);
    assert_eq!(result["issues"], serde_json::json!([]));
    let svg = result["svg"].as_str().expect("the SVG in the JSON");
    assert!(
        background_href(svg).is_some(),
        "the image from the file store"
    );
    let learner = groups(svg)
        .into_iter()
        .find(|(kind, _)| kind == "learnername")
        .expect("the learner's name");
    assert!(
        learner
            .1
            .contains(&"Attestation délivrée à Prénom NOM".to_owned()),
        "{learner:?}"
    );
}

#[test]
fn without_output_the_svg_goes_to_stdout_and_the_report_to_stderr() {
    let dir = demo_dir();
    let output = run_in(dir.path(), &["preview", DEMO_SAVE]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(groups(&stdout(&output)).len(), 6, "Site's six details");
    assert_eq!(
        stderr(&output),
        "template “Site”, A4 portrait, 6 detail(s)\n"
    );
}

// Issue 15: an unreadable element is a labelled box, and is listed.
#[test]
fn an_unreadable_element_is_a_labelled_box_and_listed_in_both_languages() {
    let dir = demo_dir();
    let text = std::fs::read_to_string(dir.path().join(DEMO_SAVE)).expect("the demo's backup");
    let mut document: Value = serde_json::from_str(&text).expect("JSON");
    let site = document["templates"]
        .as_array_mut()
        .expect("templates")
        .iter_mut()
        .find(|t| t["name"] == "Site")
        .expect("Site");
    site["details"][1]["data"] = Value::from("{\"font\": {\"family\":\"helvetica\"");
    site["details"][2]["data"] = Value::from("{\"font\":{\"family\":\"times\",\"size\":\"12\"}}");
    std::fs::write(
        dir.path().join("edited.json"),
        serde_json::to_string_pretty(&document).expect("JSON"),
    )
    .expect("write");
    // The signature no longer holds: `preview` draws it all the same (`verify` judges files).
    let output = run_in(dir.path(), &["preview", "edited.json", "-o", "edited.svg"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "wrote edited.svg: template “Site”, A4 portrait, 6 detail(s)\n\
         \x20 - detail 2 (learnername): its data is not JSON: drawn as a labelled box in the \
         top-left corner\n\
         \x20 - detail 3 (trainingname): its data has no location x and y in millimetres: drawn \
         as a labelled box in the top-left corner\n"
    );
    let svg = std::fs::read_to_string(dir.path().join("edited.svg")).expect("the SVG");
    let drawn = groups(&svg);
    assert_eq!(drawn.len(), 6);
    assert_eq!(drawn[1].1, ["learnername: data is not JSON"]);
    assert_eq!(drawn[2].1, ["trainingname: no location x, y"]);

    let output = run_in(
        dir.path(),
        &[
            "--lang",
            "fr",
            "--json",
            "preview",
            "edited.json",
            "-o",
            "edited.png",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let result = json(&output);
    assert_eq!(result["format"], "png");
    let issues = result["issues"].as_array().expect("issues");
    assert_eq!(issues.len(), 2, "{result}");
    assert_eq!(issues[0]["detail"], 2);
    assert_eq!(issues[0]["type"], "learnername");
    assert_eq!(issues[0]["code"], "not-json");
    assert_eq!(issues[1]["code"], "no-location");
    assert!(
        issues[0]["message"].as_str().is_some_and(
            |m| m.starts_with("détail 2 (learnername) : ses données ne sont pas du JSON")
        ),
        "{result}"
    );
}

#[test]
fn a_template_that_is_not_there_is_a_usage_error_naming_the_choices() {
    let dir = demo_dir();
    let output = run_in(dir.path(), &["preview", DEMO_SAVE, "--template", "Nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("has no template named “Nope”; its templates: “Attestation FC”, “Site”"),
        "{}",
        stderr(&output)
    );
    let output = run_in(
        dir.path(),
        &["--json", "--lang", "fr", "preview", "--site", "Nope"],
    );
    assert_eq!(output.status.code(), Some(2));
    let result = json(&output);
    assert_eq!(result["error"]["code"], "template-not-found");
    assert_eq!(result["error"]["exit"], 2);
    assert!(
        result["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ce site n'a pas de modèle nommé exactement « Nope »")),
        "{result}"
    );
}

#[test]
fn outputs_are_svg_or_png_and_never_replaced_without_force() {
    let dir = demo_dir();
    let output = run_in(dir.path(), &["preview", DEMO_SAVE, "-o", "out.pdf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("-o out.pdf: give a file name ending in .svg or .png"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("out.pdf").exists());
    let first = run_in(dir.path(), &["preview", DEMO_SAVE, "-o", "out.svg"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let again = run_in(dir.path(), &["preview", DEMO_SAVE, "-o", "out.svg"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("out.svg already exists: pass --force"));
    let forced = run_in(
        dir.path(),
        &["preview", DEMO_SAVE, "-o", "out.svg", "--force"],
    );
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
}

#[test]
fn a_file_that_is_missing_or_not_a_backup_is_refused() {
    let dir = demo_dir();
    let output = run_in(dir.path(), &["preview", "missing.json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    std::fs::write(dir.path().join("notes.json"), "{\"hello\": 1}").expect("write");
    let output = run_in(dir.path(), &["preview", "notes.json"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("notes.json"),
        "{}",
        stderr(&output)
    );
}
