//! The crate's one error type: a template text that cannot be parsed.

/// A template that cannot be parsed. Found before a run starts; rendering never fails.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A template names a variable that does not exist.
    #[error("template {template:?}: unknown variable `{name}`")]
    UnknownVar {
        /// The template text.
        template: String,
        /// The unknown variable's name, as written between the braces.
        name: String,
    },
    /// A template is malformed (unclosed `{{`, bad `random_int` bounds).
    #[error("template {template:?}: {reason}")]
    Malformed {
        /// The template text.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
}
