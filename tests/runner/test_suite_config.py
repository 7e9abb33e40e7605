"""Suite files: TOML parsed as data, strict keys, CLI flags over the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.runner.suite_config import SUITE_KEYS, SuiteError, load_suite, merge, parse_suite

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "suite.toml"


def test_example_suite_is_valid_and_plans(tmp_path):
    suite = load_suite(EXAMPLE)
    assert suite["variants"] == ["dcgan", "minibatch", "infogan"]
    assert suite["seeds"] == [0, 1, 2] and suite["executor"] == "local"
    assert suite["results_dir"] == EXAMPLE.parent / "../results"  # relative to the file


def test_unknown_key_is_one_line_naming_it_and_the_valid_keys(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('variants = ["dcgan"]\nstepz = 3\n')
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    message = str(info.value)
    assert "\n" not in message and "'stepz'" in message
    assert all(key in message for key in ("steps", "seeds", "checkpoint_every", "executor"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("steps = 'many'", "steps must be an integer"),
        ("steps = true", "steps must be an integer"),
        ("seeds = [0, 'a']", "seeds must be a list of integers"),
        ("executor = 'spark'", "executor must be one of local, ray"),
        ("eval = 1", "eval must be true or false"),
        ("loss_options = 3", "loss_options must be a table"),
        ("steps = [", "not valid TOML"),
        ("plugins = ['a']\nvariants = ['b']", "given twice"),
    ],
)
def test_bad_values_are_one_line_user_errors(tmp_path, text, needle):
    path = tmp_path / "s.toml"
    path.write_text(text + "\n")
    with pytest.raises(SuiteError, match=needle) as info:
        load_suite(path)
    assert "\n" not in str(info.value)


def test_aliases_dashes_and_normalised_values():
    raw = {"plugins": "dcgan, infogan", "dataset": ["ring8"], "seeds": "0,2", "batch-size": 32, "lr_g": 1}
    suite = parse_suite({**raw, "gen_opt": {"hidden": 64}}, base=Path("/base"))
    assert suite == {
        "variants": ["dcgan", "infogan"],
        "datasets": ["ring8"],
        "seeds": [0, 2],
        "batch_size": 32,
        "lr_g": 1.0,
        "generator_options": {"hidden": 64},
    }
    assert parse_suite({"data_root": "data"}, base=Path("/base"))["data_root"] == Path("/base/data")
    assert parse_suite({"data_root": "/abs"}, base=Path("/base"))["data_root"] == Path("/abs")


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(SuiteError, match="does not exist"):
        load_suite(tmp_path / "nope.toml")


def test_command_line_flags_override_the_file():
    cli = {"steps": None, "seeds": [0], "out": None}
    merged = merge(cli, explicit={"steps"}, suite={"steps": 100, "seeds": [1, 2], "out": "x"})
    assert merged == {"steps": None, "seeds": [1, 2], "out": "x"}  # steps was typed: the CLI value stays


def test_every_run_option_has_a_suite_key():
    from ganbench.cli.run import PARAM_KEYS

    assert set(PARAM_KEYS.values()) <= set(SUITE_KEYS)


def _main(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cli_runs_a_suite_with_overrides(tmp_path, capsys):
    suite = tmp_path / "suite" / "s.toml"
    suite.parent.mkdir()
    suite.write_text(
        'variants = ["dcgan"]\ndatasets = ["ring8"]\nseeds = [0, 1]\nsteps = 50\nbatch_size = 32\n'
        'eval = false\nout = "from-file"\nresults_dir = "res"\nname = "tiny"\n'
    )
    code = _main("run", "--config", str(suite), "--steps", "4", "-q")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    run_dir = tmp_path / "suite" / "res" / "from-file"
    table = pd.read_csv(run_dir / "results.csv")
    assert list(table["seed"]) == [0, 1] and set(table["steps"]) == {4} and set(table["batch_size"]) == {32}
    assert "mean ± std over seeds" in captured.out
    assert '"name": "tiny"' in (run_dir / "run.json").read_text()


def test_cli_unknown_suite_key_exits_2_with_one_line(tmp_path, capsys):
    suite = tmp_path / "s.toml"
    suite.write_text("variant = 'dcgan'\n")
    assert _main("run", "--config", str(suite), "--results-dir", str(tmp_path / "r")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown key 'variant'" in err[0] and "variants" in err[0]
    assert not (tmp_path / "r").exists()
