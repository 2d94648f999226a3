//! `akrida run`: checks the configuration, starts the engine with the chosen scenario, shows
//! progress while it runs, maps Ctrl-C to a clean stop, and writes every report at the end —
//! also after Ctrl-C.
//!
//! Exit codes: see [`crate::exit`].

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use acapy_trace::{render_hops, HopReport, TraceCollector};
use engine::baseline::{self, Comparison};
use engine::report::{from_json, render_table, write_locust_csv, Rates};
use engine::thresholds::{self, Threshold, ThresholdResult};
use engine::{RunConfig, RunHandle, Runner, StatsSnapshot, Wait};

use crate::cli::RunArgs;
use crate::page::PageSource;
use crate::selfwatch::SelfWatch;
use crate::{exit, live, observe, settings, setup};
use engine::report::redact;

/// Thresholds are not checked for `--abort-on-threshold` before this much of the run: the first
/// samples are too few to judge on.
const ABORT_GRACE: Duration = Duration::from_secs(10);

pub fn run(args: RunArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("akrida run: cannot start the async runtime: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    runtime.block_on(run_async(args))
}

/// What the run is judged by, loaded before any load is sent.
struct Criteria {
    thresholds: Vec<Threshold>,
    baseline: Option<StatsSnapshot>,
}

fn load_criteria(args: &RunArgs) -> Result<Criteria, String> {
    let mut thresholds = args.thresholds.clone();
    if let Some(path) = &args.thresholds_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--thresholds-file {}: {e}", path.display()))?;
        let more = thresholds::parse_file(&text)
            .map_err(|e| format!("--thresholds-file {}: {e}", path.display()))?;
        thresholds.extend(more);
    }
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--baseline {}: {e}", path.display()))?;
            Some(from_json(&text).map_err(|e| {
                format!(
                    "--baseline {}: not the --json output of a run: {e}",
                    path.display()
                )
            })?)
        }
        None => None,
    };
    Ok(Criteria {
        thresholds,
        baseline,
    })
}

