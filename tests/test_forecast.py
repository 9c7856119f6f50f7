"""The forecast task: the CSV reader and its errors, the chronological split and train-only
scaling, the windows, the test part that training and validation never read, the baselines
against hand computations, overfitting a small series, and the CLI (train, eval, eval --split
test, forecast)."""

import json
import math

import numpy as np
import pytest
import torch

from elman import baselines
from elman.cli import main
from elman.data.series import Windows, load_series, split_points
from elman.errors import ElmanError
from elman.tasks.forecast import ForecastTask, future_times
from elman.training import resolve, train  # first: elman.tasks <-> elman.training import cycle

N = 120
WAVE = 10 + 5 * np.sin(np.arange(N) * 2 * np.pi / 12)      # a period of 12 steps
QUICK = dict(task="forecast", window=12, hidden_sizes=[16], dropout=0.0, batch_size=16,
             max_minutes=None, quiet=True, lr=0.01, arima_order="1,0,0")


def write_csv(path, values, times=None, extra=None, header="value"):
    times = np.arange(len(values)) if times is None else times
    rows = [f"month,{header},note"] + [
        f"{t},{'' if v is None else v},{extra[i] if extra else 'x'}"
        for i, (t, v) in enumerate(zip(times, values))]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def wave_csv(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("series") / "wave.csv", WAVE.round(4).tolist())


# 20% of the wave held out as a test part, the 10% before it validating; horizon 2
TESTED = {**QUICK, "column": "value", "horizon": 2, "valid_fraction": 0.1,
          "test_fraction": 0.2}


@pytest.fixture(scope="module")
def poked_csv(tmp_path_factory):
    """The wave with its test part (the last 24 values) replaced by far-off values."""
    poked = WAVE.round(4)
    poked[96:] = 1000.0
    return write_csv(tmp_path_factory.mktemp("series") / "poked.csv", poked.tolist())


