//! What each subcommand does. Commands act as the local operator (`cli:<system user>` in the
//! audit log): whoever holds the data directory holds every right.

use crate::cli::{
    AsnAction, AuditAction, BenchAction, Cli, Command, ConfigAction, DemoArgs, InitArgs, LogFormatArg, MailAction,
    MigrateAction, OrgAction, TokenAction, TransferFormat, UserAction,
};
use anyhow::{Context, Result, bail};
use cirtkit_app::{Application, Config, LogFormat, Overrides, mail_poll, mail_poll::PolledMessage};
use cirtkit_domain::{Clock, ManualClock, Role, SystemClock, TokenId, UserName};
use cirtkit_service::{NewUser, Principal, Services, generate_password, transfer};
use std::{io::Read, path::PathBuf, process::ExitCode, sync::Arc};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let g = cli.global;
    let overrides = Overrides {
        config_file: g.config,
        data_dir: g.data_dir,
        database_url: g.database_url,
        listen: g.listen,
        log_format: g.log_format.map(|f| match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }),
        verbosity: g.verbose,
    };
    // The benchmark makes its own data directory (or checks the database is empty) before the
    // configuration is read.
    let command = match cli.command {
        Command::Bench { action: BenchAction::Api(args) } => return crate::bench::api(overrides, args).await,
        Command::Bench { action: BenchAction::Pipeline(args) } => {
            return crate::bench::pipeline(overrides, args).await;
        }
        command => command,
    };
    let config = Config::load(&overrides)?;
    cirtkit_app::init_logging(&config);
    let operator = Principal::operator();
    match command {
        Command::Init(args) => init(&config, &operator, args).await,
        Command::Serve => serve(&config, cirtkit_app::open_services(&config).await?).await,
        Command::Demo(args) => demo(&config, args).await,
        Command::Migrate { action } => migrate(&config, action).await,
        Command::User { action } => user(&config, &operator, action).await,
        Command::Token { action } => token(&config, &operator, action).await,
        Command::Org { action } => org(&config, &operator, action).await,
        Command::Status { json } => status(&config, json).await,
        Command::Mail { action: MailAction::Ingest { file, json } } => {
            mail_ingest(&config, &operator, file, json).await
        }
        Command::Mail { action: MailAction::Poll { once, json } } => mail_poll(&config, operator, once, json).await,
        Command::Audit { action: AuditAction::Verify } => audit_verify(&config, &operator).await,
        Command::Asn { action: AsnAction::Import { file, format, names } } => {
            crate::asn::import(&config, &file, names.as_deref(), format.as_deref())
        }
        Command::Asn { action: AsnAction::Lookup { addresses } } => crate::asn::lookup(&config, &addresses),
        Command::Config { action: ConfigAction::Check } => {
            print!("{}", config.to_masked_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Feed { action } => crate::feed::feed(&config, services(&config).await?, &operator, action).await,
        Command::Events { action } => crate::feed::events(services(&config).await?, action).await,
        Command::Handoff { action } => crate::handoff::handoff(services(&config).await?, &operator, action).await,
        Command::Bench { .. } => bail!("the benchmark runs before the configuration is read"),
    }
}

async fn services(config: &Config) -> Result<Services> {
    Ok(cirtkit_app::open_services_current(config, Arc::new(SystemClock)).await?)
}

fn read_password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from stdin")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        Ok((password, false))
    } else {
        Ok((generate_password(), true))
    }
}

