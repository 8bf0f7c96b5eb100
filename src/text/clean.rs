//! Cleaning: Unicode normalisation, whitespace and spacing repair, boilerplate removal.
//! (skeleton: replaced by the real implementation)

/// Result of cleaning one article body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cleaned {
    /// The cleaned body; every offset in the output refers to this string.
    pub text: String,
    /// A headline found at the top of the body and removed from it.
    pub title: Option<String>,
    /// A byline/author line removed from the body.
    pub byline: Option<String>,
}

/// Clean an article body. `known_title` is the headline from the article's metadata.
pub fn clean(body: &str, known_title: Option<&str>) -> Cleaned {
    let _ = known_title;
    Cleaned {
        text: body.trim().to_string(),
        ..Default::default()
    }
}

/// Something cleaning removed (skeleton).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Removed {
    /// What it was.
    pub kind: String,
    /// The removed text.
    pub text: String,
}
