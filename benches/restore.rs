//! Benchmark: the restore of a training with 10,000 learners and 500 milestones on PostgreSQL
//! (precheck, then apply), printed beside a plain multi-row insert of the same rows.
//!
//! `ATTESTOODLE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench
//! --bench restore` — it creates and drops its own database on that server.

use attestoodle_backup::moodle::ids::{CategoryId, CmId, CourseId, UserId};
use std::time::{Duration, Instant};

use attestoodle_backup::demo;
use attestoodle_backup::document::v2::{
    self, Activity, Category, Document, Learner, Milestone, Source, Template, TemplateDetail,
    Training,
};
use attestoodle_backup::moodle::{
    fixture, LearnerValues, MilestoneValues, Param, Site, Target, TrainingValues,
};
use attestoodle_backup::restore::{self, Accepted, ApplyOptions, Mode, Provenance, RestoreOptions};

const LEARNERS: usize = 10_000;
const SECTIONS: usize = 10;
const PER_SECTION: usize = 50;

fn main() {
    let Ok(server) = std::env::var("ATTESTOODLE_BENCH_POSTGRES_URL") else {
        eprintln!(
            "restore benchmark skipped: set ATTESTOODLE_BENCH_POSTGRES_URL to a PostgreSQL \
             server URL, e.g. postgres://postgres@127.0.0.1:5432/postgres"
        );
        return;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("restore benchmark: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(bench(&server)) {
        eprintln!("restore benchmark failed: {e}");
        std::process::exit(1);
    }
}

async fn bench(server: &str) -> Result<(), Box<dyn std::error::Error>> {
    let name = format!("attestoodle_bench_{}", std::process::id());
    let url = fixture::create_database(server, &name).await?;
    let result = run(&url).await;
    fixture::drop_database(server, &name).await?;
    result
}

async fn run(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let site = Site::connect(&Target::url(url, "mdl_", std::path::Path::new("."))?).await?;
    fixture::create_schema(&site).await?;
    demo::seed(&site, None).await?;
    print!(
        "building the site ({LEARNERS} users, {} activities)... ",
        SECTIONS * PER_SECTION
    );
    let started = Instant::now();
    build(&site).await?;
    println!("{}", ms(started.elapsed()));

    let document = document();
    let mut options = RestoreOptions::new(Mode::Restore, Provenance::Trusted("bench".to_owned()));
    options.rename.name = Some("Bench".to_owned());

    let started = Instant::now();
    let plan = restore::precheck(&site, &document, &options).await?;
    let precheck = started.elapsed();
    let started = Instant::now();
    let report = restore::apply(
        &site,
        &plan,
        &Accepted::new(plan.needs_accept()),
        &ApplyOptions::default(),
    )
    .await?;
    let apply = started.elapsed();
    assert_eq!(report.written.learners, LEARNERS);
    assert_eq!(report.written.milestones, SECTIONS * PER_SECTION);

    // The same rows in a plain multi-row insert: the floor a restore is measured against.
    let milestones: Vec<MilestoneValues> = plan
        .milestones
        .iter()
        .filter_map(|m| {
            Some(MilestoneValues {
                creditedtime: m.creditedtime,
                cmid: CmId(m.cmid?),
                course: CourseId(m.course_id?),
                name: m.name.clone(),
                timemodified: 0,
            })
        })
        .collect();
    let learners: Vec<LearnerValues> = plan
        .learners
        .iter()
        .filter_map(|l| {
            Some(LearnerValues {
                userid: UserId(l.userid?),
                predelete: Some(1),
            })
        })
        .collect();
    let category = CategoryId(report.category_id);
    let started = Instant::now();
    let mut tx = site.begin_restore().await?;
    let training = tx
        .insert_training(&TrainingValues {
            name: "Plain".to_owned(),
            category,
            startdate: 0,
            enddate: None,
            duration: None,
            nbautolaunch: None,
            nextlaunch: None,
            checklearner: None,
        })
        .await?;
    tx.insert_milestones(training, &milestones).await?;
    tx.insert_learners(training, category, &learners).await?;
    tx.commit().await?;
    let plain = started.elapsed();

    println!(
        "restore of {LEARNERS} learners and {} milestones on PostgreSQL:",
        milestones.len()
    );
    println!("  precheck                    {}", ms(precheck));
    println!(
        "  apply                       {} ({} write statements)",
        ms(apply),
        report.statements
    );
    println!("  total                       {}", ms(precheck + apply));
    println!("plain multi-row insert of the same rows: {}", ms(plain));
    site.close().await;
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Adds a course of 500 pages in 10 sections and 10,000 users to the demo site.
async fn build(site: &Site) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = fixture::Writer::begin(site).await?;
    // A second `page` module row: instance names are read from the `page` table by type.
    let module = w
        .insert("modules", &[("name", "page".into()), ("search", "".into())])
        .await?;
    let course = w
        .insert(
            "course",
            &[
                ("category", 2.into()),
                ("fullname", "Benchmark".into()),
                ("shortname", "BENCH".into()),
                ("enablecompletion", 1.into()),
            ],
        )
        .await?;
    for s in 0..=SECTIONS {
        let section = w
            .insert(
                "course_sections",
                &[("course", course.into()), ("section", (s as i64).into())],
            )
            .await?;
        if s == 0 {
            continue;
        }
        let mut cms = Vec::new();
        for p in 0..PER_SECTION {
            let instance = w
                .insert(
                    "page",
                    &[
                        ("course", course.into()),
                        ("name", format!("Page {s}-{p}").into()),
                        ("intro", "".into()),
                    ],
                )
                .await?;
            let cm = w
                .insert(
                    "course_modules",
                    &[
                        ("course", course.into()),
                        ("module", module.into()),
                        ("instance", instance.into()),
                        ("section", section.into()),
                        ("completion", 2.into()),
                    ],
                )
                .await?;
            cms.push(cm.to_string());
        }
        w.update(
            "course_sections",
            section,
            "sequence",
            Param::Text(cms.join(",")),
        )
        .await?;
    }
    for i in 0..LEARNERS {
        w.insert(
            "user",
            &[
                ("username", format!("bench{i}").into()),
                ("email", format!("Bench{i}@Example.org").into()),
                ("mnethostid", 1.into()),
            ],
        )
        .await?;
    }
    w.commit().await?;
    Ok(())
}

fn document() -> Document {
    let (details, _) = demo::template_content("Site").unwrap_or_default();
    let mut milestones = Vec::new();
    for s in 1..=SECTIONS {
        for p in 0..PER_SECTION {
            milestones.push(Milestone {
                course: "BENCH".to_owned(),
                section: s as i64,
                position: p as i64,
                activity: Activity {
                    kind: Some("page".to_owned()),
                    name: Some(format!("Page {s}-{p}")),
                    idnumber: None,
                    source_cmid: None,
                },
                creditedtime: 10,
                name: Some(format!("Page {s}-{p}")),
                timemodified: None,
            });
        }
    }
    let mut document = Document {
        format: v2::FORMAT.to_owned(),
        version: v2::VERSION,
        created: "2026-11-28T10:00:00Z".to_owned(),
        generator: "attestoodle-backup bench".to_owned(),
        source: Source {
            wwwroot: None,
            source_training_id: 1,
        },
        training: Training {
            name: "Bench".to_owned(),
            category: Category {
                name: Some("Université Démo".to_owned()),
                idnumber: Some("UDEMO".to_owned()),
                path: vec!["Université Démo".to_owned()],
                source_id: 2,
            },
            startdate: 1_788_220_800,
            enddate: None,
            duration: None,
            nbautolaunch: None,
            nextlaunch: None,
            checklearner: None,
            template: Some("Site".to_owned()),
            grpcriteria1: Some("coursename".to_owned()),
            grpcriteria2: None,
        },
        milestones,
        templates: vec![Template {
            name: "Site".to_owned(),
            details: details
                .iter()
                .map(|(kind, data)| TemplateDetail {
                    kind: (*kind).to_owned(),
                    data: (*data).to_owned(),
                })
                .collect(),
            background: None,
        }],
        learners: (0..LEARNERS)
            .map(|i| Learner {
                email: format!("bench{i}@example.org"),
                username: Some(format!("bench{i}")),
                idnumber: None,
                selected: Some(0),
                predelete: Some(1),
                resultcriteria: Some(String::new()),
            })
            .collect(),
        learner_styles: Vec::new(),
        planning: None,
        signature: None,
    };
    v2::sort(&mut document);
    document
}
