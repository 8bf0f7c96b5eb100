//! Error types. Fatal errors (`Error`) stop a run; per-article failures
//! (`ArticleError`) become error records with a stable [`ErrorKind`] and the run goes on.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A fatal error: bad configuration, missing or broken models, unwritable output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file is absent; the message says how to fetch it.
    #[error("model `{name}` not found at {}: run `models/fetch` (from the repository root) to download it", path.display())]
    ModelMissing {
        /// Model name, e.g. `all-MiniLM-L6-v2`.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A model file exists but could not be loaded.
    #[error("cannot load model from {}: {message}", path.display())]
    ModelLoad {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Inference failed (tensor error inside a model).
    #[error("inference failed in {stage}: {source}")]
    Inference {
        /// Which stage ran the model.
        stage: &'static str,
        /// The underlying candle error.
        #[source]
        source: candle_core::Error,
    },
    /// Tokenizer construction or encoding failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Invalid options.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// How many were asked for.
        threads: usize,
        /// What the OS said.
        message: String,
    },
    /// The inputs hold no article.
    #[error("no articles found under the inputs")]
    NoArticles,
    /// Something brief writes (a manifest, a report) could not be serialised.
    #[error("cannot serialise the {what}: {message}")]
    Serialize {
        /// What was being written.
        what: &'static str,
        /// Why it failed.
        message: String,
    },
    /// A bug in brief: an invariant that should hold did not.
    #[error("internal error (a bug in brief, please report it): {0}")]
    Internal(String),
    /// An input named on the command line that brief will not read (a named pipe,
    /// socket or device), or an output location that cannot be one.
    #[error("{}: {message}", path.display())]
    Input {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A references file for `brief eval` that cannot be used (the message names the
    /// file and line).
    #[error("references: {0}")]
    References(String),
    /// A file that is not what brief expects there (e.g. a `results.jsonl` that brief
    /// did not write); the message says how to proceed.
    #[error("{}: {message}", path.display())]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Another run is writing to the same output folder.
    #[error("{} is in use by another brief run ({holder}); wait for it to finish, or write elsewhere with -o", dir.display())]
    Locked {
        /// The output folder.
        dir: PathBuf,
        /// Who holds it, as the lock file says (`pid N`).
        holder: String,
    },
    /// An output folder made by a run over another share of the articles.
    #[error("{} holds the output of {found}, and this run is {wanted}: give each shard its own -o folder, or pass --force to replace it", dir.display())]
    ShardMismatch {
        /// The output folder.
        dir: PathBuf,
        /// What its manifest says (`--shard 0/4`, or a run over all articles).
        found: String,
        /// What this run is.
        wanted: String,
    },
    /// Outputs that `brief merge` cannot join: their manifests differ in `field`.
    #[error("cannot merge {} and {}: they differ in {field} ({left} vs {right}); merge only shards of one run (same inputs, options and models)", a.display(), b.display())]
    MergeMismatch {
        /// The first output folder.
        a: PathBuf,
        /// The one that differs from it.
        b: PathBuf,
        /// The manifest field, e.g. `config.select.max_words` or `models.generator`.
        field: String,
        /// Its value in `a`.
        left: String,
        /// Its value in `b`.
        right: String,
    },
    /// A single article failed; only surfaces as fatal when there is no run to record it in.
    #[error(transparent)]
    Article(#[from] ArticleError),
}

impl Error {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// This error as one article's failure: an [`Error::Article`] keeps its own kind
    /// (`too_large`, `interrupted`, …), anything else becomes `kind` with its message.
    pub fn into_article(self, kind: ErrorKind) -> ArticleError {
        match self {
            Error::Article(a) => a,
            e => ArticleError::new(kind, e.to_string()),
        }
    }

    /// The error of work abandoned because `cancel` was set (see
    /// [`ErrorKind::Interrupted`]).
    pub fn interrupted() -> Self {
        Error::Article(ArticleError::new(
            ErrorKind::Interrupted,
            "abandoned: the run was stopped",
        ))
    }

    /// Wrap a candle error with the stage it happened in.
    pub fn inference(stage: &'static str) -> impl FnOnce(candle_core::Error) -> Self {
        move |source| Error::Inference { stage, source }
    }
}

/// Stable, machine-readable category of a per-article failure. Serialised in
/// `snake_case`; these strings are part of the output interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Nothing left to process (empty file, whitespace only, no text after cleaning).
    Empty,
    /// The file is not text (NUL bytes, known binary signature).
    Binary,
    /// The bytes are not valid in any supported encoding.
    Encoding,
    /// Larger than `--max-article-bytes`.
    TooLarge,
    /// Malformed JSON/JSONL/HTML structure, or a record without a body.
    Parse,
    /// The file could not be read.
    Io,
    /// A model failed on this article.
    Model,
    /// A bug: a panic inside the pipeline, caught and recorded.
    Internal,
    /// Work on the article was abandoned because the run was stopped (a signal). Never
    /// written as a record: the next run does the article again.
    Interrupted,
}

impl ErrorKind {
    /// The stable string form, as written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::Binary => "binary",
            ErrorKind::Encoding => "encoding",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Parse => "parse",
            ErrorKind::Io => "io",
            ErrorKind::Model => "model",
            ErrorKind::Internal => "internal",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

/// A per-article failure with a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{kind}: {message}", kind = kind.as_str())]
pub struct ArticleError {
    /// Stable category.
    pub kind: ErrorKind,
    /// What happened, for a person.
    pub message: String,
}

impl ArticleError {
    /// Build an article error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ArticleError {
            kind,
            message: message.into(),
        }
    }
}
