//! The embedded demo site: a realistic small Moodle with Attestoodle trainings, in a SQLite file
//! and a file store laid out like Moodle's `filedir`, so that every command can be tried at once.
//!
//! The content is data ([`COURSES`], [`LEARNERS`], [`TRAININGS`], ...); [`seed`] writes it on
//! every backend, which the tests use: the Moodle core rows through [`crate::moodle::fixture`],
//! one function per table, and the Attestoodle rows through the typed writes of a restore
//! ([`crate::moodle::RestoreTx`]), so that the demo and a restore write the same rows the same
//! way. This module names no table.

use std::path::{Path, PathBuf};

use crate::moodle::fixture::{self, Writer};
use crate::moodle::ids::{CategoryId, CmId, CourseId, UserId};
use crate::moodle::{
    files, store_file_content, Error, FileStore, LearnerValues, MilestoneValues, Param,
    PlanningValues, Site, StyleValues, Target, TrainingValues, DEMO_MARKER,
};

/// The time the demo site pretends to have been built: 2026-06-15 09:00 UTC.
const NOW: i64 = 1_781_514_000;
/// 2026-09-01 00:00 UTC, the start of the demo trainings.
const SEPT_2026: i64 = 1_788_220_800;
/// 2027-01-31 00:00 UTC.
const JAN_2027: i64 = 1_801_353_600;

/// A course category: name, idnumber (`""` for none, as Moodle often stores it), parent index.
struct DemoCategory {
    name: &'static str,
    idnumber: Option<&'static str>,
    parent: Option<usize>,
}

const CATEGORIES: &[DemoCategory] = &[
    DemoCategory {
        name: "Divers",
        idnumber: None,
        parent: None,
    },
    DemoCategory {
        name: "Université Démo",
        idnumber: Some("UDEMO"),
        parent: None,
    },
    DemoCategory {
        name: "Faculté des Sciences",
        idnumber: Some("UDEMO-SCI"),
        parent: Some(1),
    },
    DemoCategory {
        name: "Licence Chimie",
        idnumber: Some("UDEMO-SCI-LCHIM"),
        parent: Some(2),
    },
    DemoCategory {
        name: "Langues",
        idnumber: Some(""),
        parent: Some(1),
    },
    DemoCategory {
        name: "Formation continue",
        idnumber: Some("FC"),
        parent: None,
    },
    DemoCategory {
        name: "Sécurité et hygiène",
        idnumber: Some("FC-SEC"),
        parent: Some(5),
    },
];

