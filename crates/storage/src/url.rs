//! The database URL, which chooses the backend. Its password never reaches a log or a message.

use std::{fmt, path::Path, str::FromStr};

/// Where the data lives: `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    /// The SQLite file at this path.
    pub fn sqlite_file(path: &Path) -> DatabaseUrl {
        DatabaseUrl::Sqlite(format!("sqlite://{}", path.display()))
    }

    /// The URL with its password, for the driver only.
    pub(crate) fn expose(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite(s) | DatabaseUrl::Postgres(s) => s,
        }
    }

    /// The URL with any password replaced by `********`.
    pub fn masked(&self) -> String {
        let s = self.expose();
        let Some((scheme, rest)) = s.split_once("://") else { return s.to_owned() };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:********@{host}{}", &rest[authority_end..]),
                None => s.to_owned(),
            },
            None => s.to_owned(),
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.starts_with("sqlite:") {
            Ok(DatabaseUrl::Sqlite(t.to_owned()))
        } else if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(t.to_owned()))
        } else {
            Err(format!(
                "the database URL must start with sqlite:// or postgres:// (got {:?})",
                t.split("://").next().unwrap_or(t)
            ))
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_the_backend_and_hides_the_password() {
        let pg: DatabaseUrl = "postgres://cirt:s3cret@db.example:5432/cirtkit".parse().unwrap();
        assert!(matches!(pg, DatabaseUrl::Postgres(_)));
        assert_eq!(pg.to_string(), "postgres://cirt:********@db.example:5432/cirtkit");
        assert!(!format!("{pg:?}").contains("s3cret"));
        let lite: DatabaseUrl = "sqlite://./data/cirtkit.db".parse().unwrap();
        assert!(matches!(lite, DatabaseUrl::Sqlite(_)));
        let err = "mysql://x".parse::<DatabaseUrl>().unwrap_err();
        assert!(err.contains("sqlite:// or postgres://"), "{err}");
        let no_pass: DatabaseUrl = "postgres://postgres@127.0.0.1/test".parse().unwrap();
        assert_eq!(no_pass.masked(), "postgres://postgres@127.0.0.1/test");
    }
}