async fn run_async(args: RunArgs) -> ExitCode {
    if args.dry_run {
        println!("{:#}", redact::redact_secrets(&settings::settings(&args)));
        return ExitCode::SUCCESS;
    }
    let criteria = match load_criteria(&args) {
        Ok(criteria) => criteria,
        Err(e) => {
            eprintln!("akrida run: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    let shape =
        engine::load_shape::shape(args.step_users.zip(args.step_time), args.stages.as_ref());
    let total_time = match (args.run_time, shape.duration()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    // Timed events and watched servers are judged before anything starts.
    let plan = match observe::Plan::check(&args, total_time) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("akrida run: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    // Bound before anything else: agents started with this trace target refuse to start while
    // nothing listens there, and events that arrive during preflight are kept too.
    let traces = match args.trace_listen {
        Some(addr) => match crate::trace_listen::bind(addr).await {
            Ok(listener) => {
                let collector = Arc::new(TraceCollector::new());
                eprintln!(
                    "akrida: collecting ACA-Py trace events at http://{}/",
                    listener.local_addr().unwrap_or(addr)
                );
                crate::trace_listen::serve(listener, collector.clone());
                Some(collector)
            }
            Err(e) => {
                eprintln!("akrida run: {e}");
                return ExitCode::from(exit::BAD_SETUP);
            }
        },
        None => None,
    };
    let scenario = match setup::build_scenario(&args).await {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("akrida run: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    let max_users = match &shape {
        engine::LoadShape::Stages(stages) => stages.iter().map(|s| s.users).max().unwrap_or(0),
        _ => args.users,
    };
    if let Some(warning) = crate::limits::check_room_for(max_users) {
        eprintln!("akrida: warning: {warning}");
    }
    let config = RunConfig {
        users: args.users,
        spawn_rate: args.spawn_rate,
        run_time: args.run_time,
        wait: Wait::between(args.min_wait, args.max_wait),
        shape,
        active_share: args.active_share,
        arrival_rate: args.arrival_rate,
        ..RunConfig::default()
    };
    let metrics = match args.metrics_addr {
        Some(addr) => match crate::metrics::bind(addr).await {
            Ok(listener) => Some(listener),
            Err(e) => {
                eprintln!("akrida run: {e}");
                return ExitCode::from(exit::BAD_SETUP);
            }
        },
        None => None,
    };
    let web = match args.web {
        Some(addr) => match crate::web::bind(addr).await {
            Ok(bound) => Some(bound),
            Err(e) => {
                eprintln!("akrida run: {e}");
                return ExitCode::from(exit::BAD_SETUP);
            }
        },
        None => None,
    };
    let stats = Arc::new(engine::Stats::new());
    if traces.is_some() {
        stats.message_threads().enable();
    }
    // The servers' first sample is taken now, before any load; the events count from here.
    let observers = Arc::new(plan.start(stats.snapshot().start_time));
    let (handle, run) = match Runner::start_with_stats(scenario.clone(), config, stats) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("akrida run: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    if let Some(listener) = metrics {
        if let Ok(addr) = listener.local_addr() {
            eprintln!("akrida: Prometheus metrics at http://{addr}/metrics");
        }
        crate::metrics::serve(listener, handle.clone());
    }
    let watch = SelfWatch::start(Duration::from_secs(1));
    let page = Arc::new(PageSource {
        title: format!("akrida — {}", args.scenario),
        settings: redact::redact(&settings::settings(&args)),
        thresholds: criteria.thresholds.clone(),
        baseline: criteria.baseline.clone(),
        tolerance: args.tolerance,
        phases: scenario.phases(),
        handle: handle.clone(),
        watch: watch.clone(),
        traces: traces.clone(),
        observers: Some(observers.clone()),
    });
    // Kept until the reports are written: the page serves until the process ends.
    let _web_server = web.map(|bound| {
        crate::web::announce(&bound);
        crate::web::serve(bound, page.clone(), args.spawn_rate)
    });
    eprintln!(
        "akrida: {} — {}{}; Ctrl-C stops and still writes the reports",
        scenario.name(),
        engine::load_shape::Described {
            users: args.users,
            spawn_rate: args.spawn_rate,
            step: args.step_users.zip(args.step_time),
            stages: args.stages.as_ref(),
            arrival_rate: args.arrival_rate,
            active_share: args.active_share,
        },
        total_time
            .map(|t| format!(" for {}s", t.as_secs()))
            .unwrap_or_default()
    );
    stop_on_ctrl_c(handle.clone());

    let snapshot = wait_with_progress(&handle, run, &args, &criteria, &watch, total_time).await;
    observers.finish().await;
    let hops = page.hops();
    write_reports(
        &handle,
        &snapshot,
        &args,
        &criteria,
        &page,
        &observers,
        hops.as_ref(),
    )
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
    criteria: &Criteria,
    watch: &SelfWatch,
    total_time: Option<Duration>,
) -> StatsSnapshot {
    let tty = std::io::stderr().is_terminal();
    let interval = Duration::from_secs_f64(args.stats_interval.max(0.5));
    // A terminal is redrawn every second; piped output gets a block per stats interval.
    let period = if tty {
        Duration::from_secs(1)
    } else {
        interval
    };
    let started = tokio::time::Instant::now();
    let mut ticker = tokio::time::interval_at(started + period, period);
    let mut checks = tokio::time::interval_at(started + ABORT_GRACE, Duration::from_secs(1));
    let mut aborted = false;
    if tty {
        eprint!("\x1b[2J");
    }
    tokio::pin!(run);
    loop {
        tokio::select! {
            // An ended run wins over a tick due at the same moment: its table is the final one.
            biased;
            finished = &mut run => {
                if tty {
                    // The final table follows; the last live frame would show it twice.
                    eprint!("{}", live::erase());
                }
                return finished.unwrap_or_else(|e| {
                    // The engine's own task failed: report what it had recorded so far.
                    eprintln!("akrida: the run ended abnormally ({e}); reporting the stats so far");
                    handle.stats()
                });
            }
            _ = ticker.tick() => {
                // Once the run time is up the users are only stopping: a block now would
                // repeat the final table, printed once when they have stopped.
                if total_time.is_some_and(|total| started.elapsed() >= total) {
                    continue;
                }
                let snapshot = handle.summary();
                let failing = thresholds::evaluate(&criteria.thresholds, &snapshot)
                    .iter()
                    .filter(|r| !r.passed)
                    .count();
                let frame = live::frame(
                    &snapshot,
                    started.elapsed(),
                    total_time,
                    watch.latest().as_ref(),
                    failing,
                );
                if tty {
                    eprint!("{}", live::redraw(&frame));
                } else {
                    eprintln!("\n{frame}");
                }
            }
            _ = checks.tick(), if args.abort_on_threshold && !aborted && !criteria.thresholds.is_empty() => {
                // Delivery verdicts exist only after the final drain: never judged mid-run.
                let now: Vec<_> = criteria
                    .thresholds
                    .iter()
                    .filter(|t| !matches!(t.metric, thresholds::Metric::Delivery(_)))
                    .cloned()
                    .collect();
                let results = thresholds::evaluate(&now, &handle.summary());
                if let Some(failed) = results.iter().find(|r| !r.passed) {
                    eprintln!(
                        "akrida: threshold {} failed (--abort-on-threshold); stopping the run",
                        failed.threshold
                    );
                    aborted = true;
                    handle.stop();
                }
            }
        }
    }
}

fn write_reports(
    handle: &RunHandle,
    snapshot: &StatsSnapshot,
    args: &RunArgs,
    criteria: &Criteria,
    page: &PageSource,
    observers: &observe::Observers,
    hops: Option<&HopReport>,
) -> ExitCode {
    let watch = &page.watch;
    let mut report_failed = false;
    let history = handle.history();
    let observed = observers.observed(snapshot, &history);
    if let Some(prefix) = &args.csv {
        match write_locust_csv(prefix, snapshot, &history) {
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
    let threshold_results = thresholds::evaluate(&criteria.thresholds, snapshot);
    let comparisons: Vec<Comparison> = criteria
        .baseline
        .as_ref()
        .map(|b| baseline::compare(b, snapshot, args.tolerance))
        .unwrap_or_default();
    let generator = watch.samples();
    let warnings: Vec<String> =
        crate::selfwatch::saturation_warning(&generator, snapshot.start_time)
            .into_iter()
            .collect();

    let mut summary = render_table(snapshot, Rates::OverRun);
    if let Some(delivery) = &snapshot.delivery {
        summary.push('\n');
        summary.push_str(&delivery.summary());
    }
    if !threshold_results.is_empty() {
        summary.push_str("\nThresholds\n");
        summary.push_str(&thresholds::render(&threshold_results));
    }
    if !comparisons.is_empty() {
        summary.push_str(&format!(
            "\nCompared with the baseline (tolerance {:.0}%)\n",
            args.tolerance * 100.0
        ));
        summary.push_str(&baseline::render(&comparisons));
    }
    if let Some(hops) = hops {
        summary.push('\n');
        summary.push_str(&render_hops(hops));
    }
    summary.push_str(&observed.text());
    for warning in &warnings {
        summary.push_str(&format!("\nwarning: {warning}\n"));
    }
    if args.json {
        eprintln!("{summary}");
        let settings = redact::redact(&settings::settings(args));
        let json = json_report(
            &settings,
            snapshot,
            &threshold_results,
            &comparisons,
            &generator,
            &warnings,
            hops,
        )
        .and_then(|mut value| {
            if let Some(map) = value.as_object_mut() {
                observed.insert_json(map);
            }
            serde_json::to_string_pretty(&value)
        });
        match json {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("akrida: could not write the JSON report: {e}");
                report_failed = true;
            }
        }
    } else {
        println!("{summary}");
    }
    if let Some(path) = &args.html {
        let html = page.final_page(snapshot, hops);
        match std::fs::write(path, html) {
            Ok(()) => eprintln!("akrida: wrote {}", path.display()),
            Err(e) => {
                eprintln!("akrida: could not write {}: {e}", path.display());
                report_failed = true;
            }
        }
    }
    if report_failed {
        return ExitCode::from(exit::BAD_SETUP);
    }
    if !thresholds::all_passed(&threshold_results) {
        return ExitCode::from(exit::THRESHOLD_FAILED);
    }
    if baseline::any_regression(&comparisons) {
        return ExitCode::from(exit::REGRESSION);
    }
    if snapshot.total.num_failures > 0 {
        return ExitCode::from(args.exit_code_on_error);
    }
    ExitCode::SUCCESS
}

/// The snapshot's JSON (what `--baseline` reads back) with the verdicts and the generator's
/// samples beside it.
fn json_report(
    settings: &serde_json::Value,
    snapshot: &StatsSnapshot,
    thresholds: &[ThresholdResult],
    comparisons: &[Comparison],
    generator: &[engine::report::GeneratorSample],
    warnings: &[String],
    hops: Option<&HopReport>,
) -> Result<serde_json::Value, serde_json::Error> {
    let mut value = serde_json::to_value(snapshot)?;
    if let Some(map) = value.as_object_mut() {
        // The run's parameters (secrets redacted), as the HTML report shows them.
        map.insert("parameters".into(), settings.clone());
        map.insert("thresholds".into(), serde_json::to_value(thresholds)?);
        map.insert("baseline".into(), serde_json::to_value(comparisons)?);
        map.insert(
            "self_watch".into(),
            serde_json::json!({ "samples": generator, "warnings": warnings }),
        );
        if let Some(hops) = hops {
            map.insert("trace".into(), serde_json::to_value(hops)?);
        }
    }
    Ok(value)
}