/// An activity: module type, French name, completion (0 none, 1 manual, 2 automatic), idnumber.
type DemoActivity = (&'static str, &'static str, i64, Option<&'static str>);

/// A section: its name and activities. A section whose name starts with `>` is a sub-section
/// (Moodle 4.4+ delegated section) placed in the previous regular section.
type DemoSection = (&'static str, &'static [DemoActivity]);

struct DemoCourse {
    shortname: &'static str,
    fullname: &'static str,
    category: usize,
    completion: bool,
    sections: &'static [DemoSection],
}

const CHIM101_SECTIONS: &[DemoSection] = &[
    ("", &[("page", "Présentation du cours", 1, None)]),
    (
        "Atomes et molécules",
        &[
            ("page", "Cours : structure de l'atome", 2, None),
            ("quiz", "Quiz : atomes et molécules", 2, None),
            ("url", "Lien : tableau périodique interactif", 1, None),
        ],
    ),
    (
        "Liaisons chimiques",
        &[
            ("assign", "Devoir : rapport de TP n°1", 2, None),
            ("quiz", "Quiz : liaisons covalentes et ioniques", 2, None),
        ],
    ),
    ("Révisions", &[]),
    (
        "Réactions",
        &[
            ("page", "Cours : équilibres chimiques", 2, None),
            (
                "assign",
                "Devoir : compte rendu final",
                2,
                Some("CHIM101-FINAL"),
            ),
        ],
    ),
];

const CHIM102_SECTIONS: &[DemoSection] = &[
    (
        "",
        &[("page", "Présentation de la chimie organique", 0, None)],
    ),
    (
        "Nomenclature",
        &[
            ("page", "Cours : nommer les molécules", 2, None),
            ("quiz", "Quiz : nomenclature", 2, None),
        ],
    ),
    (
        "Synthèse",
        &[("page", "Cours : mécanismes réactionnels", 2, None)],
    ),
    (
        ">Travaux pratiques",
        &[
            ("assign", "TP 1 : synthèse de l'aspirine", 2, Some("TP1")),
            ("assign", "TP 2 : extraction de la caféine", 2, Some("TP2")),
        ],
    ),
];

const SEC_SECTIONS: &[DemoSection] = &[
    ("", &[("page", "Consignes générales", 1, None)]),
    (
        "Prévention",
        &[
            ("page", "Le triangle du feu", 2, None),
            ("quiz", "Quiz : classes de feux", 2, None),
        ],
    ),
    (
        "Évacuation",
        &[
            ("url", "Vidéo : exercice d'évacuation", 1, None),
            ("assign", "Plan d'évacuation de votre service", 2, None),
        ],
    ),
];

const HACCP_SECTIONS: &[DemoSection] = &[
    ("", &[]),
    (
        "Les 7 principes HACCP",
        &[
            ("page", "Les dangers biologiques", 2, None),
            ("quiz", "Quiz final HACCP", 2, Some("HACCP-QUIZ")),
        ],
    ),
];

const ANG_SECTIONS: &[DemoSection] = &[
    ("", &[("page", "Welcome / Bienvenue", 1, None)]),
    (
        "Unit 1 – Meetings",
        &[
            ("quiz", "Listening: a project meeting", 2, None),
            ("assign", "Writing: minutes of a meeting", 2, None),
        ],
    ),
    (
        "Unit 2 – Presentations",
        &[
            ("url", "Podcast : « Presenting with confidence »", 1, None),
            ("assign", "Speaking: record a 3-minute pitch", 2, None),
        ],
    ),
    ("Unit 3 – Négociation", &[]),
];

const PSC1_SECTIONS: &[DemoSection] = &[
    ("", &[("page", "Organisation de la formation", 1, None)]),
    (
        "Gestes de secours",
        &[
            ("page", "Protéger, alerter, secourir", 2, None),
            ("quiz", "Quiz : la position latérale de sécurité", 2, None),
        ],
    ),
];

const BIB_SECTIONS: &[DemoSection] = &[(
    "",
    &[("page", "Chercher dans le catalogue de la BU", 0, None)],
)];

const COURSES: &[DemoCourse] = &[
    DemoCourse {
        shortname: "CHIM101",
        fullname: "Chimie générale",
        category: 3,
        completion: true,
        sections: CHIM101_SECTIONS,
    },
    DemoCourse {
        shortname: "CHIM102",
        fullname: "Chimie organique",
        category: 3,
        completion: true,
        sections: CHIM102_SECTIONS,
    },
    DemoCourse {
        shortname: "SEC-INC-101",
        fullname: "Sécurité incendie",
        category: 6,
        completion: true,
        sections: SEC_SECTIONS,
    },
    DemoCourse {
        shortname: "HACCP/2026",
        fullname: "Hygiène alimentaire (HACCP)",
        category: 6,
        completion: true,
        sections: HACCP_SECTIONS,
    },
    DemoCourse {
        shortname: "ANG-B2",
        fullname: "Anglais B2 – communication professionnelle",
        category: 4,
        completion: true,
        sections: ANG_SECTIONS,
    },
    DemoCourse {
        shortname: "PSC1",
        fullname: "Premiers secours – PSC1",
        category: 5,
        completion: true,
        sections: PSC1_SECTIONS,
    },
    DemoCourse {
        shortname: "BIB-DOC",
        fullname: "Méthodologie documentaire",
        category: 0,
        completion: false,
        sections: BIB_SECTIONS,
    },
    // Next year's copies, as a yearly course restore makes them: same structure, new ids.
    DemoCourse {
        shortname: "CHIM101_2027",
        fullname: "Chimie générale (2027)",
        category: 3,
        completion: true,
        sections: CHIM101_SECTIONS,
    },
    DemoCourse {
        shortname: "CHIM102_2027",
        fullname: "Chimie organique (2027)",
        category: 3,
        completion: true,
        sections: CHIM102_SECTIONS,
    },
    DemoCourse {
        shortname: "ANG-B2_2027",
        fullname: "Anglais B2 – communication professionnelle (2027)",
        category: 4,
        completion: true,
        sections: ANG_SECTIONS,
    },
];

/// A user: username, first name, last name, email, and what is special about the account.
struct DemoUser {
    username: &'static str,
    firstname: &'static str,
    lastname: &'static str,
    email: &'static str,
    state: UserState,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum UserState {
    Active,
    Suspended,
    Deleted,
    /// Logs in through CAS: no local password hash.
    Cas,
}

const fn user(
    username: &'static str,
    firstname: &'static str,
    lastname: &'static str,
    email: &'static str,
) -> DemoUser {
    DemoUser {
        username,
        firstname,
        lastname,
        email,
        state: UserState::Active,
    }
}

const fn with(mut u: DemoUser, state: UserState) -> DemoUser {
    u.state = state;
    u
}

/// Learners, in the order they get their ids (the admin and guest come first).
const LEARNERS: &[DemoUser] = &[
    user(
        "camille.martin",
        "Camille",
        "Martin",
        "Camille.Martin@Etu.Univ-Demo.fr",
    ),
    user(
        "lea.bernard",
        "Léa",
        "Bernard",
        "lea.bernard@etu.univ-demo.fr",
    ),
    user(
        "hugo.dubois",
        "Hugo",
        "Dubois",
        "hugo.dubois@etu.univ-demo.fr",
    ),
    user(
        "chloe.thomas",
        "Chloé",
        "Thomas",
        "chloe.thomas@etu.univ-demo.fr",
    ),
    user(
        "louis.robert",
        "Louis",
        "Robert",
        "louis.robert@etu.univ-demo.fr",
    ),
    user(
        "manon.richard",
        "Manon",
        "Richard",
        "manon.richard@etu.univ-demo.fr",
    ),
    user(
        "nathan.petit",
        "Nathan",
        "Petit",
        "nathan.petit@etu.univ-demo.fr",
    ),
    user(
        "ines.durand",
        "Inès",
        "Durand",
        "ines.durand@etu.univ-demo.fr",
    ),
    user(
        "jules.leroy",
        "Jules",
        "Leroy",
        "jules.leroy@etu.univ-demo.fr",
    ),
    user(
        "sarah.moreau",
        "Sarah",
        "Moreau",
        "sarah.moreau@etu.univ-demo.fr",
    ),
    user(
        "gabriel.simon",
        "Gabriel",
        "Simon",
        "gabriel.simon@etu.univ-demo.fr",
    ),
    user(
        "zoe.laurent",
        "Zoé",
        "Laurent",
        "zoe.laurent@etu.univ-demo.fr",
    ),
    // Two accounts sharing one address (allowaccountssameemail is on).
    user(
        "julien.lefebvre",
        "Julien",
        "Lefebvre",
        "famille.lefebvre@exemple.fr",
    ),
    user(
        "julie.lefebvre",
        "Julie",
        "Lefebvre",
        "famille.lefebvre@exemple.fr",
    ),
    with(
        user(
            "arthur.michel",
            "Arthur",
            "Michel",
            "arthur.michel@etu.univ-demo.fr",
        ),
        UserState::Suspended,
    ),
    with(
        user(
            "lucas.garcia",
            "Lucas",
            "Garcia",
            "lucas.garcia@etu.univ-demo.fr",
        ),
        UserState::Deleted,
    ),
    with(
        user("emma.david", "Emma", "David", "emma.david@univ-demo.fr"),
        UserState::Cas,
    ),
    user(
        "adam.bertrand",
        "Adam",
        "Bertrand",
        "adam.bertrand@hopital-demo.fr",
    ),
    user("lina.roux", "Lina", "Roux", "lina.roux@hopital-demo.fr"),
    user(
        "raphael.vincent",
        "Raphaël",
        "Vincent",
        "raphael.vincent@hopital-demo.fr",
    ),
    user(
        "jade.fournier",
        "Jade",
        "Fournier",
        "jade.fournier@mairie-demo.fr",
    ),
    user(
        "louise.morel",
        "Louise",
        "Morel",
        "louise.morel@mairie-demo.fr",
    ),
    user(
        "maël.girard",
        "Maël",
        "Girard",
        "mael.girard@mairie-demo.fr",
    ),
    user(
        "alice.andre",
        "Alice",
        "André",
        "alice.andre@cantine-demo.fr",
    ),
    user(
        "tom.lefevre",
        "Tom",
        "Lefèvre",
        "tom.lefevre@cantine-demo.fr",
    ),
    user(
        "rose.mercier",
        "Rose",
        "Mercier",
        "rose.mercier@etu.univ-demo.fr",
    ),
    user(
        "noah.dupont",
        "Noah",
        "Dupont",
        "noah.dupont@etu.univ-demo.fr",
    ),
    user(
        "anna.lambert",
        "Anna",
        "Lambert",
        "anna.lambert@etu.univ-demo.fr",
    ),
    user("leo.bonnet", "Léo", "Bonnet", "leo.bonnet@etu.univ-demo.fr"),
    user(
        "mila.francois",
        "Mila",
        "François",
        "mila.francois@etu.univ-demo.fr",
    ),
    user(
        "ethan.martinez",
        "Ethan",
        "Martinez",
        "ethan.martinez@etu.univ-demo.fr",
    ),
    user(
        "eva.legrand",
        "Éva",
        "Legrand",
        "eva.legrand@etu.univ-demo.fr",
    ),
];

/// A certificate template: name, owner id, details (type, data kept byte for byte), and the
/// background image bytes.
struct DemoTemplate {
    name: &'static str,
    details: &'static [(&'static str, &'static str)],
    background: Option<(&'static str, &'static [u8])>,
}

const TEMPLATES: &[DemoTemplate] = &[
    // As tool_attestoodle's settings.php seeds it, odd spacing included (docs/moodle-tables.md §9).
    DemoTemplate {
        name: "Site",
        details: &[
            ("background", "{\"filename\":\"attest_background.png\"}"),
            (
                "learnername",
                "{\"font\": {\"family\":\"helvetica\", \"emphasis\":\"\", \"size\":\"14\"}, \"location\": {\"x\":\"66\", \"y\":\"33\"}, \"align\":\"L\"}",
            ),
            (
                "trainingname",
                "{\"font\": {\"family\":\"helvetica\", \"emphasis\":\"\", \"size\":\"14\"}, \"location\": {\"x\":\"66\", \"y\":\"39\"}, \"align\":\"L\"}",
            ),
            (
                "period",
                "{\"font\": {\"family\":\"helvetica\", \"emphasis\":\"B\", \"size\":\"14\"}, \"location\": {\"x\":\"110\", \"y\":\"18\"}, \"align\":\"L\"}",
            ),
            (
                "totalminutes",
                "{\"font\": {\"family\":\"helvetica\", \"emphasis\":\"B\", \"size\":\"14\"}, \"location\": {\"x\":\"86\", \"y\":\"45\"}, \"align\":\"L\"}",
            ),
            (
                "activities",
                "{\"font\": {\"family\":\"helvetica\", \"emphasis\":\"\", \"size\":\"10\"}, \"location\": {\"x\":\"50\", \"y\":\"60\"}, \"align\":\"C\"}",
            ),
        ],
        background: Some((
            "attest_background.png",
            include_bytes!("../assets/demo/attest_background.png"),
        )),
    },
    DemoTemplate {
        name: "Attestation FC",
        details: &[
            ("background", "{\"filename\":\"fond_fc.png\"}"),
            (
                "learnername",
                "{\"font\":{\"family\":\"times\",\"emphasis\":\"B\",\"size\":\"20\"},\"location\":{\"x\":40,\"y\":50},\"align\":\"C\",\"lib\":\"Attestation délivrée à \"}",
            ),
            (
                "trainingname",
                "{\"font\":{\"family\":\"times\",\"emphasis\":\"\",\"size\":\"16\"},\"location\":{\"x\":40,\"y\":62},\"align\":\"C\",\"lib\":\"pour la formation \"}",
            ),
            (
                "period",
                "{\"font\":{\"family\":\"helvetica\",\"emphasis\":\"I\",\"size\":\"12\"},\"location\":{\"x\":40,\"y\":72},\"align\":\"C\"}",
            ),
            (
                "cumulminutes",
                "{\"font\":{\"family\":\"helvetica\",\"emphasis\":\"B\",\"size\":\"12\"},\"location\":{\"x\":40,\"y\":80},\"align\":\"C\",\"lib\":\"Durée totale validée : \"}",
            ),
            (
                "activities",
                "{\"font\":{\"family\":\"helvetica\",\"emphasis\":\"\",\"size\":\"10\"},\"location\":{\"x\":30,\"y\":95},\"align\":\"L\",\"size\":237}",
            ),
            (
                "text",
                "{\"font\":{\"family\":\"helvetica\",\"emphasis\":\"I\",\"size\":\"8\"},\"location\":{\"x\":30,\"y\":190},\"align\":\"L\",\"lib\":\"Université Démo — Service de formation continue\\nAttestation établie d'après l'achèvement des activités.\"}",
            ),
            (
                "pagebreak",
                "{\"numpage\":\"any\",\"repeatbackground\":true,\"repeatstart\":false,\"repeatend\":true}",
            ),
            (
                "pagenumber",
                "{\"font\":{\"family\":\"helvetica\",\"emphasis\":\"\",\"size\":\"8\"},\"location\":{\"x\":270,\"y\":200},\"align\":\"R\",\"ontotal\":true}",
            ),
        ],
        background: Some(("fond_fc.png", include_bytes!("../assets/demo/fond_fc.png"))),
    },
];

/// A milestone: course short name, section index, activity index in it, credited minutes.
type DemoMilestone = (&'static str, usize, usize, i64);

/// A learner style: learner index, template index, enablecertificate, grpcriteria1, 2.
type DemoStyle = (
    usize,
    usize,
    Option<i64>,
    Option<&'static str>,
    Option<&'static str>,
);

struct DemoTraining {
    name: &'static str,
    category: usize,
    startdate: i64,
    enddate: Option<i64>,
    duration: Option<i64>,
    template: usize,
    grpcriteria: (Option<&'static str>, Option<&'static str>),
    milestones: &'static [DemoMilestone],
    /// A milestone whose activity was deleted since (an orphan, as sites have them).
    orphan: Option<(&'static str, &'static str, i64)>,
    learners: &'static [usize],
    styles: &'static [DemoStyle],
    /// Planned certificate runs (tool_taskattestoodle): execution, begin, end, mailto, auto.
    planning: &'static [(i64, i64, i64, Option<&'static str>, i64)],
}

const TRAININGS: &[DemoTraining] = &[
    DemoTraining {
        name: "Licence Chimie S1 2026",
        category: 3,
        startdate: SEPT_2026,
        enddate: Some(JAN_2027),
        duration: Some(6000),
        template: 0,
        grpcriteria: (Some("coursename"), None),
        milestones: &[
            ("CHIM101", 1, 0, 90),
            ("CHIM101", 1, 1, 30),
            ("CHIM101", 2, 0, 240),
            ("CHIM101", 2, 1, 30),
            ("CHIM101", 4, 1, 300),
            ("CHIM102", 1, 1, 45),
            ("CHIM102", 2, 0, 120),
            ("CHIM102", 3, 0, 180),
            ("CHIM102", 3, 1, 180),
        ],
        orphan: None,
        learners: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14],
        styles: &[
            (4, 0, Some(0), Some("coursename"), None),
            (9, 1, Some(1), Some("type"), Some("name")),
        ],
        planning: &[],
    },
    DemoTraining {
        name: "Sécurité & Hygiène 2026",
        category: 6,
        startdate: SEPT_2026,
        enddate: Some(1_796_083_200),
        duration: Some(840),
        template: 1,
        grpcriteria: (Some("coursename"), Some("type")),
        milestones: &[
            ("SEC-INC-101", 1, 0, 60),
            ("SEC-INC-101", 1, 1, 15),
            ("SEC-INC-101", 2, 1, 120),
            ("HACCP/2026", 1, 0, 90),
            ("HACCP/2026", 1, 1, 30),
        ],
        orphan: Some(("SEC-INC-101", "Ancienne vidéo : extincteurs", 20)),
        learners: &[17, 18, 19, 20, 21, 22, 23, 24],
        styles: &[(20, 0, Some(1), Some("name"), None)],
        planning: &[
            (
                1_793_491_200,
                SEPT_2026,
                1_793_404_800,
                Some("formation.continue@univ-demo.fr"),
                1,
            ),
            (
                1_796_169_600,
                1_793_404_800,
                1_796_083_200,
                Some("formation.continue@univ-demo.fr"),
                1,
            ),
        ],
    },
    DemoTraining {
        name: "Anglais B2 – session d'automne",
        category: 4,
        startdate: SEPT_2026,
        enddate: Some(JAN_2027),
        duration: Some(1500),
        template: 0,
        grpcriteria: (Some("name"), Some("type")),
        milestones: &[
            ("ANG-B2", 1, 0, 60),
            ("ANG-B2", 1, 1, 90),
            ("ANG-B2", 2, 0, 20),
            ("ANG-B2", 2, 1, 60),
        ],
        orphan: None,
        learners: &[10, 11, 13, 15, 16, 25, 26],
        styles: &[(16, 0, Some(0), Some("name"), None)],
        planning: &[],
    },
];

