//! `toex user`, `toex token` and `toex audit`: bootstrapping users and API tokens from
//! the command line, and checking the audit chain.

use anyhow::Context;
use clap::Subcommand;
use toex_access::{AuditQuery, Role, UserStore};

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user: `toex user add dc.smith --role analyst --forces WYP,GMP`.
    Add {
        name: String,
        /// analyst | supervisor | admin
        #[arg(long, default_value = "analyst")]
        role: String,
        /// Comma-separated force codes whose data the user may see.
        #[arg(long, value_delimiter = ',', required = true)]
        forces: Vec<String>,
        /// Comma-separated operations the user is confined to (none: all of their forces').
        #[arg(long, value_delimiter = ',')]
        operations: Vec<String>,
    },
    /// List users (tab-separated: name, role, forces, operations, state).
    List,
    /// Disable a user: their tokens stop working at once.
    Disable { name: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create an API token for a user and print it (shown only this once).
    Create {
        user: String,
        #[arg(long, default_value = "")]
        label: String,
        /// Days until it expires (none: until revoked).
        #[arg(long)]
        expires_days: Option<u32>,
    },
    /// Revoke a token by its id (the 12 hex digits after `toex_`).
    Revoke { id: String },
    /// List tokens (id, user, label, created, state); never their secrets.
    List,
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the whole chain; exits 1 and names each break when the log was tampered with.
    Verify,
    /// Print the newest entries as JSON lines.
    Tail {
        #[arg(long, default_value_t = 20)]
        n: usize,
        #[arg(long)]
        user: Option<String>,
    },
}

fn open(settings: &Settings) -> anyhow::Result<UserStore> {
    Ok(UserStore::open(&settings.auth.users)?)
}

pub fn user(settings: &Settings, action: UserAction) -> anyhow::Result<()> {
    let mut store = open(settings)?;
    match action {
        UserAction::Add {
            name,
            role,
            forces,
            operations,
        } => {
            let role: Role = role.parse()?;
            for f in &forces {
                let f = f.trim().to_ascii_uppercase();
                if !toex_graph::vocab::is_force_code(&f) {
                    return Err(toex_access::AccessError::InvalidInput(format!(
                        "`{f}` is not a force code such as WYP"
                    ))
                    .into());
                }
            }
            store.add_user(&name, role, &forces, &operations)?;
            store.save()?;
            eprintln!("added {name} ({})", role.as_str());
        }
        UserAction::List => {
            for u in store.users() {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.name,
                    u.role.as_str(),
                    u.forces.join(","),
                    u.operations.join(","),
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        UserAction::Disable { name } => {
            store.disable_user(&name)?;
            store.save()?;
            eprintln!("disabled {name}");
        }
    }
    Ok(())
}

pub fn token(settings: &Settings, action: TokenAction) -> anyhow::Result<()> {
    let mut store = open(settings)?;
    match action {
        TokenAction::Create {
            user,
            label,
            expires_days,
        } => {
            let expires =
                expires_days.map(|d| chrono::Utc::now() + chrono::Duration::days(d.into()));
            let (id, token) = store.create_token(&user, &label, expires)?;
            store.save()?;
            eprintln!("token {id} for {user}; it is shown only now:");
            println!("{token}");
        }
        TokenAction::Revoke { id } => {
            store.revoke_token(&id)?;
            store.save()?;
            eprintln!("revoked {id}");
        }
        TokenAction::List => {
            for t in store.tokens() {
                let state = match (&t.revoked_at, &t.expires_at) {
                    (Some(_), _) => "revoked".to_owned(),
                    (None, Some(at)) if *at <= chrono::Utc::now() => "expired".to_owned(),
                    _ => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.user,
                    t.label,
                    t.created_at.to_rfc3339()
                );
            }
        }
    }
    Ok(())
}

pub fn audit(settings: &Settings, action: AuditAction) -> anyhow::Result<()> {
    let (path, key) = (&settings.audit.path, &settings.audit.key_file);
    match action {
        AuditAction::Verify => {
            let v = toex_access::verify_audit_log(path, key)?;
            if v.intact() {
                println!(
                    "audit log intact: {} entries, last sequence {}, last mac {}",
                    v.entries, v.last_seq, v.last_mac
                );
                Ok(())
            } else {
                for p in &v.problems {
                    println!("{p}");
                }
                anyhow::bail!(
                    "audit log `{}` has been tampered with ({} problems)",
                    path.display(),
                    v.problems.len()
                )
            }
        }
        AuditAction::Tail { n, user } => {
            let log = toex_access::AuditLog::open(path, key).context("opening the audit log")?;
            for e in log.read(&AuditQuery {
                user,
                limit: n,
                ..AuditQuery::default()
            })? {
                println!("{}", serde_json::to_string(&e)?);
            }
            Ok(())
        }
    }
}
