//! Charts through the binary: `--plot` draws the run, and `concbench plot` on the
//! saved report draws the same chart, byte for byte.

mod common;

use common::{concbench_in, stderr};

fn svg_texts(svg: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(svg).expect("well-formed SVG");
    document
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

#[test]
fn plot_of_a_saved_sweep_reproduces_the_chart_drawn_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let output = concbench_in(
        dir.path(),
        &[
            "cpu",
            "--strategy",
            "seq,threads,processes",
            "--workers",
            "1,2",
            "--numbers",
            "20000,20001,20002",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--output",
            "run.json",
            "--plot",
            "run.svg",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("plotted run.svg"),
        "{}",
        stderr(&output)
    );
    let drawn = std::fs::read_to_string(dir.path().join("run.svg")).unwrap();

    let again = concbench_in(dir.path(), &["plot", "run.json", "-o", "again.svg"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let redrawn = std::fs::read_to_string(dir.path().join("again.svg")).unwrap();
    assert_eq!(drawn, redrawn);

    let texts = svg_texts(&drawn).join("\n");
    for model in ["sequential", "threads", "processes"] {
        assert!(texts.contains(model), "{model} in the legend:\n{texts}");
    }
    assert!(
        texts.contains("workers"),
        "a labelled workers axis:\n{texts}"
    );

    // Two reports: their comparison.
    let compared = concbench_in(
        dir.path(),
        &["plot", "run.json", "run.json", "-o", "cmp.svg"],
    );
    // One run of 2 against itself is refused by compare (too few runs): said in one line.
    assert!(
        compared.status.code() == Some(0) || stderr(&compared).lines().count() == 1,
        "{}",
        stderr(&compared)
    );
}

#[test]
fn json_on_stdout_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = concbench_in(
        dir.path(),
        &["cpu", "--format", "json", "--export-json", "-", "--no-save"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "error: --format json and --export-json - both write to stdout; give the export a \
         file path, or leave out --format json"
    );
}
