//! `akrida worker`: joins a stock Locust master as a worker and runs the scenario's users it
//! assigns (the `locust` crate speaks the protocol). The scenario is built and checked exactly as
//! for `akrida run`; the user count, spawn rate and run time come from the master.

use std::process::ExitCode;
use std::time::Duration;

use engine::{RunConfig, Wait};
use locust::{MasterLoss, Worker, WorkerConfig, WorkerEnd, WorkerEvent};

use crate::cli::WorkerArgs;
use crate::{exit, setup};

/// The first flag given that a worker does not carry out (timed events, server watch): refused
/// rather than silently ignored.
fn unsupported(run: &crate::cli::RunArgs) -> Option<&'static str> {
    if !run.at.is_empty() {
        Some("--at")
    } else if !run.servers.is_empty() {
        Some("--server")
    } else if !run.server_metrics.is_empty() {
        Some("--server-metric")
    } else {
        None
    }
}

pub fn worker(args: WorkerArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("akrida worker: cannot start the async runtime: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    runtime.block_on(worker_async(args))
}

async fn worker_async(args: WorkerArgs) -> ExitCode {
    if let Some(flag) = unsupported(&args.run) {
        eprintln!("akrida worker: {flag} is not supported by akrida worker: the worker has no report of its own to put events or server figures in (use it on akrida run or akrida capacity)");
        return ExitCode::from(exit::BAD_SETUP);
    }
    if let Some(warning) = crate::unused::worker_warning(&args.run) {
        eprintln!("{warning}");
    }
    if args.run.web.is_some() {
        // The Locust master has the web UI of a distributed run.
        eprintln!(
            "akrida worker: --web is for akrida run; the Locust master's web UI shows this run"
        );
    }
    let user_class = args
        .user_class
        .clone()
        .unwrap_or_else(|| locust::user_class_name(&args.run.scenario));
    if args.run.dry_run {
        let mut settings = crate::settings::settings(&args.run);
        settings["master"] = serde_json::json!({
            "host": args.master_host,
            "port": args.master_port,
            "user_class": user_class,
            "connect_timeout_seconds": args.connect_timeout,
            "heartbeat_timeout_seconds": args.heartbeat_timeout,
        });
        println!("{:#}", engine::report::redact::redact_secrets(&settings));
        return ExitCode::SUCCESS;
    }
    let scenario = match setup::build_scenario(&args.run).await {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("akrida worker: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    crate::limits::raise_open_file_limit();
    let mut config = WorkerConfig::new(
        args.master_host.clone(),
        args.master_port,
        user_class.clone(),
        scenario,
    );
    config.run = RunConfig {
        wait: Wait::between(args.run.min_wait, args.run.max_wait),
        ..RunConfig::default()
    };
    config.connect_timeout = Duration::from_secs_f64(args.connect_timeout);
    config.heartbeat_timeout = Duration::from_secs_f64(args.heartbeat_timeout.max(2.0));
    eprintln!(
        "akrida worker: {} as Locust user class {user_class}, joining {} as {}",
        args.run.scenario,
        config.endpoint(),
        config.client_id
    );
    let worker = Worker::new(config).on_event(print_event);
    match worker.run(shutdown_signal()).await {
        Ok(WorkerEnd::Quit) => {
            eprintln!("akrida worker: the master said quit; users stopped, bye");
            ExitCode::SUCCESS
        }
        Ok(WorkerEnd::Shutdown) => {
            eprintln!("akrida worker: stopped on a signal; the master was told");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("akrida worker: {e}");
            ExitCode::from(exit::BAD_SETUP)
        }
    }
}

/// Ctrl-C, or SIGTERM (what Kubernetes sends a pod it stops).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One line on stderr per event; these lines are the worker's visible state.
fn print_event(event: &WorkerEvent) {
    match event {
        WorkerEvent::JoinFailed {
            attempt,
            endpoint,
            cause,
            retry_in,
            rejoin,
        } => {
            let what = if *rejoin {
                "master still gone"
            } else {
                "master not reachable"
            };
            match retry_in {
                Some(delay) => eprintln!(
                    "akrida worker: {what} at {endpoint} (attempt {attempt}: {cause}); retrying in {:.0}s",
                    delay.as_secs_f64().max(1.0)
                ),
                None => eprintln!(
                    "akrida worker: {what} at {endpoint} (attempt {attempt}: {cause}); giving up"
                ),
            }
        }
        WorkerEvent::Joined {
            endpoint,
            index,
            rejoin,
        } => eprintln!(
            "akrida worker: {} master at {endpoint} (worker index {})",
            if *rejoin { "rejoined" } else { "joined" },
            index.map_or_else(|| "?".to_owned(), |i| i.to_string())
        ),
        WorkerEvent::Spawned {
            users,
            user_classes_count,
        } => eprintln!("akrida worker: running {users} users {user_classes_count:?}"),
        WorkerEvent::UnknownClasses { classes } => eprintln!(
            "akrida worker: warning: the master's test does not include this worker's class: it \
             asks for users of other classes only, which are not started: {classes:?} (run a \
             worker of their scenario, or --user-class)"
        ),
        WorkerEvent::OtherClasses { classes, run_as } => eprintln!(
            "akrida worker: the master dealt this worker users of other classes of its test too, \
             {classes:?}: they run as {run_as} (a Locust master deals every class over all \
             workers; this worker runs its own scenario only)"
        ),
        WorkerEvent::Stopped => eprintln!("akrida worker: the master said stop; users stopped"),
        WorkerEvent::MasterLost { why } => {
            let why = match why {
                MasterLoss::Silent(silent_for) => format!(
                    "no heartbeat from the master for {:.0}s",
                    silent_for.as_secs_f64()
                ),
                MasterLoss::Disconnected => "the master closed the connection".to_owned(),
            };
            eprintln!("akrida worker: {why}; users stopped, waiting to rejoin")
        }
        WorkerEvent::Stalled {
            stalled_for,
            requests_reported,
        } => eprintln!(
            "akrida worker: this process was stalled for {:.0}s (paused?); the master may have \
             marked it missing and takes it back at its next heartbeat ({requests_reported} \
             requests reported so far)",
            stalled_for.as_secs_f64()
        ),
        WorkerEvent::Malformed { error } => {
            eprintln!("akrida worker: ignored a malformed message from the master: {error}")
        }
        WorkerEvent::SendFailed { error } => tracing::debug!(%error, "send failed"),
        WorkerEvent::Quit => {}
        WorkerEvent::Done { requests_reported } => {
            eprintln!("akrida worker: {requests_reported} requests reported to the master in all")
        }
    }
}
