//! `seatline`: serve the API, migrate the database, and run every admin operation from a
//! shell. The only crate that names a storage backend: the URL's scheme picks it.

mod activity;
mod audit;
mod backup;
mod bulk;
mod contact_center;
mod context;
mod demo;
mod entitlements;
mod events;
mod extensions;
mod lifecycle;
mod members;
mod memory;
mod numbers;
mod orgs;
mod output;
mod progress;
mod reports;
mod scim;
mod sign_in_links;
mod teams;
mod templates;
mod tokens;
mod webhooks;

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use seatline_app::App;
use seatline_store::Store;

/// Seatline: licenses, extensions and their add-ons for a cloud phone system and contact
/// center.
///
/// `seatline serve` runs the HTTP API and the admin UI; every other command does the same
/// work from a shell against the same database: organizations and purchased licenses,
/// members, extensions, add-ons and numbers, bulk assignment from a spreadsheet, the audit
/// log. Tables by default, `--json` for scripts. Exit codes: 0 success, 1 a rule refused
/// (the code and how to fix it are on stderr), 2 a bad command line or listen address, 3 the
/// database could not be opened or failed.
#[derive(Parser)]
#[command(name = "seatline", version)]
struct Cli {
    /// Database URL: `sqlite:FILE` (the default, created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "SEATLINE_DATABASE_URL",
        default_value = "sqlite:seatline.db",
        global = true
    )]
    database_url: String,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// Write no events: the baseline `scripts/bench-events` and `scripts/bench-bulk` measure
    /// the change feed's cost against. Consumers of such a database miss changes.
    #[arg(
        long,
        env = "SEATLINE_BENCH_WITHOUT_EVENTS",
        hide = true,
        global = true
    )]
    bench_without_events: bool,
    /// SQLite: passive WAL checkpoints only, the WAL unbounded under continuous writes: the
    /// baseline `scripts/bench-wal` measures the bounded WAL against.
    #[arg(long, env = "SEATLINE_BENCH_WAL_UNBOUNDED", hide = true, global = true)]
    bench_wal_unbounded: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Organizations (operator).
    #[command(subcommand)]
    Org(orgs::OrgCmd),
    /// Purchased quantities and the license summary.
    #[command(subcommand)]
    License(orgs::LicenseCmd),
    /// The organization's number inventory (operator).
    #[command(subcommand)]
    Number(numbers::NumberCmd),
    /// Members, roles and status.
    #[command(subcommand)]
    Member(members::MemberCmd),
    /// Extensions: provision, assign, add-ons, numbers.
    #[command(subcommand)]
    Ext(extensions::ExtCmd),
    /// Issue a bearer token for a member.
    Token(context::OrgMember),
    /// What a member may use, and its Contact Center readiness.
    Entitlements(context::OrgMember),
    /// Every member's Contact Center role, readiness and what is missing.
    ContactCenter(context::OrgArg),
    /// The audit log, newest first.
    Audit(audit::AuditArgs),
    /// SQLite: copy the database to a file, consistently while `serve` runs.
    Backup(backup::BackupArgs),
    /// SQLite: put a backup in the database's place (no process may hold it), then start a
    /// new feed epoch in every organization.
    Restore(backup::RestoreArgs),
    /// Bulk assignment from a spreadsheet: sample, plan, apply, export.
    #[command(subcommand)]
    Bulk(bulk::BulkCmd),
    /// Subscription lifecycle: set a subscription's state and term, run the scheduler once.
    #[command(subcommand)]
    Lifecycle(lifecycle::LifecycleCmd),
    /// SCIM tokens for identity providers (Entra ID, Okta): create, list, revoke.
    #[command(subcommand)]
    ScimToken(scim::ScimTokenCmd),
    /// Webhook endpoints and their deliveries.
    #[command(subcommand)]
    Webhook(webhooks::WebhookCmd),
    /// The change feed: `events tail [--after SEQ] [--follow] [--types …]`, `events new-epoch`.
    #[command(subcommand)]
    Events(events::EventsCmd),
    /// Read-only integration tokens for the PBX and the contact center (owner).
    #[command(subcommand)]
    IntegrationToken(tokens::IntegrationTokenCmd),
    /// Teams and admins' scopes (product.md §12).
    #[command(subcommand)]
    Teams(teams::TeamsCmd),
    /// The members waiting for seats for their teams' templates, in join order (§13).
    WaitingRoom(context::OrgArg),
    /// The usage report: `report usage`, `report findings [--kind K] [--csv]`.
    #[command(subcommand)]
    Report(reports::ReportCmd),
    /// Cleanup plans for findings: `cleanup plan --kinds …`, `cleanup apply PLAN`.
    #[command(subcommand)]
    Cleanup(reports::CleanupCmd),
    /// Activity from the PBX and the contact center (product.md §14).
    #[command(subcommand)]
    Activity(activity::ActivityCmd),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SEATLINE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The operator's bearer token (the service provider's credential).
    #[arg(long, env = "SEATLINE_OPERATOR_TOKEN")]
    operator_token: Option<String>,
    /// Key that signs the admin UI's session cookies (a long random string). Without one, a
    /// random key is made at startup: sessions end on restart, and several processes serving
    /// one database must all be given the same key.
    #[arg(long, env = "SEATLINE_SESSION_KEY", hide_env_values = true)]
    session_key: Option<String>,
    /// Mark the admin UI's cookies Secure: set this when Seatline is served over HTTPS.
    #[arg(long, env = "SEATLINE_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Seed a demo organization (owner, admins, members, seats, numbers, extensions) and print
    /// how to sign in. Without an operator token, one is generated and printed.
    #[arg(long)]
    demo: bool,
    /// Serve GET /bench/baseline, a bare handler the API benchmark compares against.
    #[arg(long, env = "SEATLINE_BENCH_BASELINE", hide = true)]
    bench_baseline: bool,
    /// Seconds between two runs of the lifecycle scheduler (expire, suspend, terminate);
    /// 0 turns it off. Every process may run it: each transition is made once.
    #[arg(long, env = "SEATLINE_LIFECYCLE_INTERVAL", default_value_t = 60)]
    lifecycle_interval: u64,
    /// Days an expired subscription stays in grace before it is suspended.
    #[arg(long, env = "SEATLINE_GRACE_DAYS", default_value_t = seatline_domain::lifecycle::DEFAULT_GRACE_DAYS)]
    grace_days: u32,
    /// Let webhooks target loopback, private and link-local addresses (tests, on-premises PBXs).
    #[arg(long, env = "SEATLINE_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: bool,
    /// How long a webhook receiver may take to answer, in milliseconds (product.md: 15 s).
    #[arg(
        long,
        env = "SEATLINE_WEBHOOK_TIMEOUT_MS",
        default_value_t = 15_000,
        hide = true
    )]
    webhook_timeout_ms: u64,
    /// Days the change feed keeps events; older ones are pruned in the background.
    #[arg(long, env = "SEATLINE_EVENT_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    event_retention_days: u32,
}