@pytest.fixture(scope="module")
def trained(wave_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "wave"
    values = {**QUICK, "data": str(wave_csv), "column": "value", "max_steps": 150,
              "eval_every": 50, "valid_fraction": 0.2, "out": str(out)}
    return train(resolve(None, values), log=lambda *a: None)


# --- reading ------------------------------------------------------------------------------


def test_reads_a_column_sorted_by_its_time_column(tmp_path):
    path = write_csv(tmp_path / "s.csv", [3.0, 1.0, 2.0], times=["2020-03-01", "2020-01-01",
                                                                 "2020-02-01"])
    s = load_series(str(path), "value", "month")
    assert s.values.tolist() == [1.0, 2.0, 3.0] and s.name == "value"
    assert str(s.times[0])[:10] == "2020-01-01"
    assert load_series(str(path)).values.tolist() == [3.0, 1.0, 2.0]   # the only numeric one


def test_the_built_in_series_is_the_yearly_sunspots():
    s = load_series(None)
    assert len(s.values) == 309 and s.name == "SUNACTIVITY"
    assert s.times[0] == 1700 and s.times[-1] == 2008


def test_missing_values_are_an_error_or_interpolated(tmp_path):
    path = write_csv(tmp_path / "gaps.csv", [1.0, None, 3.0, 4.0, None])
    with pytest.raises(ElmanError, match=r"data: expected no missing values .* got 2 missing, "
                                         r"the first at time step 1"):
        load_series(str(path), "value")
    assert load_series(str(path), "value", missing="interpolate").values.tolist() == \
        [1.0, 2.0, 3.0, 4.0, 4.0]


@pytest.mark.parametrize("column, kwargs, match", [
    ("note", {}, r"column: expected numbers in column 'note', got 'x' on line 2"),
    ("price", {}, r"column: expected one of the CSV's columns \['month', 'value', 'note'\], "
                  r"got 'price'"),
    ("value", {"time_column": "when"}, r"time_column: expected one of the CSV's columns"),
])
def test_bad_columns_are_errors_naming_the_argument(wave_csv, column, kwargs, match):
    with pytest.raises(ElmanError, match=match):
        load_series(str(wave_csv), column, **kwargs)


def test_other_bad_csv_input(tmp_path):
    path = write_csv(tmp_path / "t.csv", [1.0, 2.0], times=["2020-01-01", "soon"])
    with pytest.raises(ElmanError, match="time_column: expected numbers or dates .* 'soon' on "
                                         "line 3"):
        load_series(str(path), "value", "month")
    path = write_csv(tmp_path / "d.csv", [1.0, 2.0], times=[5, 5])
    with pytest.raises(ElmanError, match="time_column: expected distinct times, got 5 twice"):
        load_series(str(path), "value", "month")
    with pytest.raises(ElmanError, match="column: expected a column name .* 2 numeric"):
        load_series(str(path))
    with pytest.raises(ElmanError, match="data: expected an existing CSV file"):
        load_series(str(tmp_path / "none.csv"))


def test_a_series_too_short_for_the_window_is_an_error():
    with pytest.raises(ElmanError, match=r"window: expected window \+ horizon <= the 90 "
                                         r"training values .* got 89 \+ 2"):
        split_points(100, 0.1, 89, 2)
    with pytest.raises(ElmanError, match="horizon: expected at most the 10 validation values"):
        split_points(100, 0.1, 12, 11)
    assert split_points(100, 0.1, 88, 2) == (90, 100)


# --- split, scaling, windows --------------------------------------------------------------


def test_scaling_is_fitted_on_the_training_part_only(tmp_path):
    values = [1.0, 3.0] * 20 + [100.0] * 10                      # the valid part is far off
    path = write_csv(tmp_path / "jump.csv", values)
    config = resolve(None, {**QUICK, "data": str(path), "column": "value",
                            "valid_fraction": 0.2, "window": 4})
    task = ForecastTask(config.options)
    task.setup(config.train)
    assert task.n_train == 40
    assert (task.scaler.mean, task.scaler.std) == (2.0, 1.0)
    assert max(task.train_batches.origins) + config.options.horizon <= task.n_train
    assert task.valid_batches.origins == list(range(40, 50))


def test_windows_hold_the_past_and_the_next_values():
    z = np.arange(20.0)
    b = Windows(z, [5, 9], 4, 2, "many_to_one", 8, shuffle=False).batch([5, 9])
    assert b.x.shape == (2, 4, 1) and b.x[1, :, 0].tolist() == [5, 6, 7, 8]
    assert b.y.tolist() == [[5, 6], [9, 10]]
    b = Windows(z, [9], 4, 2, "many_to_many", 8, shuffle=False).batch([9])
    assert b.y.shape == (1, 4, 2)
    assert b.y[0].tolist() == [[6, 7], [7, 8], [8, 9], [9, 10]]   # after each step 5..8


def test_the_test_part_ends_the_series_and_validation_comes_just_before_it():
    assert split_points(100, 0.1, 12, 2, 0.2) == (70, 80)
    assert split_points(100, 0.1, 12, 2, 0.0) == split_points(100, 0.1, 12, 2) == (90, 100)
    with pytest.raises(ElmanError, match="horizon: expected at most the 2 test values "
                                         r"\(test_fraction 0.02 of 100\), got 3"):
        split_points(100, 0.1, 12, 3, 0.02)
    with pytest.raises(ElmanError, match=r"test_fraction: expected less than 1 - "
                                         r"valid_fraction \(0.5\): some values must train, "
                                         "got 0.5"):
        split_points(100, 0.5, 12, 1, 0.5)


def split_task(path, shape="many_to_one"):
    config = resolve(None, {**TESTED, "data": str(path), "forecast_shape": shape})
    task = ForecastTask(config.options)
    task.setup(config.train)
    return task


@pytest.mark.parametrize("shape", ["many_to_one", "many_to_many"])
def test_training_and_validation_windows_never_read_the_test_part(wave_csv, poked_csv, shape):
    task, poked = split_task(wave_csv, shape), split_task(poked_csv, shape)
    assert (task.n_train, task.test_start) == (84, 96)        # 120 values: 84, 12 and 24
    assert max(task.train_batches.origins) + 2 <= 84
    assert task.valid_batches.origins == list(range(84, 95))          # targets up to value 95
    assert task.scaler == poked.scaler
    for a, b in ((task.train_batches, poked.train_batches),
                 (task.valid_batches, poked.valid_batches)):
        for x, y in zip(a.epoch(0), b.epoch(0), strict=True):
            assert torch.equal(x.x, y.x) and torch.equal(x.y, y.y)


# --- baselines and metrics ----------------------------------------------------------------


def test_persistence_and_scores_by_hand():
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    assert baselines.persistence(x, [3, 4], 1).tolist() == [[4.0], [7.0]]
    assert baselines.persistence(x, [3], 2).tolist() == [[4.0, 4.0]]
    truth = baselines.targets(x, [3, 4], 1)
    assert truth.tolist() == [[7.0], [11.0]]
    s = baselines.scores(baselines.persistence(x, [3, 4], 1), truth)   # errors 3 and 4
    assert s["rmse"] == pytest.approx(math.sqrt(12.5)) and s["mae"] == pytest.approx(3.5)


def test_arima_fitted_on_train_forecasts_each_origin():
    rng = np.random.default_rng(0)
    x = np.zeros(100)
    for t in range(1, 100):
        x[t] = 0.8 * x[t - 1] + rng.normal()
    out, order = baselines.arima(x, 80, [80, 90], 3, "1,0,0")
    fitted = baselines.fit_arima(x[:80], "1,0,0")
    phi, c = fitted.params[1], fitted.params[0]              # const (the mean), ar.L1
    assert order == (1, 0, 0) and out.shape == (2, 3)
    one_step = c + phi * (x[79] - c)
    assert out[0, 0] == pytest.approx(one_step, rel=1e-6)
    assert out[0, 1] == pytest.approx(c + phi * (one_step - c), rel=1e-6)
    with pytest.raises(ElmanError, match="arima_order: expected an order ARIMA can fit"):
        baselines.fit_arima(x[:20], "9,0,0")


# --- training and the command line --------------------------------------------------------


def test_a_model_overfits_a_sine_and_beats_persistence(trained):
    scores = dict(trained.task.compare(trained.model))
    assert scores["model"]["rmse"] < 0.5 * scores["persistence"]["rmse"]
    assert trained.valid["rmse"] == pytest.approx(scores["model"]["rmse"])


def test_many_to_many_learns_too(wave_csv, tmp_path):
    values = {**QUICK, "data": str(wave_csv), "column": "value", "forecast_shape": "many_to_many",
              "horizon": 3,
              "max_steps": 120, "eval_every": 60, "out": str(tmp_path / "m2m")}
    result = train(resolve(None, values), log=lambda *a: None)
    assert type(result.model).__name__ == "ManyToMany"
    assert result.valid["rmse"] < np.std(WAVE) / 2
    ahead = result.task.forecast(result.model, 100, 7)
    assert ahead.shape == (7,) and np.all(np.abs(ahead - WAVE[100:107]) < 3)


def test_cli_train_eval_forecast(trained, wave_csv, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--task", "forecast", "--data", str(wave_csv), "--column", "value",
                 "--time-column", "month", "--window", "6", "--hidden-sizes", "8",
                 "--max-steps", "4", "--eval-every", "2", "--arima-order", "1,0,0",
                 "--out", str(out), "--quiet"]) == 0
    assert "valid RMSE: " in capsys.readouterr().out
    assert not (out / "best" / "vocab.json").exists()
    assert main(["eval", str(trained.run)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "scored: the validation split (the last 20% of the series; it picked best/)"
    assert [l.split()[0] for l in lines[3:]] == ["model", "persistence", "ARIMA(1,"]
    plot = tmp_path / "f.png"
    assert main(["forecast", str(trained.run), "--steps", "30", "--plot", str(plot)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 32 and lines[-1] == f"plot: {plot}"
    assert len(lines[1].split("\t")) == 3 and lines[-2].split("\t")[2] == ""   # past the data
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["forecast", str(out), "--steps", "3", "--origin", "end"]) == 0
    assert (out / "forecast.png").exists()


def test_future_times_continue_the_spacing():
    s = load_series(None)
    assert future_times(s, 307, 4).tolist() == [2007, 2008, 2009, 2010]


def test_cli_errors_are_one_line(wave_csv, trained, tmp_path, capsys):
    for args, match in (
            (["train", "--task", "forecast", "--data", str(wave_csv), "--column", "nope"],
             "column: expected one of the CSV's columns"),
            (["train", "--task", "forecast", "--data", str(wave_csv), "--column", "note"],
             "column: expected numbers in column 'note'"),
            (["train", "--task", "forecast", "--window", "400"], "window: expected"),
            (["train", "--task", "forecast", "--arima-order", "1,2"], "arima_order: expected"),
            (["forecast", str(trained.run), "--steps", "0"], "steps: expected an integer >= 1"),
            (["forecast", str(trained.run), "--steps", "3", "--origin", "now"], "origin: "),
    ):
        assert main([*args, "--quiet"] if args[0] == "train" else args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and match in err, err


def test_checkpoints_of_feature_models_have_no_vocabulary(trained):
    from elman.io import checkpoint
    ck = checkpoint.load(trained.run)
    assert ck.vocab is None and set(ck.meta) == {"mean", "std", "column"}
    x = torch.zeros(1, 12, 1)
    assert torch.equal(ck.model(x), trained.model(x))


def test_resume_continues_and_keeps_the_window(wave_csv, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--task", "forecast", "--data", str(wave_csv), "--column", "value",
                 "--hidden-sizes", "8", "--max-steps", "4", "--eval-every", "2",
                 "--out", str(out), "--quiet"]) == 0
    assert main(["train", "--resume", str(out), "--max-steps", "8"]) == 0
    output = capsys.readouterr().out
    assert "(resumed at step 4)" in output and "at step 8" in output
    assert main(["train", "--resume", str(out), "--window", "6"]) == 2
    assert "window: expected the resumed run's value 24" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "--max-steps", "10", "--arima-order",
                 "1,0,0"]) == 0                   # the baseline's order may change
    assert "at step 10" in capsys.readouterr().out
    assert json.loads((out / "checkpoint" / "config.json").read_text())["task"]["arima_order"] == \
        "1,0,0"


# --- eval --data, eval --json, predict ----------------------------------------------------


def test_eval_data_scores_another_series_with_the_runs_scaler(trained, tmp_path, capsys):
    from elman.io import checkpoint
    other = write_csv(tmp_path / "other.csv", (WAVE * 1.1 + 0.3).round(4).tolist())
    assert main(["eval", str(trained.run), "--data", str(other)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [f"scored: file {other}", "24 validation origins, horizon 1, window 12"]
    model_rmse, model_mae = (float(v) for v in lines[3].split()[1:])
    persistence_rmse = float(lines[4].split()[1])
    # by hand: the last 24 values of the other series, windows scaled with the run's scaler
    ck = checkpoint.load(trained.run)
    mean, std = ck.meta["mean"], ck.meta["std"]
    values = load_series(str(other), "value").values
    z = torch.tensor((values - mean) / std, dtype=torch.float32)
    x = torch.stack([z[o - 12:o] for o in range(96, 120)])[..., None]
    with torch.no_grad():
        predicted = ck.model.eval()(x)[:, 0].double().numpy() * std + mean
    errors = predicted - values[96:]
    assert model_rmse == pytest.approx(np.sqrt(np.mean(errors ** 2)), rel=1e-3)
    assert model_mae == pytest.approx(np.mean(np.abs(errors)), rel=1e-3)
    assert persistence_rmse == pytest.approx(
        np.sqrt(np.mean((values[95:119] - values[96:]) ** 2)), rel=1e-3)
    own = main(["eval", str(trained.run)]), capsys.readouterr().out.splitlines()
    assert own[1][3] != lines[3]                   # another series, other numbers


def test_a_valid_file_is_the_held_out_series(tmp_path, capsys):
    """--valid B: all of --data trains (valid_fraction unused), B validates from its first
    window on with the training scaler, and eval, forecast and the baselines read B."""
    from elman.io import checkpoint
    a = write_csv(tmp_path / "a.csv", WAVE[:80].round(4).tolist())
    b = write_csv(tmp_path / "b.csv", (WAVE[80:] * 1.2 - 1).round(4).tolist(),
                  times=np.arange(80, N))
    out = tmp_path / "run"
    config = resolve(None, {**QUICK, "data": str(a), "valid": str(b), "column": "value",
                            "time_column": "month", "max_steps": 6, "eval_every": 3,
                            "valid_fraction": 0.3, "out": str(out)})
    result = train(config, log=lambda *a: None)
    assert result.task.n_train == 80 and result.valid["values"] == 40 - 12
    ck = checkpoint.load(out / "best")
    values = WAVE[:80].round(4)
    assert (ck.meta["mean"], ck.meta["std"]) == pytest.approx((values.mean(), values.std()))
    held = load_series(str(b), "value").values
    z = torch.tensor((held - ck.meta["mean"]) / ck.meta["std"], dtype=torch.float32)
    x = torch.stack([z[o - 12:o] for o in range(12, 40)])[..., None]
    with torch.no_grad():
        predicted = ck.model.eval()(x)[:, 0].double().numpy() * ck.meta["std"] + \
            ck.meta["mean"]
    rmse = np.sqrt(np.mean((predicted - held[12:]) ** 2))
    assert result.valid["rmse"] == pytest.approx(rmse, rel=1e-3)
    assert main(["eval", str(out), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["rmse"] == pytest.approx(rmse, rel=1e-3) and metrics["origins"] == 28
    assert metrics["persistence"]["rmse"] == pytest.approx(
        np.sqrt(np.mean((held[11:-1] - held[12:]) ** 2)), rel=1e-3)
    assert metrics["split"] == "valid" and result.task.validation(config.train).what \
        .startswith(f"the validation series {str(b)!r}")
    assert main(["forecast", str(out), "--steps", "3"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:4]]
    assert [(int(t), float(truth)) for t, _, truth in rows] == \
        [(92 + i, pytest.approx(held[12 + i])) for i in range(3)]


def test_eval_json_is_one_object_of_the_metrics(trained, wave_csv, capsys):
    assert main(["eval", str(trained.run), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    metrics = json.loads(out)
    assert metrics["rmse"] == pytest.approx(trained.valid["rmse"])
    assert metrics["loss"] == pytest.approx(trained.valid["loss"])
    assert metrics["values"] == metrics["origins"] == 24
    assert (metrics["horizon"], metrics["window"]) == (1, 12)
    scores = dict(trained.task.compare(trained.model))
    assert metrics["persistence"] == pytest.approx(scores["persistence"])
    assert metrics["arima"]["order"] == [1, 0, 0]
    assert metrics["arima"]["rmse"] == pytest.approx(scores["ARIMA(1, 0, 0)"]["rmse"])
    assert metrics["split"] == "valid"
    assert main(["eval", str(trained.run), "--json", "--data", str(wave_csv)]) == 0
    assert json.loads(capsys.readouterr().out) == {**metrics, "split": "file"}   # its own series


@pytest.fixture(scope="module")
def tested(wave_csv, poked_csv, tmp_path_factory):
    """Two short runs with a test part: on the wave, and on the wave with a far-off test
    part."""
    runs = tmp_path_factory.mktemp("runs")
    return [train(resolve(None, {**TESTED, "data": str(path), "max_steps": 20,
                                 "eval_every": 5, "out": str(runs / name)}),
                  log=lambda *a: None)
            for name, path in (("wave", wave_csv), ("poked", poked_csv))]


def test_best_is_chosen_without_the_test_part(tested):
    import safetensors.torch
    wave, poked = tested
    assert "(84 train, 12 valid, 24 test)" in wave.task.describe()
    rows = [[{k: v for k, v in json.loads(line).items() if k not in ("tokens_per_s", "elapsed")}
             for line in (r.run / "metrics.jsonl").read_text().splitlines()] for r in tested]
    assert len(rows[0]) == 4 and rows[0] == rows[1]          # the same validation figures
    a, b = (safetensors.torch.load_file(r.run / "best" / "model.safetensors") for r in tested)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_eval_split_test_scores_the_last_origins(tested, wave_csv, capsys):
    from elman.io import checkpoint
    run = tested[0].run
    assert main(["eval", str(run), "--split", "test", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["split"] == "test"
    assert metrics["origins"] == 120 - 2 + 1 - 96 == 23           # origins 96 .. 118
    assert metrics["values"] == 23 * 2
    # by hand: windows of the 12 values before each origin, the run's scaler, values o, o+1
    ck = checkpoint.load(run)
    mean, std = ck.meta["mean"], ck.meta["std"]
    values = load_series(str(wave_csv), "value").values
    z = torch.tensor((values - mean) / std, dtype=torch.float32)
    x = torch.stack([z[o - 12:o] for o in range(96, 119)])[..., None]
    with torch.no_grad():
        predicted = ck.model.eval()(x).double().numpy() * std + mean         # (23, 2)
    truth = np.stack([values[o:o + 2] for o in range(96, 119)])
    assert metrics["rmse"] == pytest.approx(np.sqrt(np.mean((predicted - truth) ** 2)), rel=1e-5)
    assert metrics["mae"] == pytest.approx(np.mean(np.abs(predicted - truth)), rel=1e-5)
    assert main(["eval", str(run), "--split", "test"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "scored: the test split (the last 20% of the series, never used for training or "
        "choosing best/)", "23 test origins, horizon 2, window 12"]
    assert main(["eval", str(run), "--split", "valid"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "scored: the validation split (the 10% of the series before the test split; it "
        "picked best/)", "11 validation origins, horizon 2, window 12"]


def test_eval_split_errors_are_one_line(tested, trained, wave_csv, capsys):
    run = str(tested[0].run)
    for args, message in (
            ([run, "--split", "test", "--data", str(wave_csv)],
             "split: expected no --split with --data (the file is scored), got 'test'"),
            ([run, "--split", "train"],
             "split: expected one of ['valid', 'test'], got 'train'"),
            ([str(trained.run), "--split", "test"],
             "split: expected valid (the run keeps no test split: it was trained with "
             "test_fraction 0; score a held-out file with --data PATH), got 'test'"),
    ):
        assert main(["eval", *args]) == 2
        assert capsys.readouterr().err == f"elman: error: {message}\n"
    assert main(["train", "--resume", run, "--test-fraction", "0.1"]) == 2
    assert "test_fraction: expected the resumed run's value 0.2" in capsys.readouterr().err


def test_predict_gives_the_next_values_as_the_forecast_command(trained, capsys):
    from elman.io import checkpoint
    from elman.tasks import get_task
    from elman.training.config import from_dict
    ck = checkpoint.load(trained.run)
    config = from_dict(ck.config)
    task = get_task("forecast")(config.options, meta=ck.meta)     # reads no data
    values = load_series(config.train.data, "value").values
    answer = task.predict([ck.model], [values[:96].tolist(), values.tolist()])
    assert json.loads(json.dumps(answer)) == answer
    assert [len(a) for a in answer] == [1, 1]
    assert main(["forecast", str(trained.run), "--steps", "1"]) == 0          # origin 96
    assert capsys.readouterr().out.splitlines()[1].split("\t")[1] == f"{answer[0][0]:.6g}"
    assert main(["forecast", str(trained.run), "--steps", "1", "--origin", "end"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split("\t")[1] == f"{answer[1][0]:.6g}"
    two = task.predict([ck.model, ck.model], [values[:96].tolist()])
    assert two[0] == pytest.approx(answer[0])                    # the mean of equal models
    with pytest.raises(ElmanError, match="history: expected a list of at least the window "
                                         "of 12 finite numbers, got 5 values"):
        task.predict([ck.model], [[1.0] * 5])
