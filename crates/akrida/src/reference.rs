//! The book's configuration reference (`docs/src/configuration.md`), generated from the command
//! line's own definition (clap): every subcommand's options with their environment variables,
//! defaults and help, grouped by help heading. A test fails when the page in the book differs
//! from what the definition generates; regenerate it with
//! `AKRIDA_UPDATE_REFERENCE=1 cargo test -p akrida --bin akrida configuration_reference`.

use std::collections::HashSet;
use std::fmt::Write;

use clap::{Arg, Args, Command, CommandFactory};

use crate::cli::{Cli, RunArgs};

/// Where the page lives, from the crate's directory.
#[cfg(test)]
const PAGE: &str = "../../docs/src/configuration.md";

/// The reference page, in Markdown.
pub fn configuration_markdown() -> String {
    let cli = Cli::command();
    let run_ids: HashSet<String> = RunArgs::augment_args(Command::new("run"))
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    let mut out = String::new();
    out.push_str(
        "# Configuration reference\n\n\
<!-- Generated from the command-line definition (crates/akrida/src/cli/); do not edit by hand.\n     \
Regenerate: AKRIDA_UPDATE_REFERENCE=1 cargo test -p akrida --bin akrida configuration_reference -->\n\n\
Every option is a flag, and most are also an environment variable with owl-akrida's name. Flags win \
over the environment, and the environment over a `.env` file (`./.env`, or `--env-file PATH`). \
Booleans read as people write them: `true`, `yes`, `1` or `false`, `no`, `0` (any case). Durations \
are `90s`, `10m`, `1h30m` or bare seconds. `akrida run SCENARIO --dry-run` prints the settings that \
apply to that scenario, after flags, environment and `.env`, secrets redacted.\n",
    );
    out.push_str("\n## Options of every command\n\n");
    options_table(&mut out, cli.get_arguments().filter(|a| !is_builtin(a)));
    for sub in cli.get_subcommands() {
        subcommand(&mut out, sub, &run_ids);
    }
    out
}

fn subcommand(out: &mut String, sub: &Command, run_ids: &HashSet<String>) {
    let positionals: Vec<String> = sub
        .get_positionals()
        .map(|a| format!(" <{}>", a.get_id().as_str().to_uppercase()))
        .collect();
    let _ = write!(
        out,
        "\n## `akrida {}{}`\n\n",
        sub.get_name(),
        positionals.concat()
    );
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        let _ = writeln!(out, "{}", one_paragraph(&about.to_string()));
    }
    for arg in sub.get_positionals() {
        let help = arg
            .get_help()
            .map(|h| one_paragraph(&h.to_string()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n`<{}>`: {help}",
            arg.get_id().as_str().to_uppercase()
        );
    }
    let is_run = sub.get_name() == "run";
    let own: Vec<&Arg> = sub
        .get_arguments()
        .filter(|a| !a.is_positional() && !is_builtin(a))
        .filter(|a| is_run || !run_ids.contains(a.get_id().as_str()))
        .collect();
    if !is_run && own.len() < sub.get_arguments().filter(|a| !a.is_positional()).count() {
        out.push_str(
            "\nIt takes the scenario and every option of [`akrida run`](#akrida-run-scenario), and these:\n",
        );
    }
    if own.is_empty() {
        if sub.get_arguments().next().is_none() {
            out.push_str("\nNo options.\n");
        }
        return;
    }
    // Headings in the order the definition first uses them.
    let mut headings: Vec<Option<&str>> = Vec::new();
    for arg in &own {
        if !headings.contains(&arg.get_help_heading()) {
            headings.push(arg.get_help_heading());
        }
    }
    for heading in headings {
        let _ = write!(out, "\n### {}\n\n", heading.unwrap_or("Options"));
        options_table(
            out,
            own.iter()
                .copied()
                .filter(|a| a.get_help_heading() == heading),
        );
    }
}

fn options_table<'a>(out: &mut String, args: impl Iterator<Item = &'a Arg>) {
    out.push_str("| option | environment | default | what it does |\n|---|---|---|---|\n");
    for arg in args {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            flags(arg),
            arg.get_env()
                .map(|e| format!("`{}`", e.to_string_lossy()))
                .unwrap_or_default(),
            default(arg),
            cell(
                &arg.get_long_help()
                    .or(arg.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default()
            ),
        );
    }
}

fn flags(arg: &Arg) -> String {
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("`-{short}`"));
    }
    if let Some(long) = arg.get_long() {
        let value = match arg.get_value_names() {
            Some(names) if arg.get_action().takes_values() => format!(" {}", names.join(" ")),
            _ if arg.get_action().takes_values() => {
                format!(" {}", arg.get_id().as_str().to_uppercase())
            }
            _ => String::new(),
        };
        names.push(format!("`--{long}{value}`"));
    }
    names.join(", ")
}

fn default(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if values.is_empty() {
        String::new()
    } else {
        cell(&format!("`{}`", values.join(",")))
    }
}

/// `--help` and `--version`, which clap adds to every command.
fn is_builtin(arg: &Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version")
}

/// Help text as one paragraph (clap's doc comments wrap at 100 columns).
fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table cell: one line, with what would end the cell or open an HTML tag escaped.
fn cell(text: &str) -> String {
    one_paragraph(text).replace('|', "\\|").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_reference_in_the_book_matches_the_cli() {
        let page = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PAGE);
        let generated = configuration_markdown();
        if std::env::var_os("AKRIDA_UPDATE_REFERENCE").is_some() {
            std::fs::write(&page, &generated).expect("the book's page is writable");
            return;
        }
        let in_book = std::fs::read_to_string(&page).unwrap_or_default();
        assert!(
            in_book == generated,
            "{} differs from the command-line definition: regenerate it with \
AKRIDA_UPDATE_REFERENCE=1 cargo test -p akrida --bin akrida configuration_reference",
            page.display()
        );
    }

    #[test]
    fn the_reference_lists_options_with_their_variables_and_defaults() {
        let page = configuration_markdown();
        assert!(
            page.contains("| `-u`, `--users USERS` | `LOCUST_USERS` | `1` |"),
            "{page}"
        );
        assert!(page.contains("`--ca-cert PATH` | `AKRIDA_CA_CERT`"));
        assert!(page.contains("## `akrida capacity <SCENARIO>`"));
        assert!(
            page.contains("`--master-host HOST`") || page.contains("`--master-host MASTER_HOST`")
        );
        assert!(
            page.contains("'ping_mediator:p95&lt;500ms'"),
            "a < cannot open a tag"
        );
    }
}
