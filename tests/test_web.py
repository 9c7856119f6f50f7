"""The page of elman serve and the JSON routes behind its views: each route's answer checked
against an in-process computation that does not share its code (the model's own fast
forward, torch.autograd through it, the sizes table, the baselines), then the page itself in
a real browser (Debian's chromium driven by Playwright), failing on any console error."""

import base64
import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("fastapi")
from test_serve import Server, post, served  # noqa: E402

from elman import baselines  # noqa: E402
from elman.music import wav_bytes  # noqa: E402
from elman.nn.summary import summarize  # noqa: E402

RUNS = ["lm", "lm-word", "classify", "tag", "sort", "translate", "forecast", "music", "digits"]
TEXT = 'He said "look (there)" and\nthe cat sat on the mat.'


@pytest.fixture(scope="module")
def site():
    runs, app = served(RUNS)
    forecast = {s.name: s for s in runs}["forecast"].task
    forecast.options = dataclasses.replace(forecast.options, arima_order="2,0,0")  # no search
    with Server(app) as client:
        yield {s.name: s for s in runs}, client


def test_the_page_and_its_files_come_from_the_package(site):
    runs, client = site
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "style.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and name in page.text
        assert "http://" not in r.text and "https://" not in r.text        # no CDN
    assert "/" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("name", RUNS)
def test_architecture_is_the_sizes_table(site, name):
    runs, client = site
    body = client.get(f"/v1/{name}/architecture").json()
    want = summarize(runs[name].run.model).to_dict()
    assert body["rows"] == want["rows"] and body["total"] == want["total"]
    assert body["total"] == sum(p.numel() for p in runs[name].run.model.parameters())
    assert body["hidden_sizes"] == runs[name].run.config.model.hidden_sizes


def test_activations_are_the_models_hidden_states(site):
    runs, client = site
    s = runs["lm"]
    status, body = post(client, "/v1/lm/activations", inputs=[TEXT])
    assert status == 200, body
    got = body["outputs"][0]
    model = s.run.model.eval()
    with torch.no_grad():
        ids = torch.tensor([s.task.vocab.encode(TEXT)])
        hidden = model.rnn(model.embedding(ids))[0][0].numpy()          # (T, H), fast path
    assert got["tokens"] == list(TEXT) and got["layer"] == 1
    assert np.array(got["activations"]) == pytest.approx(hidden, abs=1e-4)
    quotes = got["features"]["inside quotes"]
    assert quotes["values"][TEXT.index('"')] == 1 and quotes["values"][TEXT.index("and")] == 0
    r = np.corrcoef(hidden.T, quotes["values"])[-1, :-1]
    unit, corr = quotes["units"][0]
    assert corr == pytest.approx(r[unit], abs=1e-6) and abs(corr) == pytest.approx(
        np.abs(r).max(), abs=1e-6)
    lines = got["features"]["position in line"]["values"]
    assert lines[TEXT.index("\n")] == 0 and lines[TEXT.index("\n") + 3] == 3


def test_gradient_norms_match_autograd_through_the_model(site):
    """||dL/da_t|| of the top layer from the route against torch.autograd through the
    model's own forward, cut at step t with a_t made a leaf."""
    runs, client = site
    s = runs["lm"]
    text = "the cat sat on the mat"
    status, body = post(client, "/v1/lm/gradients", inputs=[text])
    assert status == 200, body
    got = body["outputs"][0]
    model = s.run.model.eval()
    ids = torch.tensor([s.task.vocab.encode(text)])
    x, target = ids[:, :-1], ids[:, -1]
    want = []
    for t in range(x.shape[1]):
        with torch.no_grad():
            _, state = model(x[:, :t + 1])
        a = state[-1].clone().requires_grad_()
        logits = model.output(a) if t == x.shape[1] - 1 else \
            model(x[:, t + 1:], state=state[:-1] + [a])[0][:, -1]
        loss = nn.functional.cross_entropy(logits, target)
        want.append(float(torch.autograd.grad(loss, a)[0].norm()))
    assert got["norms"][-1] == pytest.approx(want, rel=1e-4, abs=1e-9)
    assert got["loss"] == pytest.approx(float(loss.detach()), rel=1e-5)
    assert len(got["tokens"]) == len(text) and len(got["norms"][0]) == len(text) - 1


@pytest.mark.parametrize("path, body, field", [
    ("/v1/lm/activations", {"inputs": ["abc"], "layer": 2}, "layer"),
    ("/v1/lm/activations", {"inputs": ["a" * 1001]}, "inputs[0]"),
    ("/v1/lm/gradients", {"inputs": ["a"]}, "inputs[0]"),
    ("/v1/forecast/backtest", {"inputs": ["middle"]}, "inputs[0]"),
    ("/v1/forecast/backtest", {"inputs": ["end"], "steps": 501}, "steps"),
    ("/v1/music/render", {"inputs": [[[60]] * 201]}, "inputs[0]"),
    ("/v1/music/render", {"inputs": [[[60], [7]]]}, "inputs[0]"),
])
def test_the_new_routes_bound_their_input(site, path, body, field):
    runs, client = site
    status, answer = post(client, path, **body)
    assert status == 422 and answer["field"] == field, answer


def test_backtest_is_the_forecast_beside_truth_and_baselines(site):
    runs, client = site
    s = runs["forecast"]
    status, body = post(client, "/v1/forecast/backtest", inputs=["valid", "end"], steps=6)
    assert status == 200, body
    valid, end = body["outputs"]
    series = s.task.load(s.run.config.train.data)
    n_train = s.task.split(series, s.run.config.train)[0]
    model, persistence, arima = valid["forecasters"]
    assert model["values"] == pytest.approx(s.task.forecast(s.run.model, n_train, 6,
                                                            series.values).tolist())
    assert persistence["values"] == [series.values[n_train - 1]] * 6
    want, order = baselines.arima(series.values, n_train, [n_train], 6, "2,0,0")
    assert arima["values"] == pytest.approx(want[0].tolist()) and arima["name"] == \
        f"ARIMA{order}"
    assert valid["truth"] == series.values[n_train:n_train + 6].tolist()
    assert model["rmse"] == pytest.approx(baselines.rmse(np.array(model["values"]),
                                                         np.array(valid["truth"])))
    assert valid["history"]["values"] == series.values[:n_train].tolist()
    assert end["truth"] == [] and end["forecasters"][0]["rmse"] is None
    assert end["times"][0] == len(series.values)


def test_render_is_the_pieces_wav(site):
    runs, client = site
    piece = [[60, 64, 67], [], [62]]
    status, body = post(client, "/v1/music/render", inputs=[piece], tempo=120)
    assert status == 200, body
    got = body["outputs"][0]
    from elman.data.music import piano_roll
    assert base64.b64decode(got["wav"]) == wav_bytes(piano_roll(piece), 120, got["rate"])
    assert got["seconds"] == 1.5


def test_models_list_the_inside_routes_of_language_models_only(site):
    runs, client = site
    listed = {m["name"]: {r["path"].rsplit("/", 1)[1] for r in m["routes"]}
              for m in client.get("/v1/models").json()["models"]}
    assert {"activations", "gradients"} <= listed["lm"] and "activations" not in listed["sort"]
    assert listed["forecast"] == {"forecast", "backtest"}
    assert listed["music"] == {"generate", "render"}
