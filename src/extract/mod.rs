//! The extract stage: the extractive summary (`select`) and check-worthy factual
//! claims (`claims`, also the one builder of claims the ground stage uses for
//! generated ones), from sentence features (`features`) and embeddings.

pub mod claims;
pub mod features;
pub mod select;

pub use claims::{find_claims, Claim, ClaimKind, ClaimOrigin, Evidence};
pub use select::select;