/// The content of a demo template: details `(type, data)` in order, and the background
/// `(filename, bytes)`.
pub type TemplateContent = (
    Vec<(&'static str, &'static str)>,
    Option<(&'static str, &'static [u8])>,
);

/// The content of the demo template named `name`, for tests and benchmarks that build backup
/// documents by hand.
pub fn template_content(name: &str) -> Option<TemplateContent> {
    TEMPLATES
        .iter()
        .find(|t| t.name == name)
        .map(|t| (t.details.to_vec(), t.background))
}

/// The username of the demo site's administrator, who can log in to `serve`.
pub const DEMO_ADMIN_USERNAME: &str = "admin";

/// The password of the demo site's administrator. It is printed by `demo`: the demo site is for
/// trying the tool, never for real data.
pub const DEMO_ADMIN_PASSWORD: &str = "Demo-Admin-2026!";

/// `password_hash(DEMO_ADMIN_PASSWORD, PASSWORD_DEFAULT, ['cost' => 10])` made by PHP 8.2: the
/// `$2y$` bcrypt form every Moodle from 3.8 to 5.x accepts.
const DEMO_ADMIN_PASSWORD_HASH: &str =
    "$2y$10$bEiEGMdVD9TSDOa5vKZG/O.KzAaapi0/TP.hsWVYOYlzJKfNLqbXW";

