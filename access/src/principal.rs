//! The authenticated caller: a user, a role, the forces they may see and any operation
//! compartments that narrow that further.

use serde::{Deserialize, Serialize};
use toex_scope::{Scope, ScopeError};

use crate::AccessError;

/// What a caller may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Searches and explores their forces' data; protected persons are redacted.
    Analyst,
    /// An analyst who may also see protected persons and read the audit log.
    Supervisor,
    /// A supervisor who may also manage users and tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = AccessError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "analyst" => Ok(Role::Analyst),
            "supervisor" => Ok(Role::Supervisor),
            "admin" => Ok(Role::Admin),
            other => Err(AccessError::InvalidInput(format!(
                "unknown role `{other}`: use analyst, supervisor or admin"
            ))),
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    ApiToken,
    Jwt,
    /// In-process callers (the CLI, tests of the schema): never from the network.
    Internal,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    /// Force codes whose data the caller may see; never empty.
    pub forces: Vec<String>,
    /// When not empty, only documents of these operations (within `forces`) are visible.
    pub operations: Vec<String>,
    pub method: AuthMethod,
}

impl Principal {
    /// A principal for in-process work (CLI commands), seeing the given forces.
    pub fn internal(forces: Vec<String>) -> Self {
        Self {
            user: "toex-internal".to_owned(),
            role: Role::Admin,
            forces,
            operations: Vec::new(),
            method: AuthMethod::Internal,
        }
    }

    /// Whether identifying fields of protected persons (victims of sexual offences,
    /// children) may be shown.
    pub fn sees_protected(&self) -> bool {
        self.role >= Role::Supervisor
    }

    /// The compartment every engine call of this caller's request takes: their forces,
    /// their operations (when confined) and whether they may see protected persons.
    pub fn scope(&self) -> Result<Scope, ScopeError> {
        Scope::new(&self.forces, &self.operations, self.sees_protected())
    }

    pub fn may_see_force(&self, force: &str) -> bool {
        self.forces.iter().any(|f| f == force)
    }

    /// Fails unless the caller holds at least `role`.
    pub fn require(&self, role: Role) -> Result<(), AccessError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(AccessError::Forbidden(format!(
                "this needs the {} role",
                role.as_str()
            )))
        }
    }

    /// Fails unless the caller may see `force`. The message names no other force.
    pub fn require_force(&self, force: &str) -> Result<(), AccessError> {
        if self.may_see_force(force) {
            Ok(())
        } else {
            Err(AccessError::Forbidden(format!(
                "force `{force}` is not among your forces"
            )))
        }
    }

    /// The forces to search: the requested ones if all are allowed, all of the caller's
    /// when none are requested.
    pub fn narrow(&self, requested: &[String]) -> Result<Vec<String>, AccessError> {
        if requested.is_empty() {
            return Ok(self.forces.clone());
        }
        for f in requested {
            self.require_force(f)?;
        }
        Ok(requested.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyst() -> Principal {
        Principal {
            user: "a".into(),
            role: Role::Analyst,
            forces: vec!["WYP".into(), "GMP".into()],
            operations: vec![],
            method: AuthMethod::ApiToken,
        }
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Analyst);
        assert!(!analyst().sees_protected());
        assert!(analyst().require(Role::Supervisor).is_err());
        assert_eq!("Supervisor".parse::<Role>().unwrap(), Role::Supervisor);
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn narrowing_never_widens() {
        let p = analyst();
        assert_eq!(p.narrow(&[]).unwrap(), vec!["WYP", "GMP"]);
        assert_eq!(p.narrow(&["GMP".into()]).unwrap(), vec!["GMP"]);
        assert!(p.narrow(&["MPS".into()]).is_err());
    }
}
