//! One error type for the outside world: everything that reads files or user input returns
//! `Result<_, Error>`, and each message names the file, line, column or shape at fault. Bugs
//! inside the maths panic instead (see `tensor` and `autograd`).

use std::path::{Path, PathBuf};

/// What went wrong at the boundary of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    /// A problem in a data file, at a place in it (`line 12, column "sepal_width"`).
    #[error("{path}: {place}: {message}")]
    Data { path: PathBuf, place: String, message: String },

    /// A problem with a whole file (empty, wrong magic number, counts that disagree).
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },

    /// A request that cannot be carried out as asked (bad option, shapes that do not fit).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), source }
    }

    pub fn data(path: &Path, place: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Data { path: path.to_path_buf(), place: place.into(), message: message.into() }
    }

    pub fn file(path: &Path, message: impl Into<String>) -> Error {
        Error::File { path: path.to_path_buf(), message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