/// What the demo made, for the summary it prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSite {
    /// The SQLite file.
    pub database: PathBuf,
    /// The directory used as Moodle's `dataroot` (its `filedir` holds the template images).
    pub dataroot: PathBuf,
    /// Whether this run created the site (false: it was already there).
    pub created: bool,
    /// Numbers of categories, courses, activities, users, trainings and templates made.
    pub counts: DemoCounts,
}

/// Numbers of things in the demo site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    /// Course categories.
    pub categories: usize,
    /// Courses, the front page aside.
    pub courses: usize,
    /// Course modules.
    pub activities: usize,
    /// User accounts, guest and admin included.
    pub users: usize,
    /// Trainings.
    pub trainings: usize,
    /// Certificate templates.
    pub templates: usize,
}

/// Writes a live Moodle session of the demo administrator into the demo site's `sessions`
/// table, as Moodle writes one at login, and returns its id: with `serve --moodle-session`, a
/// browser that sends it as the `MoodleSession` cookie is logged in (issue 11: the Moodle-session
/// login can be tried on the demo). Like Moodle's, it ends after 8 hours without a request.
/// `None` for a demo site made by an older version, which has no `sessions` table.
pub async fn moodle_session(site: &Site) -> Result<Option<String>, Error> {
    if !fixture::has_sessions_table(site).await? {
        return Ok(None);
    }
    use rand_core::{OsRng, RngCore as _};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 26];
    OsRng.fill_bytes(&mut bytes);
    let sid: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    let admin = site
        .user_for_login(DEMO_ADMIN_USERNAME)
        .await?
        .map_or(0, |user| user.id);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut w = Writer::begin(site).await?;
    w.insert_session(&[
        ("state", 0.into()),
        ("sid", sid.clone().into()),
        ("userid", admin.into()),
        ("timecreated", now.into()),
        ("timemodified", now.into()),
        ("firstip", "127.0.0.1".into()),
        ("lastip", "127.0.0.1".into()),
    ])
    .await?;
    w.commit().await?;
    Ok(Some(sid))
}

