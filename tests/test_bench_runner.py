"""The benchmark runner keeps working (figures themselves are not asserted: timing lives in bench/)."""

import json

from bench import run


def test_runner_measures_ours_beside_the_peer(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NP_BENCH_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(run, "RESULTS_DIR", tmp_path / "results")
    import bench.cases

    monkeypatch.setattr(bench.cases, "DATA_DIR", tmp_path / "data")
    assert run.main(["report_csv", "--rows", "500"]) == 0
    table = capsys.readouterr().out
    assert "pandas_read_sql_to_csv" in table and "streaming_csv" in table
    results = json.loads(next((tmp_path / "results").glob("bench-*.json")).read_text())["results"]
    by_variant = {r["variant"]: r for r in results}
    assert by_variant["pandas_read_sql_to_csv"]["units"] == 500
    assert by_variant["streaming_csv"]["units"] == 501  # the TOTAL row
    assert by_variant["streaming_csv"]["peak_mib"] > 0 and "vs_peer" in by_variant["streaming_csv"]