/// Open the store the URL names and bring its schema up to date; `wal_unbounded`: see
/// `Cli::bench_wal_unbounded`.
async fn open_store(
    url: &str,
    wal_unbounded: bool,
) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let store: Arc<dyn Store> = if postgres {
        Arc::new(seatline_postgres::PostgresStore::connect(url).await?)
    } else {
        let limit = (!wal_unbounded).then_some(seatline_sqlite::WAL_LIMIT);
        Arc::new(seatline_sqlite::SqliteStore::connect_with_wal_limit(url, limit).await?)
    };
    store.migrate().await?;
    Ok(store)
}

/// Why serving stopped: the listen address (exit 2, a setting to fix) or anything else.
enum ServeError {
    Listen(String, std::io::Error),
    Other(Box<dyn std::error::Error>),
}

fn other(e: impl Into<Box<dyn std::error::Error>>) -> ServeError {
    ServeError::Other(e.into())
}

async fn serve(app: App, args: ServeArgs) -> Result<(), ServeError> {
    // Bind first: a taken port or a mistyped address fails before anything is seeded.
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| ServeError::Listen(args.listen.clone(), e))?;
    // Flips to true at SIGTERM or SIGINT: serving and the background work stop at it.
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let signals = Signals::register().map_err(other)?;
    tokio::spawn(async move {
        signals.received().await;
        stop_tx.send_replace(true);
    });
    let mut operator_token = args.operator_token;
    let demo = if args.demo {
        operator_token.get_or_insert_with(|| seatline_app::new_id("op"));
        Some(demo::open(&app).await.map_err(other)?)
    } else {
        None
    };
    let mut background = tokio::task::JoinSet::new();
    background.spawn(until_stopped(
        stop.clone(),
        seatline_http::prune_periodically(app.store().clone()),
    ));
    if args.lifecycle_interval > 0 {
        background.spawn(until_stopped(
            stop.clone(),
            seatline_app::lifecycle::tick_periodically(
                app.clone(),
                std::time::Duration::from_secs(args.lifecycle_interval),
                args.grace_days,
            ),
        ));
    }
    // The waiting room fills itself (product.md §13).
    background.spawn(until_stopped(
        stop.clone(),
        seatline_app::templates::fill_waiting_rooms_periodically(app.clone()),
    ));
    let app = app.with_webhook_settings(seatline_app::webhooks::Settings {
        allow_private: args.webhooks_allow_private,
        ..Default::default()
    });
    let worker = seatline_app::webhooks::worker::Worker::new(
        app.clone(),
        seatline_app::webhooks::worker::WorkerConfig {
            timeout: std::time::Duration::from_millis(args.webhook_timeout_ms),
            ..Default::default()
        },
    )
    .map_err(other)?;
    // The worker stops claiming at the signal and finishes the attempts it has in flight.
    let webhooks = tokio::spawn(worker.run(stop.clone()));
    app.listen_events().await.map_err(other)?;
    background.spawn(until_stopped(
        stop.clone(),
        app.clone()
            .prune_events_periodically(args.event_retention_days),
    ));
    let config = seatline_http::Config {
        operator_token: operator_token.clone(),
        bench_baseline: args.bench_baseline,
    };
    let ui = seatline_ui::Config {
        session_key: args.session_key,
        secure_cookies: args.secure_cookies,
    };
    let feed = app.clone();
    let mut stopping = stop.clone();
    let shutdown = async move {
        stopped(&mut stopping).await;
        // Held long polls answer what they have now rather than hold the drain up.
        feed.feed().close();
    };
    let router =
        seatline_http::router_with_pages(app.clone(), config, seatline_ui::router(app, ui));
    tracing::info!(listen = %args.listen, "seatline serving");
    eprintln!(
        "Seatline listening on http://{}",
        listener.local_addr().map_err(other)?
    );
    eprintln!(
        "Admin UI: http://{}/ui/",
        listener.local_addr().map_err(other)?
    );
    if let (Some(d), Some(op)) = (demo, &operator_token) {
        let url = format!("http://{}", listener.local_addr().map_err(other)?);
        eprintln!("\nDemo organization {} is ready.", d.org);
        eprintln!("  API reference:  {url}/api/docs/");
        eprintln!("  Operator token: {op}");
        eprintln!("  Owner sign-in:  {} / {}", d.owner_email, d.owner_password);
        eprintln!("  Agent sign-in:  {} / {}", d.agent_email, d.owner_password);
        eprintln!("  Owner token:    {}", d.owner_token);
        eprintln!(
            "  Try: curl -H 'Authorization: Bearer {}' {url}/api/v1/orgs/{}/licenses\n",
            d.owner_token, d.org
        );
    }
    seatline_http::serve(listener, router, shutdown)
        .await
        .map_err(other)?;
    while background.join_next().await.is_some() {}
    // Attempts still in flight past this keep their claims, which the next process takes over
    // at once (their holder is gone).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), webhooks).await;
    // The store closes when the runtime drops the last task holding it: on SQLite the last
    // connection closed checkpoints the WAL and removes it.
    tracing::info!("seatline stopped");
    Ok(())
}