/// Creates the demo site in `database` (a SQLite file) with its file store beside it, or
/// reuses it when it is already a demo site. Refuses any other existing file.
pub async fn create_or_open(database: &Path) -> Result<DemoSite, Error> {
    let dataroot = crate::moodle::demo_dataroot(database);
    if database.exists() {
        let site = Site::connect(&Target::sqlite_file(database, false)).await?;
        let is_demo = site.is_demo().await;
        site.close().await;
        if !is_demo? {
            return Err(Error::NotADemoSite {
                path: database.to_owned(),
            });
        }
        return Ok(DemoSite {
            database: database.to_owned(),
            dataroot,
            created: false,
            counts: DemoCounts::default(),
        });
    }
    let result = build(database, &dataroot).await;
    if result.is_err() {
        // A half-made demo would be refused next time; leave nothing behind.
        let _ = std::fs::remove_file(database);
        let _ = std::fs::remove_dir_all(&dataroot);
    }
    let counts = result?;
    Ok(DemoSite {
        database: database.to_owned(),
        dataroot,
        created: true,
        counts,
    })
}

async fn build(database: &Path, dataroot: &Path) -> Result<DemoCounts, Error> {
    let site = Site::connect(&Target::sqlite_file(database, true)).await?;
    let result = async {
        fixture::create_schema(&site).await?;
        seed(&site, Some(&dataroot.join("filedir"))).await
    }
    .await;
    site.close().await;
    result
}

