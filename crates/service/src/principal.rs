//! Who is asking: a signed-in user, an API token, the local operator at the command line, or a
//! task of the server itself.

use crate::{Result, ServiceError};
use cirtkit_domain::{Permission, Role, User};
use cirtkit_storage::TokenRecord;

#[derive(Debug, Clone)]
pub enum Principal {
    /// A person signed in to the web UI.
    User(User),
    /// A program using an API token on behalf of its user.
    Token { token: TokenRecord, user: User },
    /// Someone at the server's command line: they hold the data directory, so they hold every
    /// right; the audit log records them as `cli:<system user>`.
    Operator(String),
    /// A task of the server itself, such as the mailbox poller in `cirtkit serve`. It may do what
    /// an analyst may (file mail into incidents); the audit log records it as `system:<task>`.
    System(&'static str),
}

impl Principal {
    /// The local operator, named after the system user running the command.
    pub fn operator() -> Principal {
        let name = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "operator".into());
        Principal::Operator(name)
    }

    pub fn role(&self) -> Role {
        match self {
            Principal::User(u) | Principal::Token { user: u, .. } => u.role,
            Principal::Operator(_) => Role::Admin,
            Principal::System(_) => Role::Analyst,
        }
    }

    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::User(u) | Principal::Token { user: u, .. } => Some(u),
            Principal::Operator(_) | Principal::System(_) => None,
        }
    }

    /// How the audit log names this principal.
    pub fn actor(&self) -> String {
        match self {
            Principal::User(u) => format!("user:{}", u.name),
            Principal::Token { token, user } => format!("token:{}:{}", token.id, user.name),
            Principal::Operator(name) => format!("cli:{name}"),
            Principal::System(task) => format!("system:{task}"),
        }
    }

    /// The name shown as the author of journal entries.
    pub fn display_name(&self) -> String {
        match self {
            Principal::User(u) | Principal::Token { user: u, .. } => u.name.to_string(),
            Principal::Operator(name) => format!("cli:{name}"),
            Principal::System(task) => format!("system:{task}"),
        }
    }

    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role().allows(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("the {} role may not do this ({permission:?})", self.role().name())))
        }
    }
}