/// SIGTERM (systemd, Docker, Kubernetes) and SIGINT (Ctrl-C), registered before the server
/// says it listens: a signal before the registration would end the process at once.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn register() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn received(mut self) {
        let name = tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        };
        tracing::info!(
            signal = name,
            "stopping: no new connections, answering the open requests"
        );
    }
}

/// Run `work` until the stop signal. A periodic task dropped at an await stops cleanly: a
/// transaction it held rolls back, and each of its runs is one that may be repeated (the
/// lifecycle scheduler catches up by due time, the prunes by age).
async fn until_stopped(
    mut stop: tokio::sync::watch::Receiver<bool>,
    work: impl Future<Output = ()>,
) {
    tokio::select! {
        () = work => {}
        () = stopped(&mut stop) => {}
    }
}

/// Resolves once `stop` is true; never if its sender is gone without sending it.
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn main() -> std::process::ExitCode {
    memory::tune_allocator();
    run()
}

#[tokio::main]
async fn run() -> std::process::ExitCode {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        // Colour codes only for a person at a terminal, never into a file or a collector.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // SEATLINE_LOG_FORMAT=json: one JSON object per line, with the request span's fields
    // (method, route, request_id) on every event.
    if std::env::var("SEATLINE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().with_current_span(true).init();
    } else {
        logs.init();
    }
    let cli = Cli::parse();
    // On the database file, before any store holds it.
    match cli.command {
        Command::Backup(a) => return backup::backup(&cli.database_url, a, cli.json),
        Command::Restore(a) => return backup::restore(&cli.database_url, a, cli.json).await,
        _ => {}
    }
    let store = match open_store(&cli.database_url, cli.bench_wal_unbounded).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot open the database {}: {e}", cli.database_url);
            return std::process::ExitCode::from(output::EXIT_IO);
        }
    };
    let app = App::new(store);
    let app = if cli.bench_without_events {
        app.without_events_for_benchmark()
    } else {
        app
    };
    match cli.command {
        Command::Backup(_) | Command::Restore(_) => unreachable!("run before the store opens"),
        Command::Migrate => {
            eprintln!("database is up to date");
            std::process::ExitCode::SUCCESS
        }
        Command::Serve(args) => match serve(app, args).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(ServeError::Listen(addr, e)) => {
                eprintln!("error: cannot listen on {addr}: {e}; pass another --listen address (host:port)");
                std::process::ExitCode::from(output::EXIT_USAGE)
            }
            Err(ServeError::Other(e)) => {
                eprintln!("error: {e}");
                std::process::ExitCode::from(output::EXIT_IO)
            }
        },
        Command::Org(cmd) => output::done(orgs::org(&app, cmd, cli.json).await, cli.json),
        Command::License(cmd) => output::done(orgs::license(&app, cmd, cli.json).await, cli.json),
        Command::Number(cmd) => output::done(numbers::run(&app, cmd, cli.json).await, cli.json),
        Command::Member(cmd) => output::done(members::run(&app, cmd, cli.json).await, cli.json),
        Command::Ext(cmd) => output::done(extensions::run(&app, cmd, cli.json).await, cli.json),
        Command::Token(t) => output::done(tokens::issue(&app, t, cli.json).await, cli.json),
        Command::Entitlements(t) => {
            output::done(entitlements::run(&app, t, cli.json).await, cli.json)
        }
        Command::ContactCenter(o) => {
            output::done(contact_center::run(&app, o, cli.json).await, cli.json)
        }
        Command::Audit(a) => output::done(audit::run(&app, a, cli.json).await, cli.json),
        Command::Bulk(cmd) => bulk::run(&app, cmd, cli.json).await,
        Command::Lifecycle(cmd) => lifecycle::run(&app, cmd, cli.json).await,
        Command::Report(cmd) => reports::report(&app, cmd, cli.json).await,
        Command::Cleanup(cmd) => reports::cleanup(&app, cmd, cli.json).await,
        Command::ScimToken(cmd) => scim::run(&app, cmd, cli.json).await,
        Command::Webhook(cmd) => webhooks::run(&app, cmd, cli.json).await,
        Command::Events(cmd) => events::tail(&app, cmd, cli.json).await,
        Command::IntegrationToken(cmd) => tokens::integration_token(&app, cmd, cli.json).await,
        Command::Teams(cmd) => teams::run(&app, cmd, cli.json).await,
        Command::Activity(cmd) => activity::run(&app, cmd, cli.json).await,
        Command::WaitingRoom(org) => templates::waiting_room(&app, org, cli.json).await,
    }
}
