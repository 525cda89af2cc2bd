//! The caller's compartment: which forces' data they may touch, which operations (when
//! confined to some) and whether protected persons may be shown. Every engine call that
//! reads or writes case data takes a [`Scope`], so a path without one does not compile.

use serde::{Deserialize, Serialize};

/// Why a scope could not be built or narrowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// An empty force list would mean "no filter" to an engine: never build one.
    #[error("a scope needs at least one force")]
    NoForces,
    #[error("`{0}` is not a force code such as WYP (1 to 16 letters, digits or `_`)")]
    BadForce(String),
    #[error("force `{0}` is not among your forces")]
    ForceNotHeld(String),
    #[error("operation `{0}` is not among your compartments")]
    OperationNotHeld(String),
}

/// Forces, operation compartments and the protected-person right of one request.
///
/// Fields are private: a scope is built by [`Scope::new`] (from an authenticated
/// principal) and only ever narrowed afterwards, never widened.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    forces: Vec<String>,
    /// `None`: every operation of `forces` (and material in none). `Some`: only these.
    operations: Option<Vec<String>>,
    protected: bool,
}

/// A force code as stored: trimmed, upper case, 1–16 of `A-Z`, `0-9`, `_`.
pub fn normalise_force(force: &str) -> Result<String, ScopeError> {
    let f = force.trim().to_ascii_uppercase();
    let ok = (1..=16).contains(&f.len())
        && f.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(f)
    } else {
        Err(ScopeError::BadForce(force.chars().take(40).collect()))
    }
}

impl Scope {
    /// A scope over `forces` (normalised, sorted, deduplicated), confined to
    /// `operations` when that is not empty.
    pub fn new(
        forces: &[String],
        operations: &[String],
        sees_protected: bool,
    ) -> Result<Self, ScopeError> {
        let mut fs = forces
            .iter()
            .map(|f| normalise_force(f))
            .collect::<Result<Vec<_>, _>>()?;
        fs.sort();
        fs.dedup();
        if fs.is_empty() {
            return Err(ScopeError::NoForces);
        }
        let operations = (!operations.is_empty()).then(|| {
            let mut ops = operations.to_vec();
            ops.sort();
            ops.dedup();
            ops
        });
        Ok(Self {
            forces: fs,
            operations,
            protected: sees_protected,
        })
    }

    /// The forces to read or write; never empty.
    pub fn forces(&self) -> &[String] {
        &self.forces
    }

    /// The operation compartments, when the caller is confined to some.
    pub fn operations(&self) -> Option<&[String]> {
        self.operations.as_deref()
    }

    /// Whether identifying fields of protected persons may be shown.
    pub fn sees_protected(&self) -> bool {
        self.protected
    }

    pub fn may_see_force(&self, force: &str) -> bool {
        self.forces.iter().any(|f| f == force)
    }

    /// Whether material of `force` in `operation` (or in none) lies inside this scope.
    pub fn contains(&self, force: &str, operation: Option<&str>) -> bool {
        self.may_see_force(force)
            && match (&self.operations, operation) {
                (None, _) => true,
                (Some(ops), Some(op)) => ops.iter().any(|o| o == op),
                (Some(_), None) => false,
            }
    }

    /// This scope narrowed to `requested` forces (all of its own when empty).
    pub fn narrow_forces(&self, requested: &[String]) -> Result<Self, ScopeError> {
        if requested.is_empty() {
            return Ok(self.clone());
        }
        let mut forces = Vec::with_capacity(requested.len());
        for f in requested {
            let f = normalise_force(f)?;
            if !self.may_see_force(&f) {
                return Err(ScopeError::ForceNotHeld(f));
            }
            forces.push(f);
        }
        forces.sort();
        forces.dedup();
        Ok(Self {
            forces,
            ..self.clone()
        })
    }

    /// This scope narrowed to `requested` operations (unchanged when empty). A caller
    /// confined to compartments may only name their own.
    pub fn narrow_operations(&self, requested: &[String]) -> Result<Self, ScopeError> {
        if requested.is_empty() {
            return Ok(self.clone());
        }
        if let Some(held) = &self.operations
            && let Some(op) = requested.iter().find(|op| !held.contains(op))
        {
            return Err(ScopeError::OperationNotHeld(op.clone()));
        }
        let mut ops = requested.to_vec();
        ops.sort();
        ops.dedup();
        Ok(Self {
            operations: Some(ops),
            ..self.clone()
        })
    }

    /// The operations as a list for a filter: empty means "any".
    pub fn operation_filter(&self) -> Vec<String> {
        self.operations.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn a_scope_is_never_empty_and_forces_are_normalised() {
        assert_eq!(Scope::new(&[], &[], false), Err(ScopeError::NoForces));
        let scope = Scope::new(&s(&[" wyp", "GMP", "WYP"]), &[], false).unwrap();
        assert_eq!(scope.forces(), ["GMP", "WYP"]);
        assert!(Scope::new(&s(&["W Y P"]), &[], false).is_err());
        assert!(Scope::new(&s(&[""]), &[], false).is_err());
    }

    #[test]
    fn narrowing_never_widens() {
        let scope = Scope::new(&s(&["WYP", "GMP"]), &s(&["Op A"]), false).unwrap();
        assert_eq!(scope.narrow_forces(&s(&["gmp"])).unwrap().forces(), ["GMP"]);
        assert_eq!(
            scope.narrow_forces(&s(&["MPS"])),
            Err(ScopeError::ForceNotHeld("MPS".into()))
        );
        assert_eq!(
            scope.narrow_operations(&s(&["Op B"])),
            Err(ScopeError::OperationNotHeld("Op B".into()))
        );
        assert_eq!(scope.narrow_operations(&[]).unwrap(), scope);
        let free = Scope::new(&s(&["WYP"]), &[], true).unwrap();
        assert_eq!(
            free.narrow_operations(&s(&["Op B"])).unwrap().operations(),
            Some(&s(&["Op B"])[..])
        );
    }

    #[test]
    fn confined_scopes_contain_only_their_operations() {
        let confined = Scope::new(&s(&["WYP"]), &s(&["Op A"]), false).unwrap();
        assert!(confined.contains("WYP", Some("Op A")));
        assert!(!confined.contains("WYP", Some("Op B")));
        assert!(!confined.contains("WYP", None));
        assert!(!confined.contains("GMP", Some("Op A")));
        let free = Scope::new(&s(&["WYP"]), &[], false).unwrap();
        assert!(free.contains("WYP", None) && free.contains("WYP", Some("Op B")));
    }
}