/// Writes the demo content into a site whose schema exists, in one transaction, and the
/// template images into `filedir` when given. Works on every backend.
pub async fn seed(site: &Site, filedir: Option<&Path>) -> Result<DemoCounts, Error> {
    let mut w = Writer::begin(site).await?;
    let mut counts = DemoCounts::default();

    for (name, value) in [
        ("version", "2024100700.00"),
        ("release", "4.5 (Build: 20241007)"),
        ("siteadmins", "2"),
        ("siteguest", "1"),
        ("mnet_localhost_id", "1"),
        ("allowaccountssameemail", "1"),
        // As a real site stores them: the zone not forced, the site's own zone.
        ("forcetimezone", "99"),
        ("timezone", "Europe/Paris"),
        (DEMO_MARKER, "1"),
    ] {
        w.insert_config(name, value).await?;
    }
    for (plugin, value) in [
        ("tool_attestoodle", "2025020500"),
        ("tool_taskattestoodle", "2023083101"),
    ] {
        w.insert_plugin_version(plugin, value).await?;
    }
    let system_context = w
        .insert_context(&[
            ("contextlevel", 10.into()),
            ("instanceid", 0.into()),
            ("path", Param::NullText),
            ("depth", 1.into()),
        ])
        .await?;
    w.set_context_path(system_context, &format!("/{system_context}"))
        .await?;

    // Categories, each with its path of ids.
    let mut category_ids: Vec<i64> = Vec::new();
    let mut category_paths: Vec<String> = Vec::new();
    for (i, category) in CATEGORIES.iter().enumerate() {
        let (parent_id, parent_path, depth) = match category.parent {
            Some(p) => (
                category_ids[p],
                category_paths[p].clone(),
                category_paths[p].matches('/').count() as i64 + 1,
            ),
            None => (0, String::new(), 1),
        };
        let id = w
            .insert_category(&[
                ("name", category.name.into()),
                ("idnumber", category.idnumber.into()),
                ("parent", parent_id.into()),
                ("sortorder", ((i as i64 + 1) * 10000).into()),
                ("depth", depth.into()),
                ("path", "".into()),
                ("timemodified", NOW.into()),
            ])
            .await?;
        let path = format!("{parent_path}/{id}");
        w.set_category_path(id, &path).await?;
        category_ids.push(id);
        category_paths.push(path);
    }
    counts.categories = CATEGORIES.len();

    // The front page course, as every Moodle has it.
    w.insert_course(&[
        ("category", 0.into()),
        ("fullname", "Université Démo — Moodle".into()),
        ("shortname", "udemo".into()),
        ("format", "site".into()),
        ("timecreated", NOW.into()),
        ("timemodified", NOW.into()),
    ])
    .await?;

    let mut module_ids = std::collections::HashMap::new();
    for name in ["assign", "page", "quiz", "url", "subsection"] {
        let id = w.insert_module_type(name).await?;
        module_ids.insert(name, id);
    }

    // Courses, their sections and activities. `cms[course][section][position]` = cmid.
    let mut cms: std::collections::HashMap<&str, Vec<Vec<i64>>> = Default::default();
    let mut course_ids: std::collections::HashMap<&str, i64> = Default::default();
    for (c, course) in COURSES.iter().enumerate() {
        let created = NOW + 3600 * c as i64;
        let course_id = w
            .insert_course(&[
                ("category", category_ids[course.category].into()),
                ("sortorder", (10000 + c as i64).into()),
                ("fullname", course.fullname.into()),
                ("shortname", course.shortname.into()),
                ("summary", Param::NullText),
                ("format", "topics".into()),
                ("startdate", SEPT_2026.into()),
                ("enddate", JAN_2027.into()),
                ("lang", "".into()),
                ("calendartype", "".into()),
                ("theme", "".into()),
                ("timecreated", created.into()),
                ("timemodified", created.into()),
                ("enablecompletion", i64::from(course.completion).into()),
                ("cacherev", created.into()),
            ])
            .await?;
        course_ids.insert(course.shortname, course_id);
        w.insert_context(&[
            ("contextlevel", 50.into()),
            ("instanceid", course_id.into()),
            ("depth", 3.into()),
        ])
        .await?;
        let (course_cms, activities) =
            seed_sections(&mut w, course, course_id, created, &module_ids).await?;
        counts.activities += activities;
        cms.insert(course.shortname, course_cms);
    }
    counts.courses = COURSES.len();

    // Users: guest, admin, then the learners.
    let guest = DemoUser {
        username: "guest",
        firstname: "Invité",
        lastname: " ",
        email: "root@localhost",
        state: UserState::Active,
    };
    let admin = DemoUser {
        username: "admin",
        firstname: "Admin",
        lastname: "Démo",
        email: "admin@univ-demo.fr",
        state: UserState::Active,
    };
    insert_user(&mut w, &guest, "adminsetuppending", 0).await?;
    let admin_id = insert_user(&mut w, &admin, DEMO_ADMIN_PASSWORD_HASH, 1).await?;
    let mut user_ids = Vec::new();
    for (i, learner) in LEARNERS.iter().enumerate() {
        user_ids.push(insert_user(&mut w, learner, "", i as i64 + 2).await?);
    }
    counts.users = LEARNERS.len() + 2;

    w.commit().await?;

    // The Attestoodle rows, through the typed writes of a restore.
    let mut tx = site.begin_restore().await?;
    let store = FileStore {
        filedir: filedir.map(Path::to_owned).unwrap_or_default(),
        system_context,
    };
    // The ids as the typed writes take them.
    let admin_id = UserId(admin_id);
    let mut template_ids = Vec::new();
    for template in TEMPLATES {
        let id = tx.insert_template(template.name, admin_id, NOW).await?;
        let details: Vec<(String, String)> = template
            .details
            .iter()
            .map(|(kind, data)| ((*kind).to_owned(), (*data).to_owned()))
            .collect();
        tx.set_template_details(id, &details, admin_id, NOW).await?;
        if let Some((filename, bytes)) = template.background {
            let contenthash = match filedir {
                Some(filedir) => {
                    // The `.` directory row's empty content too, as Moodle's file store has it.
                    store_file_content(filedir, b"")?;
                    store_file_content(filedir, bytes)?
                }
                None => files::sha1_hex(bytes),
            };
            tx.set_background_rows(
                &store,
                id,
                filename,
                "image/png",
                bytes.len() as i64,
                &contenthash,
                admin_id,
                NOW,
            )
            .await?;
        }
        template_ids.push(id);
    }
    counts.templates = TEMPLATES.len();

    for training in TRAININGS {
        let category_id = CategoryId(category_ids[training.category]);
        let id = tx
            .insert_training(&TrainingValues {
                name: training.name.to_owned(),
                category: category_id,
                startdate: training.startdate,
                enddate: training.enddate,
                duration: training.duration,
                nbautolaunch: Some(training.planning.len() as i64),
                nextlaunch: Some(training.planning.first().map_or(0, |p| p.0)),
                checklearner: None,
            })
            .await?;
        let mut milestones: Vec<MilestoneValues> = training
            .milestones
            .iter()
            .map(|(shortname, section, position, minutes)| MilestoneValues {
                creditedtime: *minutes,
                cmid: CmId(
                    cms.get(shortname)
                        .and_then(|s| s.get(*section))
                        .and_then(|s| s.get(*position))
                        .copied()
                        .unwrap_or_default(),
                ),
                course: CourseId(course_ids.get(shortname).copied().unwrap_or_default()),
                name: COURSES
                    .iter()
                    .find(|c| c.shortname == *shortname)
                    .map(|c| c.sections[*section].1[*position].1.to_owned()),
                timemodified: NOW,
            })
            .collect();
        if let Some((shortname, name, minutes)) = training.orphan {
            // The activity was deleted after the milestone was made: its cmid exists nowhere.
            milestones.push(MilestoneValues {
                creditedtime: minutes,
                cmid: CmId(999_999),
                course: CourseId(course_ids.get(shortname).copied().unwrap_or_default()),
                name: Some(name.to_owned()),
                timemodified: NOW,
            });
        }
        tx.insert_milestones(id, &milestones).await?;
        tx.insert_train_style(
            id,
            template_ids[training.template],
            training.grpcriteria.0,
            training.grpcriteria.1,
        )
        .await?;
        let learners: Vec<LearnerValues> = training
            .learners
            .iter()
            .map(|learner| LearnerValues {
                userid: UserId(user_ids[*learner]),
                predelete: Some(1),
            })
            .collect();
        tx.insert_learners(id, category_id, &learners).await?;
        let styles: Vec<StyleValues> = training
            .styles
            .iter()
            .map(|(learner, template, enable, grp1, grp2)| StyleValues {
                userid: UserId(user_ids[*learner]),
                template: template_ids[*template],
                grpcriteria1: grp1.map(str::to_owned),
                grpcriteria2: grp2.map(str::to_owned),
                enablecertificate: *enable,
                withdateformat: None,
            })
            .collect();
        tx.insert_styles(id, &styles).await?;
        let planning: Vec<PlanningValues> = training
            .planning
            .iter()
            .map(|(execution, begin, end, mailto, auto)| PlanningValues {
                executiondate: *execution,
                beginperiod: *begin,
                endperiod: *end,
                mailto: mailto.map(str::to_owned),
                operatorid: admin_id,
                auto: Some(*auto),
                togenerate: 1,
            })
            .collect();
        tx.insert_planning(id, &planning).await?;
    }
    counts.trainings = TRAININGS.len();
    tx.commit().await?;
    Ok(counts)
}

