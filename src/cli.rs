//! The command line: every subcommand and option, with the help text people read.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// cirtkit: the working platform of a national CIRT, in one binary. Incident handling, feed
/// processing, notification of network owners, and sharing with partner CIRTs.
#[derive(Debug, Parser)]
#[command(name = "cirtkit", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where cirtkit keeps its data (SQLite database, files) and looks for cirtkit.toml.
    #[arg(long, global = true, value_name = "DIR", env = "CIRTKIT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The database: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB [default: the SQLite file in the data dir].
    #[arg(long, global = true, value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The address the server listens on [default: 127.0.0.1:8080].
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// A configuration file to use instead of DATA_DIR/cirtkit.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format: text for people, json for log collectors.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormatArg>,
    /// More logging: -v for debug, -vv for trace.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory and database, apply migrations and create the first admin.
    Init(InitArgs),
    /// Run the server (migrates the database first).
    Serve,
    /// Seed a demonstration national CIRT into an empty data directory, then serve it.
    Demo(DemoArgs),
    /// Apply pending database migrations, or show the schema's status.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Import or export the constituency (organisations, netblocks, ASNs, domains, contacts).
    Org {
        #[command(subcommand)]
        action: OrgAction,
    },
    /// Show what the instance holds and its schema version.
    Status {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Take in e-mail sent to the team (reports, replies, ARF and X-ARF abuse reports).
    Mail {
        #[command(subcommand)]
        action: MailAction,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// The local table of routed prefixes and AS numbers that enriches feed events.
    Asn {
        #[command(subcommand)]
        action: AsnAction,
    },
    /// Run the feed pipeline: the feeds declared in cirtkit.toml ([[feeds]]) and one-off files.
    Feed {
        #[command(subcommand)]
        action: FeedAction,
    },
    /// Stored feed events.
    Events {
        #[command(subcommand)]
        action: EventsAction,
    },
    /// Hand feed events over to incidents by the rules of cirtkit.toml ([[handoff]]).
    Handoff {
        #[command(subcommand)]
        action: HandoffAction,
    },
    /// Measure cirtkit under load, on synthetic data.
    Bench {
        #[command(subcommand)]
        action: BenchAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchemaAction {
    /// Load the full report schema Shadowserver publishes for IntelMQ (its JSON format), to
    /// read reports newer than the table compiled into cirtkit. It is checked, kept in the data
    /// directory (shadowserver-schema.json), and used by every Shadowserver feed from then on.
    Update {
        /// The schema file (Shadowserver's schema for IntelMQ).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AsnAction {
    /// Import a prefix-to-AS table, replacing the one in the data directory: pyasn's ipasn
    /// `.dat` or `.dat.gz` (`prefix/len<TAB>asn`), or ip2asn's TSV (`start<TAB>end<TAB>asn<TAB>cc<TAB>name`,
    /// plain or gzipped). The format is recognised from the first lines unless --format is given.
    Import {
        /// The table file.
        file: std::path::PathBuf,
        /// pyasn or ip2asn.
        #[arg(long)]
        format: Option<String>,
        /// AS names, as pyasn's asnames JSON ({"13335": "CLOUDFLARENET", …}).
        #[arg(long)]
        names: Option<std::path::PathBuf>,
    },
    /// Look addresses up in the imported table (exit code 1 when one is not announced).
    Lookup {
        /// IPv4 or IPv6 addresses.
        #[arg(required = true)]
        addresses: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchAction {
    /// Load synthetic incidents into a fresh database, start the server on 127.0.0.1, and time
    /// the JSON API's list, filters, full-text search, incident page and observable search with
    /// concurrent clients. Reports p50, p95, p99 and max per scenario against a 50 ms p99 target.
    ///
    /// By default it works in a fresh temporary directory with SQLite, removed at the end (unless
    /// --keep), so it never touches your data. With --database-url postgres://… the database (or
    /// the schema in its search_path) must be empty; the synthetic data stay there afterwards.
    /// Fails when any request does not answer 200; a missed latency target is reported, not fatal.
    #[command(verbatim_doc_comment)]
    Api(BenchApiArgs),
    /// Generate a Shadowserver scan_rdp report of --rows distinct events, run it through the
    /// whole feed pipeline (parse, experts, deduplication, batched writes) into a fresh
    /// database, and report events per second and the peak memory (VmHWM).
    ///
    /// By default it works in a fresh temporary directory with SQLite, removed at the end. With
    /// --database-url postgres://… the events go to that database (its events table must be
    /// empty) and stay there afterwards.
    #[command(verbatim_doc_comment)]
    Pipeline(BenchPipelineArgs),
}

#[derive(Debug, Args)]
pub struct BenchPipelineArgs {
    /// How many rows (each a distinct event) to generate.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub rows: u64,
    /// Keep the temporary data directory (its path is printed) instead of removing it.
    #[arg(long)]
    pub keep: bool,
    /// Only write the generated report to FILE and stop (to time another tool, such as
    /// IntelMQ, on the same file: benches/intelmq/README.md). Name it as Shadowserver names
    /// its reports, such as 2026-11-20-scan_rdp-xx-geo.csv.
    #[arg(long, value_name = "FILE")]
    pub write_report: Option<std::path::PathBuf>,
    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum FeedAction {
    /// Shadowserver's report schema.
    Schema {
        #[command(subcommand)]
        action: SchemaAction,
    },
    /// List the feeds declared in cirtkit.toml, with their last run.
    List {
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// List the formats the parsers read.
    Formats,
    /// Dry run: read a feed's files (or the FILEs given) as its run would, through its parser
    /// and experts, and show what would be stored and what quarantined. Writes nothing.
    Test {
        /// The feed's name.
        name: String,
        /// Read these files instead of the collector's.
        files: Vec<PathBuf>,
        /// How many events and quarantined records to show.
        #[arg(long, default_value_t = 5)]
        samples: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run a feed now: collect its files and store their events. A file read before is skipped;
    /// one a killed run left part-way is resumed after its committed records.
    Run {
        /// The feed's name.
        name: String,
        /// Print one JSON object: {"read", "stored", "duplicates", "quarantined", "seconds", …}.
        #[arg(long)]
        json: bool,
    },
    /// Parse a feed's quarantined records again with its declaration as cirtkit.toml has it now
    /// (after its options were fixed): those that now parse go through its experts and are
    /// stored, and leave the quarantine; the others stay, with their new reason.
    Rerun {
        /// The feed's name.
        name: String,
        /// Print one JSON object: {"records", "released", "still_quarantined", "stored", …}.
        #[arg(long)]
        json: bool,
    },
    /// Store the events of one-off files in the given format, by the same path as feed runs
    /// (crash-safe, deduplicated, a file read before is skipped). - reads stdin.
    #[command(verbatim_doc_comment)]
    Ingest {
        /// The parser: a format of `cirtkit feed formats`.
        #[arg(long)]
        format: String,
        /// The feed name to file the events under [default: the declared feed of that name
        /// if any, with its options and experts; else the format's name].
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// The files, or - for stdin.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Records (events and quarantined ones) per transaction.
        #[arg(long, default_value_t = 50_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        batch_records: u64,
        /// Print one JSON object: {"read", "stored", "duplicates", "quarantined", "seconds", …}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EventsFormat {
    /// One event per line, flat JSON with the harmonised field names.
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum HandoffAction {
    /// Apply the rules to the stored events they have not looked at yet, feed by feed (`serve`,
    /// `feed run` and `feed ingest` do so after each run that stores events). A rule's first pass
    /// over a feed looks back one `window_hours`. A feed with a file being read is left for the
    /// hand-off after its run.
    Run {
        /// Only the rule of this name.
        #[arg(long, value_name = "NAME")]
        rule: Option<String>,
        /// Say what would be opened and updated, and store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON array, a pass (rule and feed) per element.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsAction {
    /// Write stored events to stdout, in the order they were stored.
    Export {
        #[arg(long, value_enum)]
        format: EventsFormat,
        /// Only this feed's events.
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct BenchApiArgs {
    /// How many synthetic incidents to load.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    pub incidents: i64,
    /// Journal entries per incident.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i64).range(0..=1_000))]
    pub journal_per_incident: i64,
    /// Concurrent clients (each a task with its own keep-alive connection).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1_024))]
    pub clients: u32,
    /// Requests per scenario, spread over the clients.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub requests: u32,
    /// Keep the temporary data directory (its path is printed) instead of removing it.
    #[arg(long)]
    pub keep: bool,
    /// Measure the synthetic data an earlier run left (a --data-dir run with --keep, or a
    /// PostgreSQL database) instead of loading them again; --incidents must be the same.
    #[arg(long)]
    pub reuse: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The first admin's user name. Its password comes from CIRTKIT_ADMIN_PASSWORD, or a strong
    /// one is generated and printed once.
    #[arg(long, default_value = "admin", value_name = "NAME")]
    pub admin_user: String,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The seed of the demonstration data: the same seed gives the same CIRT.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Seed only; do not start the server.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Show the schema version and the migrations still to apply.
    Status {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user. The password is read from stdin with --password-stdin, or generated and printed once.
    Add {
        /// The login name (lower case).
        name: String,
        /// admin, coordinator, analyst, auditor or constituent.
        #[arg(long)]
        role: String,
        /// For a constituent: the name of its organisation.
        #[arg(long, value_name = "NAME")]
        organisation: Option<String>,
        /// The name shown to others [default: the login name].
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// The interface language: en, fr or ar.
        #[arg(long, default_value = "en")]
        language: String,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they can no longer sign in, and their tokens stop working.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
    /// Set a user's password (from stdin with --password-stdin, or generated and printed once).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create an API token for a user. The token is printed once, alone on the last line.
    Create {
        #[arg(long, value_name = "NAME")]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List tokens (never their secrets).
    List {
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TransferFormat {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum OrgAction {
    /// Import organisations from a file (or - for stdin): all of it or, if any row is bad, none.
    Import {
        #[arg(long, value_enum)]
        format: TransferFormat,
        /// The file, or - for stdin.
        file: PathBuf,
    },
    /// Export the constituency to stdout.
    Export {
        #[arg(long, value_enum)]
        format: TransferFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Recompute the audit log's hash chain and name the first row that does not match.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Check the configuration and print it as it takes effect, secrets masked.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum MailAction {
    /// Read one RFC 5322 message (from stdin, or --file) and file it. If its subject names an
    /// incident (such as [CIRT-2026-00001]), the mail is added to that incident's journal;
    /// otherwise a new incident is opened: classified from an ARF (RFC 5965) or X-ARF report if
    /// the mail is one, with the observables of the report or of the text (defanged ones too),
    /// and the organisations owning the sender's domain and the observables. A mail whose
    /// In-Reply-To or References name a mail of an incident (sent from it, or filed into it) is
    /// added to that incident too. Attachments are kept with the incident (up to
    /// attachments.max_bytes) and described in its journal (small text files in full).
    ///
    /// Prints "created" or "updated", then the incident's reference alone on the last line.
    /// Suits a mail server's pipe delivery (exit status 0 when filed, 1 when refused).
    #[command(verbatim_doc_comment)]
    Ingest {
        /// Read the message from this file instead of stdin.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Print one JSON object instead: {"reference": …, "created": …, "rsit": …}.
        #[arg(long)]
        json: bool,
    },
    /// Read the report mailbox over IMAP (the [imap] section of cirtkit.toml) and file each
    /// unseen message as `mail ingest` does: a new incident, or threaded into the incident its
    /// subject names or whose mail it answers (In-Reply-To, References). Attachments are kept.
    ///
    /// A message is marked \Seen (and moved to imap.processed_folder, if set) only once its
    /// incident is stored, so a crash never loses mail; one already filed is only marked. A
    /// message that is not readable mail is left unseen (or moved to imap.quarantine_folder) and
    /// reported on stderr; the others go on.
    ///
    /// Prints one line per message filed: "created REFERENCE", "updated REFERENCE" or
    /// "already-filed REFERENCE". With --once, reads the mailbox once and exits (status 1 if a
    /// message could not be filed); without it, reads it every imap.interval_secs until Ctrl-C.
    /// `cirtkit serve` does the same in the background when [imap] is configured.
    #[command(verbatim_doc_comment)]
    Poll {
        /// Read the mailbox once, then exit.
        #[arg(long)]
        once: bool,
        /// Print one JSON object per message: {"uid": …, "status": …, "reference": …, "reason": …}.
        #[arg(long)]
        json: bool,
    },
}
