//! `cirtkit bench api`, on a tiny synthetic load: it runs every scenario and leaves nothing behind.

use crate::support::Instance;

#[test]
fn bench_api_runs_every_scenario_on_a_small_load() {
    let i = Instance::sqlite();
    let out = i.ok(&[
        "bench",
        "api",
        "--incidents",
        "300",
        "--journal-per-incident",
        "2",
        "--clients",
        "4",
        "--requests",
        "40",
    ]);
    for scenario in [
        "list ",
        "list, state + severity",
        "list, organisation",
        "full text",
        "incident page",
        "observable, address",
        "observable, /24",
    ] {
        assert!(out.contains(scenario), "no {scenario:?} in:\n{out}");
    }
    assert!(out.contains("p99 < 50 ms") && out.contains("sqlite: 300 incidents, 600 journal entries"), "{out}");
    // The given, empty --data-dir was used, and a second run refuses it: it now holds data.
    assert!(i.sqlite_file().exists());
    let err = i.fails(&["bench", "api", "--incidents", "10", "--requests", "1"]);
    assert!(err.starts_with("error: ") && err.contains("fresh directory"), "{err}");
    // Unless told to measure what it holds again, with the same number of incidents.
    let args = ["bench", "api", "--reuse", "--journal-per-incident", "2", "--clients", "2", "--requests", "8"];
    let out = i.ok(&[&args[..], &["--incidents", "300"]].concat());
    assert!(out.contains("sqlite: 300 incidents, 600 journal entries"), "{out}");
    let err = i.fails(&[&args[..], &["--incidents", "10"]].concat());
    assert!(err.contains("--reuse needs the data of an earlier run"), "{err}");
    let empty = Instance::sqlite();
    let err = empty.fails(&args);
    assert!(err.contains("holds no cirtkit schema"), "{err}");
}
