//! `akrida run`: checks the configuration, starts the engine with the chosen scenario, shows
//! progress while it runs, maps Ctrl-C to a clean stop, and writes every report at the end —
//! also after Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use engine::report::{render_table, to_json, write_locust_csv, Rates};
use engine::{RunConfig, RunHandle, Runner, Scenario, StatsSnapshot, Wait};

use crate::cli::RunArgs;
use crate::preflight;

/// Exit code for a configuration or start-up problem (before any load was sent).
pub const EXIT_BAD_SETUP: u8 = 2;

pub fn run(args: RunArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("akrida run: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_BAD_SETUP);
        }
    };
    runtime.block_on(run_async(args))
}

async fn run_async(args: RunArgs) -> ExitCode {
    if args.dry_run {
        println!("{:#}", args.settings_json());
        return ExitCode::SUCCESS;
    }
    let scenario = match preflight::build_scenario(&args).await {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("akrida run: {e}");
            return ExitCode::from(EXIT_BAD_SETUP);
        }
    };
    if let Some(warning) = crate::limits::check_room_for(args.users) {
        eprintln!("akrida: warning: {warning}");
    }
    let config = RunConfig {
        users: args.users,
        spawn_rate: args.spawn_rate,
        run_time: args.run_time,
        wait: Wait::between(args.min_wait, args.max_wait),
        ..RunConfig::default()
    };
    let (handle, run) = match Runner::start(scenario.clone(), config) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("akrida run: {e}");
            return ExitCode::from(EXIT_BAD_SETUP);
        }
    };
    eprintln!(
        "akrida: {} with {} users at {}/s{}; Ctrl-C stops and still writes the reports",
        scenario.name(),
        args.users,
        args.spawn_rate,
        args.run_time
            .map(|t| format!(" for {}s", t.as_secs()))
            .unwrap_or_default()
    );
    stop_on_ctrl_c(handle.clone());

    let snapshot = wait_with_progress(&handle, run, &args).await;
    write_reports(&handle, &snapshot, &args)
}

/// Ctrl-C once: stop users cleanly (reports are still written). Twice: leave at once.
fn stop_on_ctrl_c(handle: RunHandle) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("akrida: stopping users (Ctrl-C again to quit at once)");
            handle.stop();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
}

async fn wait_with_progress(
    handle: &RunHandle,
    run: tokio::task::JoinHandle<StatsSnapshot>,
    args: &RunArgs,
) -> StatsSnapshot {
    let period = Duration::from_secs_f64(args.stats_interval.max(0.5));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tokio::pin!(run);
    loop {
        tokio::select! {
            finished = &mut run => {
                return finished.unwrap_or_else(|e| {
                    // The engine's own task failed: report what it had recorded so far.
                    eprintln!("akrida: the run ended abnormally ({e}); reporting the stats so far");
                    handle.stats()
                });
            }
            _ = ticker.tick() => {
                let snapshot = handle.stats();
                eprintln!(
                    "\nusers: {} running / {} target",
                    handle.user_count(),
                    handle.target_user_count()
                );
                eprintln!("{}", render_table(&snapshot, Rates::Current));
            }
        }
    }
}

fn write_reports(handle: &RunHandle, snapshot: &StatsSnapshot, args: &RunArgs) -> ExitCode {
    let mut report_failed = false;
    if let Some(prefix) = &args.csv {
        match write_locust_csv(prefix, snapshot, &handle.history()) {
            Ok(paths) => {
                for path in paths {
                    eprintln!("akrida: wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("akrida: could not write the CSV reports: {e}");
                report_failed = true;
            }
        }
    }
    let table = render_table(snapshot, Rates::OverRun);
    if args.json {
        eprintln!("{table}");
        match to_json(snapshot) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("akrida: could not write the JSON report: {e}");
                report_failed = true;
            }
        }
    } else {
        println!("{table}");
    }
    if report_failed {
        return ExitCode::from(EXIT_BAD_SETUP);
    }
    if snapshot.total.num_failures > 0 {
        return ExitCode::from(args.exit_code_on_error);
    }
    ExitCode::SUCCESS
}

/// The scenario as the engine sees it.
pub type SharedScenario = Arc<dyn Scenario>;