/// Writes a course's sections and activities; gives the cmids by section and position, and the
/// number of activities.
async fn seed_sections(
    w: &mut Writer<'_>,
    course: &DemoCourse,
    course_id: i64,
    created: i64,
    module_ids: &std::collections::HashMap<&str, i64>,
) -> Result<(Vec<Vec<i64>>, usize), Error> {
    let mut by_section: Vec<Vec<i64>> = Vec::new();
    let mut count = 0;
    // Regular sections are numbered first; delegated ones come after them, as in Moodle.
    let regular = course
        .sections
        .iter()
        .filter(|(name, _)| !name.starts_with('>'))
        .count() as i64;
    let mut next_delegated = regular;
    let mut last_regular: Option<(i64, Vec<i64>)> = None;
    for (number, (name, activities)) in course.sections.iter().enumerate() {
        let delegated = name.strip_prefix('>');
        let (section_number, component, itemid, display_name) = match delegated {
            Some(sub_name) => {
                // The sub-section's own cm lives in the parent section's sequence.
                let instance = w
                    .insert_activity(
                        "subsection",
                        &[
                            ("course", course_id.into()),
                            ("name", sub_name.into()),
                            ("timemodified", created.into()),
                        ],
                    )
                    .await?;
                let number = next_delegated;
                next_delegated += 1;
                (number, Some("mod_subsection"), Some(instance), sub_name)
            }
            None => (number as i64, None, None, *name),
        };
        let section_id = w
            .insert_section(&[
                ("course", course_id.into()),
                ("section", section_number.into()),
                (
                    "name",
                    if display_name.is_empty() {
                        Param::NullText
                    } else {
                        display_name.into()
                    },
                ),
                ("summary", "".into()),
                ("sequence", "".into()),
                ("timemodified", created.into()),
                ("component", component.into()),
                ("itemid", itemid.into()),
            ])
            .await?;
        if let (Some(instance), Some((parent_section, parent_cms))) =
            (itemid, last_regular.as_mut())
        {
            let cm = insert_cm(
                w,
                course_id,
                module_ids["subsection"],
                instance,
                *parent_section,
                0,
                None,
                created,
            )
            .await?;
            parent_cms.push(cm);
            w.set_section_sequence(*parent_section, parent_cms).await?;
        }
        let mut section_cms = Vec::new();
        for (kind, activity_name, completion, idnumber) in *activities {
            let instance = insert_instance(w, kind, course_id, activity_name, created).await?;
            let cm = insert_cm(
                w,
                course_id,
                module_ids[kind],
                instance,
                section_id,
                *completion,
                *idnumber,
                created,
            )
            .await?;
            section_cms.push(cm);
            count += 1;
        }
        w.set_section_sequence(section_id, &section_cms).await?;
        if delegated.is_none() {
            last_regular = Some((section_id, section_cms.clone()));
        }
        by_section.push(section_cms);
    }
    Ok((by_section, count))
}

async fn insert_instance(
    w: &mut Writer<'_>,
    kind: &str,
    course_id: i64,
    name: &str,
    created: i64,
) -> Result<i64, Error> {
    let mut values: Vec<(&str, Param)> = vec![
        ("course", course_id.into()),
        ("name", name.into()),
        ("intro", "".into()),
        ("timemodified", created.into()),
    ];
    if kind == "url" {
        values.push(("externalurl", "https://www.example.org/".into()));
    }
    w.insert_activity(kind, &values).await
}

#[allow(clippy::too_many_arguments)] // One row of course_modules: each argument is a column.
async fn insert_cm(
    w: &mut Writer<'_>,
    course_id: i64,
    module: i64,
    instance: i64,
    section_id: i64,
    completion: i64,
    idnumber: Option<&str>,
    created: i64,
) -> Result<i64, Error> {
    let cm = w
        .insert_course_module(&[
            ("course", course_id.into()),
            ("module", module.into()),
            ("instance", instance.into()),
            ("section", section_id.into()),
            ("idnumber", idnumber.unwrap_or("").into()),
            ("added", created.into()),
            ("completion", completion.into()),
            ("completionview", i64::from(completion == 2).into()),
        ])
        .await?;
    w.insert_context(&[
        ("contextlevel", 70.into()),
        ("instanceid", cm.into()),
        ("depth", 4.into()),
    ])
    .await?;
    Ok(cm)
}

async fn insert_user(
    w: &mut Writer<'_>,
    user: &DemoUser,
    password: &str,
    index: i64,
) -> Result<i64, Error> {
    let created = NOW - 86_400 * (40 - index);
    let (username, email, idnumber, deleted) = match user.state {
        // What Moodle's delete_user() leaves behind (docs/moodle-tables.md §1, user).
        UserState::Deleted => (
            format!("{}.{created}", user.email),
            files::sha1_hex(user.username.as_bytes())[..32].to_owned(),
            String::new(),
            1,
        ),
        _ => (
            user.username.to_owned(),
            user.email.to_owned(),
            format!("E{:05}", 20_260 + index),
            0,
        ),
    };
    let (auth, password) = match user.state {
        UserState::Cas => ("cas", "not cached".to_owned()),
        _ => ("manual", password.to_owned()),
    };
    let id = w
        .insert_user(&[
            ("auth", auth.into()),
            ("confirmed", 1.into()),
            ("deleted", deleted.into()),
            (
                "suspended",
                i64::from(user.state == UserState::Suspended).into(),
            ),
            ("mnethostid", 1.into()),
            ("username", username.into()),
            ("password", password.into()),
            ("idnumber", idnumber.into()),
            ("firstname", user.firstname.into()),
            ("lastname", user.lastname.into()),
            ("email", email.into()),
            ("lang", "fr".into()),
            ("city", "Lyon".into()),
            ("country", "FR".into()),
            ("timezone", "Europe/Paris".into()),
            ("timecreated", created.into()),
            ("timemodified", created.into()),
        ])
        .await?;
    w.insert_context(&[
        ("contextlevel", 30.into()),
        ("instanceid", id.into()),
        ("depth", 2.into()),
    ])
    .await?;
    Ok(id)
}

/// Writes one generated training with `learners` learners and `milestones` milestones into a
/// site whose schema exists but holds no data (tests that count statements, and the save
/// benchmark); gives the training's id.
///
/// Everything lives in one course `GEN` whose section 1 lists every activity; every tenth
/// learner has a certificate setting.
pub async fn seed_generated(
    site: &Site,
    name: &str,
    learners: usize,
    milestones: usize,
) -> Result<i64, Error> {
    let ids = seed_generated_site(site, name, 1, learners, milestones).await?;
    Ok(ids.first().copied().unwrap_or_default())
}

/// Writes `trainings` generated trainings, each with `learners` learners and `milestones`
/// milestones on a course of its own, into a site whose schema exists but holds no data (the
/// `save --all` and rollover tests and benchmarks); gives their ids in order.
///
/// One training is named `name` on course `GEN`; several are `name 0001`, `name 0002`… on
/// courses `GEN-0001`, `GEN-0002`…. The learners of training *t* are `learners` consecutive
/// accounts of a pool of `learners × min(trainings, 10)`, so that accounts are shared between
/// trainings as on a real site; every tenth learner has a certificate setting.
pub async fn seed_generated_site(
    site: &Site,
    name: &str,
    trainings: usize,
    learners: usize,
    milestones: usize,
) -> Result<Vec<i64>, Error> {
    seed_generated_site_for_next_year(site, name, trainings, learners, milestones, &[]).await
}

