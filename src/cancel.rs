//! A stop request that long model work checks between steps, so a signal ends a
//! run within about a step's time whatever an article is doing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// A shared flag: set once, seen by every clone. Equal when it is the same flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask everything holding this flag to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Err([`Error::interrupted`]) once a stop was asked for.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::interrupted())
        } else {
            Ok(())
        }
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cancel {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn clones_share_the_flag_and_check_says_interrupted() {
        let a = Cancel::new();
        let b = a.clone();
        assert!(b.check().is_ok());
        assert_eq!(a, b);
        assert_ne!(a, Cancel::new());
        a.cancel();
        assert!(b.is_cancelled());
        match b.check() {
            Err(e) => assert_eq!(
                e.into_article(ErrorKind::Model).kind,
                ErrorKind::Interrupted
            ),
            Ok(()) => panic!("not interrupted"),
        }
    }
}
