use seatline_domain::{Error, ErrorCode};
use seatline_store::StoreError;

/// A use case fails with a rule's error or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Rule(#[from] Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// The rule error's code, if it is one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            AppError::Rule(e) => Some(e.code),
            AppError::Store(_) => None,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
