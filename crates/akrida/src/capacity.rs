//! `akrida capacity`: the command line's side of the capacity search (the `akrida-capacity`
//! crate): its flags turned into the search's options, the scenario built, the reports' parameters
//! redacted, the live view served (`--web`), the timed events (`--at`) and server watch
//! (`--server`) run beside the search's load and put in its reports, the answer turned into
//! an exit code.
//!
//! Exit codes: 0 a capacity was found (at least `--expect`); 2 a setup problem (bad flag or SLO,
//! unreachable server, report not written); 3 no capacity: even the first plateau broke the
//! SLOs (or akrida itself was saturated there), or the capacity is below `--expect`, or the
//! servers did not drain within `--drain-timeout` (the search stopped there).

use std::process::ExitCode;
use std::sync::Arc;

use akrida_capacity::{LiveSearch, Options, Progress, Reports, SearchKind};
use engine::Wait;

use crate::cli::{self, CapacityArgs};
use crate::{exit, observe, settings, setup, web};
use engine::report::redact;
use server_watch::window_cost;

pub fn capacity(args: CapacityArgs) -> ExitCode {
    let setup = match akrida_capacity::setup(&options(&args)) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("akrida capacity: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    if let Some(warning) = crate::unused::capacity_warning(&args.run) {
        eprintln!("{warning}");
    }
    if args.run.dry_run {
        // The options checked (a bad SLO is exit 2 above), then what the search would use,
        // redacted as its reports are; no load.
        println!("{:#}", reports(&args).settings);
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("akrida capacity: cannot start the async runtime: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    let mut reports = reports(&args);
    let progress = Progress::new();
    let driven = runtime.block_on(async {
        // Timed events and watched servers are judged before any load. How long the search
        // runs is not known ahead (its plateaus depend on what they find), so an event's time
        // is only checked for its syntax.
        let plan = observe::Plan::check(&args.run, None)?;
        // The live view binds first: a busy port is refused before any load.
        let _live = match args.run.web {
            Some(addr) => {
                let bound = web::bind(addr).await?;
                web::announce(&bound);
                Some(web::serve_source(
                    bound,
                    Arc::new(LiveSearch {
                        progress: progress.clone(),
                        setup: setup.clone(),
                        title: format!("akrida capacity — {}", args.run.scenario),
                        settings: reports.settings.clone(),
                    }),
                ))
            }
            None => None,
        };
        let scenario = setup::build_scenario(&args.run).await?;
        // The servers' first sample is taken now, before the search's first plateau; the
        // events count from here.
        let start_unix = unix_now();
        let observers = plan.start(start_unix);
        let driven = akrida_capacity::drive(&setup, scenario, &progress).await;
        observers.finish().await;
        let driven = driven?;
        let beside = beside(&observers, &driven, start_unix);
        Ok::<_, String>((driven, beside))
    });
    let driven = match driven {
        Ok((driven, beside)) => {
            reports.beside = beside;
            driven
        }
        Err(e) => {
            eprintln!("akrida capacity: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    if !akrida_capacity::write_reports(&reports, &setup, &driven) {
        return ExitCode::from(exit::BAD_SETUP);
    }
    if akrida_capacity::met(&setup, &driven) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::THRESHOLD_FAILED)
    }
}

/// The events and servers as parts of the search's reports. The servers' figures per request
/// and per holder are over the whole search: its totals, and its plateaus' users.
fn beside(
    observers: &observe::Observers,
    driven: &akrida_capacity::Driven,
    start_unix: f64,
) -> akrida_capacity::Beside {
    let users = driven
        .plateaus
        .iter()
        .flat_map(|p| [(p.started_at, p.users as f64), (p.ended_at, p.users as f64)])
        .collect();
    let observed = observers.observed_with(server_watch::RunFacts {
        start: start_unix,
        requests: driven
            .totals
            .iter()
            .map(|t| (t.name.clone(), t.requests))
            .collect(),
        users,
    });
    let mut json = serde_json::Map::new();
    observed.insert_json(&mut json);
    if !observed.series.is_empty() {
        let windows: Vec<_> = driven
            .plateaus
            .iter()
            .map(|p| window_cost::Window {
                plateau: p.number,
                load: p.load,
                from: p.judged_from,
                to: p.ended_at,
                requests: p.requests,
                users: p.users,
            })
            .collect();
        json.insert(
            "server_plateaus".into(),
            serde_json::to_value(window_cost::costs(&observed.series, &windows))
                .unwrap_or_default(),
        );
    }
    akrida_capacity::Beside {
        text: observed.text(),
        json,
        sections: observed.sections(),
        start_unix,
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The flags as the search's options.
fn options(args: &CapacityArgs) -> Options {
    Options {
        search: match args.search {
            cli::SearchKind::Users => SearchKind::Users,
            cli::SearchKind::Rate => SearchKind::Rate,
        },
        thresholds: args.run.thresholds.clone(),
        slos: args.slos.clone(),
        start: args.start,
        step: args.step,
        factor: args.factor,
        max: args.max,
        plateau: args.plateau,
        warmup: args.warmup,
        precision: args.precision.clone(),
        expect: args.expect,
        max_lag: args.max_lag,
        drain_timeout: args.drain_timeout,
        drain_tolerance: args.drain_tolerance.clone(),
        steady_tolerance: args.steady_tolerance.clone(),
        max_warmup: args.max_warmup,
        users: args.run.users,
        spawn_rate: args.run.spawn_rate,
        wait: Wait::between(args.run.min_wait, args.run.max_wait),
        iterations: scenarios::catalogue::iterations_of(&args.run.scenario).to_owned(),
    }
}

/// Where the reports go, with the run's parameters and the search's, redacted as `akrida run`
/// redacts them.
fn reports(args: &CapacityArgs) -> Reports {
    let parameters = redact::redact(&settings::settings(&args.run));
    let mut settings = parameters.clone();
    if let Some(map) = settings.as_object_mut() {
        let search = serde_json::json!({
            "search": format!("{:?}", args.search).to_lowercase(),
            "slo": args.slos,
            "start": args.start,
            "step": args.step,
            "factor": args.factor,
            "max": args.max,
            "plateau_seconds": args.plateau.as_secs_f64(),
            "warmup_seconds": args.warmup.as_secs_f64(),
            "precision": args.precision,
            "expect": args.expect,
            "max_lag_ms": args.max_lag,
            "drain_timeout_seconds": args.drain_timeout.as_secs_f64(),
            "drain_tolerance": args.drain_tolerance,
            "steady_tolerance": args.steady_tolerance,
            "max_warmup_seconds": args.max_warmup.map(|d| d.as_secs_f64()),
        });
        if let Some(search) = search.as_object() {
            for (key, value) in search {
                map.insert(key.clone(), value.clone());
            }
        }
    }
    Reports {
        csv: args.run.csv.clone(),
        json: args.run.json,
        html: args.run.html.clone(),
        parameters,
        settings,
        beside: akrida_capacity::Beside::default(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rate_is_counted_in_what_the_scenario_iterates() {
        assert_eq!(
            scenarios::catalogue::iterations_of("mediator-onboard"),
            "onboardings"
        );
        assert_eq!(
            scenarios::catalogue::iterations_of("mediator-ping"),
            "iterations"
        );
    }
}
