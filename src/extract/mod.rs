//! Extraction over sentences: the extractive summary (`select`) and check-worthy
//! factual claims (`claims`). Generation and grounding of LM output build on these.

pub mod abstractive;
pub mod claims;
pub mod features;
pub mod generate;
pub mod ground;
pub mod names;
pub mod select;
pub mod seq2seq;
pub mod writer;

pub use claims::{find_claims, Claim, ClaimKind, ClaimOrigin, Evidence};
pub use select::select;
