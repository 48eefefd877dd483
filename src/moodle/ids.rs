//! The ids a restore writes side by side: one type each, so that a training id passed where a
//! category id is expected, or a course id where a course module id is, does not compile
//! (issue 9, item 3). `RestoreTx`'s writes take them; the plan and the rows read keep plain
//! `i64` where nothing is written from them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::sql::Param;

macro_rules! ids {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        $(
            $(#[doc = $doc])*
            #[derive(
                Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            )]
            #[serde(transparent)]
            pub struct $name(pub i64);

            impl $name {
                /// The id as the database stores it.
                pub fn get(self) -> i64 {
                    self.0
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    self.0.fmt(f)
                }
            }

            impl From<$name> for Param {
                fn from(id: $name) -> Param {
                    Param::Int(id.0)
                }
            }
        )*
    };
}

ids! {
    /// `tool_attestoodle_training.id`.
    TrainingId,
    /// `course_categories.id`.
    CategoryId,
    /// `course.id`.
    CourseId,
    /// `course_modules.id`: the activity a milestone counts.
    CmId,
    /// `user.id`: a learner, an operator, a template's author.
    UserId,
    /// `tool_attestoodle_template.id`.
    TemplateId,
    /// `tool_attestoodle_milestone.id`.
    MilestoneId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_number_in_json_in_text_and_in_a_statement() {
        assert_eq!(serde_json::to_string(&CmId(42)).ok().as_deref(), Some("42"));
        assert_eq!(
            serde_json::from_str::<CourseId>("7").ok(),
            Some(CourseId(7))
        );
        assert_eq!(TrainingId(3).to_string(), "3");
        assert_eq!(UserId(5).get(), 5);
        assert_eq!(Param::from(TemplateId(9)), Param::Int(9));
    }
}