async fn init(config: &Config, operator: &Principal, args: InitArgs) -> Result<ExitCode> {
    let services = cirtkit_app::open_services(config).await?;
    let name: UserName = args.admin_user.parse()?;
    let existing = services.users(operator).await?;
    if !existing.is_empty() {
        println!(
            "cirtkit is already initialised in {} ({} users); nothing to do.",
            config.database_url(),
            existing.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (password, generated) = match std::env::var("CIRTKIT_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (generate_password(), true),
    };
    let user = services
        .create_user(
            operator,
            NewUser {
                name: name.clone(),
                display_name: "Administrator".into(),
                email: None,
                role: Role::Admin,
                language: "en".parse()?,
                password: Some(password.clone()),
            },
        )
        .await?;
    println!(
        "Initialised cirtkit in {} (schema version {}).",
        config.database_url(),
        services.status().await?.schema_version
    );
    println!("Created the admin user {}.", user.name);
    if generated {
        println!("Its password, shown only this once: {password}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: &Config, services: Services) -> Result<ExitCode> {
    let app = Application::build(config, services).await?;
    app.run_until_stopped(cirtkit_app::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(config: &Config, args: DemoArgs) -> Result<ExitCode> {
    let store = cirtkit_app::open_store(config).await?;
    let now = SystemClock.now();
    store.migrate(now).await?;
    let clock = Arc::new(ManualClock::new(now));
    let seeding = Services::new(store.clone(), clock.clone(), cirtkit_app::service_settings(config)).await?;
    let options = cirtkit_demo::DemoOptions {
        seed: args.seed,
        now,
        admin_password: std::env::var("CIRTKIT_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty()),
    };
    eprintln!("Seeding the demonstration CIRT (seed {})…", args.seed);
    let summary = cirtkit_demo::seed(&seeding, &clock, &options).await?;
    store.analyze().await?;
    println!(
        "Seeded {} organisations, {} incidents and {} partner CIRTs into {}.",
        summary.organisations,
        summary.incidents,
        summary.partners,
        config.database_url()
    );
    println!("Accounts (passwords shown only this once):");
    for a in &summary.accounts {
        println!("  {:<16} {:<12} {}", a.name, a.role, a.password);
    }
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let services = Services::new(store, Arc::new(SystemClock), cirtkit_app::service_settings(config)).await?;
    cirtkit_app::attach_mailer(config, &services)?;
    let app = Application::build(config, services).await?;
    let addr = app.local_addr()?;
    let admin = summary.accounts.iter().find(|a| a.role == "admin");
    println!("Serving the demonstration at http://{addr}/");
    if let Some(admin) = admin {
        println!("Sign in as {} with the password {}", admin.name, admin.password);
    }
    println!("Press Ctrl-C to stop.");
    app.run_until_stopped(cirtkit_app::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn migrate(config: &Config, action: Option<MigrateAction>) -> Result<ExitCode> {
    let store = cirtkit_app::open_store(config).await?;
    match action {
        None => {
            let applied = store.migrate(SystemClock.now()).await?;
            let status = store.schema_status().await?;
            if applied.is_empty() {
                println!("The schema is current (version {}).", status.current);
            } else {
                let list: Vec<String> = applied.iter().map(i64::to_string).collect();
                println!("Applied migrations {}; the schema is at version {}.", list.join(", "), status.current);
            }
        }
        Some(MigrateAction::Status { json }) => {
            let status = store.schema_status().await?;
            if json {
                println!("{}", serde_json::to_string(&status)?);
            } else {
                println!("backend: {}", store.backend_name());
                println!("schema version: {} (this cirtkit brings {})", status.current, status.latest);
                if status.pending.is_empty() {
                    println!("pending migrations: none");
                } else {
                    println!("pending migrations: {}", status.pending.join(", "));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn user(config: &Config, operator: &Principal, action: UserAction) -> Result<ExitCode> {
    let services = services(config).await?;
    match action {
        UserAction::Add { name, role, organisation, display_name, email, language, password_stdin } => {
            let name: UserName = name.parse()?;
            let org = match organisation {
                Some(org_name) => Some(
                    services
                        .store()
                        .organisation_by_name(&org_name)
                        .await?
                        .with_context(|| format!("no organisation named {org_name:?}"))?
                        .id,
                ),
                None => None,
            };
            let role = Role::from_parts(&role, org)?;
            let (password, generated) = read_password(password_stdin)?;
            let user = services
                .create_user(
                    operator,
                    NewUser {
                        display_name: display_name.unwrap_or_else(|| name.to_string()),
                        name,
                        email: email.map(|e| e.parse()).transpose()?,
                        role,
                        language: language.parse()?,
                        password: Some(password.clone()),
                    },
                )
                .await?;
            println!("Created user {} ({}).", user.name, user.role);
            if generated {
                println!("Password, shown only this once: {password}");
            }
        }
        UserAction::List { json } => {
            let users = services.users(operator).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                println!("{:<20} {:<12} {:<6} {:<9} DISPLAY NAME", "NAME", "ROLE", "LANG", "STATUS");
                for u in users {
                    let status = if u.disabled { "disabled" } else { "active" };
                    println!("{:<20} {:<12} {:<6} {:<9} {}", u.name, u.role, u.language, status, u.display_name);
                }
            }
        }
        UserAction::Disable { name } => {
            let u = services.set_user_disabled(operator, &name.parse()?, true).await?;
            println!("User {} is disabled.", u.name);
        }
        UserAction::Enable { name } => {
            let u = services.set_user_disabled(operator, &name.parse()?, false).await?;
            println!("User {} is enabled.", u.name);
        }
        UserAction::Passwd { name, password_stdin } => {
            let name: UserName = name.parse()?;
            let (password, generated) = read_password(password_stdin)?;
            services.set_password(operator, &name, &password).await?;
            println!("The password of {name} is changed.");
            if generated {
                println!("New password, shown only this once: {password}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn token(config: &Config, operator: &Principal, action: TokenAction) -> Result<ExitCode> {
    let services = services(config).await?;
    match action {
        TokenAction::Create { user, name } => {
            let (record, secret) = services.create_token(operator, &user.parse()?, &name).await?;
            println!(
                "Created token {} ({:?}) for {}. It is shown only this once:",
                record.id, record.name, record.user_name
            );
            println!("{}", secret.0);
        }
        TokenAction::List { user, json } => {
            let user = user.map(|u| u.parse::<UserName>()).transpose()?;
            let tokens = services.tokens(operator, user.as_ref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                println!("{:<6} {:<20} {:<20} {:<26} STATUS", "ID", "USER", "NAME", "CREATED");
                for t in tokens {
                    let status = match t.revoked_at {
                        Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                        None => "active".into(),
                    };
                    println!(
                        "{:<6} {:<20} {:<20} {:<26} {status}",
                        t.id,
                        t.user_name,
                        t.name,
                        t.created_at.format("%Y-%m-%d %H:%M UTC")
                    );
                }
            }
        }
        TokenAction::Revoke { id } => {
            let t = services.revoke_token(operator, TokenId(id)).await?;
            println!("Token {} of {} is revoked.", t.id, t.user_name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn org(config: &Config, operator: &Principal, action: OrgAction) -> Result<ExitCode> {
    let services = services(config).await?;
    match action {
        OrgAction::Import { format, file } => {
            let mut input = Vec::new();
            if file.as_os_str() == "-" {
                std::io::stdin().read_to_end(&mut input).context("cannot read stdin")?;
            } else {
                input = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            }
            let source = file.display().to_string();
            let orgs = match format {
                TransferFormat::Csv => transfer::from_csv(&input),
                TransferFormat::Json => transfer::from_json(&input),
            }
            .with_context(|| format!("nothing was imported from {source}"))?;
            let report = services.import_organisations(operator, orgs).await?;
            println!(
                "Imported {source}: {} created, {} updated, {} unchanged.",
                report.created, report.updated, report.unchanged
            );
        }
        OrgAction::Export { format } => {
            let orgs = services.organisations(operator).await?;
            let out = match format {
                TransferFormat::Csv => transfer::to_csv(&orgs)?,
                TransferFormat::Json => transfer::to_json(&orgs)?,
            };
            print!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn status(config: &Config, json: bool) -> Result<ExitCode> {
    let services = services(config).await?;
    let s = services.status().await?;
    if json {
        println!("{}", serde_json::to_string(&s)?);
    } else {
        println!("database:       {} ({})", config.database_url(), s.backend);
        println!("schema version: {}", s.schema_version);
        println!("organisations:  {}", s.counts.organisations);
        println!("incidents:      {}", s.counts.incidents);
        println!("events:         {}", s.counts.events);
        println!("partners:       {}", s.counts.partners);
        println!("users:          {}", s.counts.users);
    }
    Ok(ExitCode::SUCCESS)
}

async fn mail_ingest(config: &Config, operator: &Principal, file: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    // Read one byte more than a message may have, so that a larger one is refused, not cut.
    let limit = cirtkit_intake::MAX_MESSAGE_BYTES as u64 + 1;
    let mut raw = Vec::new();
    match &file {
        Some(path) => std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut raw))
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => std::io::stdin().lock().take(limit).read_to_end(&mut raw).context("cannot read stdin")?,
    };
    let mail = cirtkit_intake::parse_mail(&raw).map_err(|e| anyhow::anyhow!("the mail was not filed: {e}"))?;
    let services = services(config).await?;
    let outcome = services.ingest_mail(operator, mail).await?;
    if json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        println!("{} ({})", if outcome.created { "created" } else { "updated" }, outcome.rsit);
        println!("{}", outcome.reference);
    }
    Ok(ExitCode::SUCCESS)
}

async fn mail_poll(config: &Config, operator: Principal, once: bool, json: bool) -> Result<ExitCode> {
    let Some(imap) = config.imap_settings() else {
        bail!("the mailbox is not configured: set imap.host, imap.username and imap.password in cirtkit.toml");
    };
    let services = services(config).await?;
    let mut problems = 0;
    let shown = imap.clone();
    let mut print = |message: &PolledMessage| {
        problems += usize::from(message.is_problem());
        print_polled(message, &shown, json);
    };
    if once {
        mail_poll::poll_once(&services, &operator, &imap, None, &mut print).await?;
        return Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        cirtkit_app::shutdown_signal().await;
        let _ = stop.send(true);
    });
    mail_poll::poll_until_stopped(services, operator, imap, config.imap_interval(), stopped, print).await;
    Ok(ExitCode::SUCCESS)
}

/// One line per message: what was filed on stdout, what needs a person on stderr.
fn print_polled(message: &PolledMessage, imap: &cirtkit_mailbox::ImapSettings, json: bool) {
    let (uid, status, reference, reason) = match message {
        PolledMessage::Filed { uid, outcome } => {
            let status = if outcome.created { "created" } else { "updated" };
            (uid, status, Some(outcome.reference.to_string()), None)
        }
        PolledMessage::AlreadyFiled { uid, reference } => (uid, "already-filed", Some(reference.clone()), None),
        PolledMessage::Unreadable { uid, reason, quarantined } => {
            let place = match (&imap.quarantine_folder, quarantined) {
                (Some(folder), true) => format!("moved to {folder}"),
                _ => format!("left unseen in {}", imap.mailbox),
            };
            (uid, "unreadable", None, Some(format!("{reason} ({place})")))
        }
        PolledMessage::NotFiled { uid, reason } => {
            (uid, "not-filed", None, Some(format!("{reason} (left unseen, tried again at the next poll)")))
        }
    };
    if json {
        println!("{}", serde_json::json!({"uid": uid, "status": status, "reference": reference, "reason": reason}));
    } else if let Some(reference) = reference {
        println!("{status} {reference}");
    } else {
        eprintln!("message {uid} {status}: {}", reason.unwrap_or_default());
    }
}

async fn audit_verify(config: &Config, operator: &Principal) -> Result<ExitCode> {
    let services = services(config).await?;
    let v = services.verify_audit(operator).await?;
    match (v.first_bad_row, v.reason) {
        (None, _) => {
            println!("The audit log is intact: {} rows verified.", v.rows);
            Ok(ExitCode::SUCCESS)
        }
        (Some(row), reason) => {
            bail!("the audit log does not verify at row {row}: {}", reason.unwrap_or_default())
        }
    }
}