/// [`seed_generated_site`], with a copy of every training's course for each of `copies` (its
/// short name followed by the suffix, as Moodle's course restore for next year's session would
/// leave it): what a rollover clones onto (the rollover benchmark).
pub async fn seed_generated_site_for_next_year(
    site: &Site,
    name: &str,
    trainings: usize,
    learners: usize,
    milestones: usize,
    copies: &[&str],
) -> Result<Vec<i64>, Error> {
    let mut w = Writer::begin(site).await?;
    w.insert_context(&[
        ("contextlevel", 10.into()),
        ("instanceid", 0.into()),
        ("path", "/1".into()),
        ("depth", 1.into()),
    ])
    .await?;
    let category = w
        .insert_category(&[
            ("name", "Formations générées".into()),
            ("idnumber", "GEN".into()),
            ("parent", 0.into()),
            ("depth", 1.into()),
            ("path", "".into()),
        ])
        .await?;
    let module = w.insert_module_type("page").await?;
    let mut courses = Vec::with_capacity(trainings);
    for (t, suffix) in (0..trainings).flat_map(|t| {
        std::iter::once(&"")
            .chain(copies)
            .map(move |suffix| (t, *suffix))
    }) {
        let shortname = if trainings == 1 {
            format!("GEN{suffix}")
        } else {
            format!("GEN-{:04}{suffix}", t + 1)
        };
        let course = w
            .insert_course(&[
                ("category", category.into()),
                ("fullname", format!("Cours généré {shortname}").into()),
                ("shortname", shortname.into()),
                ("enablecompletion", 1.into()),
            ])
            .await?;
        w.insert_section(&[
            ("course", course.into()),
            ("section", 0.into()),
            ("sequence", "".into()),
        ])
        .await?;
        let section = w
            .insert_section(&[
                ("course", course.into()),
                ("section", 1.into()),
                ("sequence", "".into()),
            ])
            .await?;
        let mut cms = Vec::with_capacity(milestones);
        for i in 0..milestones {
            let instance =
                insert_instance(&mut w, "page", course, &format!("Activité {i}"), NOW).await?;
            cms.push(
                w.insert_course_module(&[
                    ("course", course.into()),
                    ("module", module.into()),
                    ("instance", instance.into()),
                    ("section", section.into()),
                    ("idnumber", "".into()),
                    ("completion", 2.into()),
                ])
                .await?,
            );
        }
        w.set_section_sequence(section, &cms).await?;
        if suffix.is_empty() {
            courses.push((course, cms));
        }
    }
    let pool = learners * trainings.clamp(1, 10);
    let mut users = Vec::with_capacity(pool);
    for i in 0..pool {
        users.push(
            w.insert_user(&[
                ("confirmed", 1.into()),
                ("mnethostid", 1.into()),
                ("username", format!("learner{i:05}").into()),
                ("password", "".into()),
                ("idnumber", format!("G{i:05}").into()),
                ("firstname", "Apprenant".into()),
                ("lastname", format!("{i:05}").into()),
                ("email", format!("learner{i:05}@generated.example").into()),
            ])
            .await?,
        );
    }
    w.commit().await?;

    let mut tx = site.begin_restore().await?;
    let template = tx.insert_template("Site", UserId(2), NOW).await?;
    tx.set_template_details(
        template,
        &[(
            "learnername".to_owned(),
            TEMPLATES[0].details[1].1.to_owned(),
        )],
        UserId(2),
        NOW,
    )
    .await?;
    let mut ids = Vec::with_capacity(trainings);
    for (t, (course, cms)) in courses.iter().enumerate() {
        let training = tx
            .insert_training(&TrainingValues {
                name: if trainings == 1 {
                    name.to_owned()
                } else {
                    format!("{name} {:04}", t + 1)
                },
                category: CategoryId(category),
                startdate: SEPT_2026,
                enddate: None,
                duration: None,
                nbautolaunch: None,
                nextlaunch: None,
                checklearner: None,
            })
            .await?;
        tx.insert_train_style(training, template, Some("coursename"), None)
            .await?;
        let rows: Vec<MilestoneValues> = cms
            .iter()
            .enumerate()
            .map(|(i, cm)| MilestoneValues {
                creditedtime: 10 + i as i64 % 50,
                cmid: CmId(*cm),
                course: CourseId(*course),
                name: Some(format!("Activité {i}")),
                timemodified: NOW,
            })
            .collect();
        tx.insert_milestones(training, &rows).await?;
        let own: Vec<i64> = (0..learners)
            .filter_map(|i| users.get((t * learners + i) % pool.max(1)).copied())
            .collect();
        let rows: Vec<LearnerValues> = own
            .iter()
            .map(|user| LearnerValues {
                userid: UserId(*user),
                predelete: Some(1),
            })
            .collect();
        tx.insert_learners(training, CategoryId(category), &rows)
            .await?;
        // Every tenth learner has a certificate setting.
        let rows: Vec<StyleValues> = own
            .iter()
            .step_by(10)
            .map(|user| StyleValues {
                userid: UserId(*user),
                template,
                grpcriteria1: Some("name".to_owned()),
                grpcriteria2: None,
                enablecertificate: Some(1),
                withdateformat: None,
            })
            .collect();
        tx.insert_styles(training, &rows).await?;
        ids.push(training.get());
    }
    tx.commit().await?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_has_what_the_issue_asks() {
        assert!(COURSES.iter().filter(|c| c.completion).count() >= 6);
        assert!(COURSES.iter().any(|c| c.shortname.ends_with("_2027")));
        assert!(LEARNERS.len() + 2 >= 30);
        assert_eq!(TRAININGS.len(), 3);
        let shared = LEARNERS
            .iter()
            .filter(|u| u.email == "famille.lefebvre@exemple.fr")
            .count();
        assert_eq!(shared, 2);
        assert!(LEARNERS.iter().any(|u| u.state == UserState::Deleted));
        assert!(LEARNERS.iter().any(|u| u.state == UserState::Suspended));
        // Every milestone points at an activity that exists in the data.
        for t in TRAININGS {
            for (course, section, position, _) in t.milestones {
                let c = COURSES.iter().find(|c| c.shortname == *course);
                assert!(
                    c.and_then(|c| c.sections.get(*section))
                        .and_then(|s| s.1.get(*position))
                        .is_some(),
                    "{course} {section} {position}"
                );
            }
        }
    }
}
