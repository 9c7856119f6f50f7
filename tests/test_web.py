"""The page of elman serve and the JSON routes behind its views: each route's answer checked
against an in-process computation that does not share its code (the model's own fast
forward, torch.autograd through it, the sizes table, the baselines), then the page itself in
a real browser (Debian's chromium driven by Playwright), failing on any console error."""

import base64
import dataclasses
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("fastapi")
from test_serve import FIXTURES, Server, post, served  # noqa: E402

from elman import baselines  # noqa: E402
from elman.music import wav_bytes  # noqa: E402
from elman.nn.summary import summarize  # noqa: E402
from elman.serve.app import STATIC  # noqa: E402

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
    assert "/static/app.js" in page.text and "/static/style.css" in page.text
    for path in STATIC.iterdir():
        r = client.get(f"/static/{path.name}")
        assert r.status_code == 200 and r.text == path.read_text(encoding="utf-8")
        urls = set(re.findall(r"\w+://[^\s\"'`)]*", r.text))
        assert urls <= {"http://www.w3.org/2000/svg"}, urls               # no CDN, no fetch
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


# --- the page in a real browser ---------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = "ELMAN_WEB_SHOTS"        # a folder for the screenshots (docs/web refreshes the docs')


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get(SHOTS) or tmp_path_factory.mktemp("web"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, site):
    """A 1280x800 page of the site; the test fails on any console error or page error."""
    runs, client = site
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    errors = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.set_default_timeout(15_000)
    tab.site = str(client.base_url)
    yield tab
    context.close()
    assert not errors, errors


def open_run(page, name: str):
    page.goto(f"{page.site}/#{name}")
    page.wait_for_function(f"() => document.getElementById('run-title')?.textContent === {name!r}")


def view(page, name: str, which: str):
    """The section of view ``which`` of run ``name``, once its status line is clear."""
    section = page.locator(f"section[data-view='{which}']")
    page.wait_for_function(f"""() => {{
        const s = document.querySelector("section[data-view='{which}']");
        return s && s.querySelector('.status').textContent === '' && s.children.length > 3;
    }}""")
    return section


def shoot(page, section, shots: Path, name: str):
    section.evaluate("s => s.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / f"{name}.png"))


def test_keyboard_suggests_as_you_type_and_streams_on_continue(page, site, shots,
                                                               monkeypatch):
    runs, client = site
    task = runs["lm"].task
    sample = task.sample

    def paced(*args, **kwargs):             # a real model's pace: the events come apart
        for event in sample(*args, **kwargs):
            time.sleep(0.005)
            yield event
    monkeypatch.setattr(task, "sample", paced)
    sent = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.method == "POST"
            and r.url.endswith("/v1/lm/session") else None)
    open_run(page, "lm")
    section = view(page, "lm", "keyboard")
    box = section.locator("textarea")
    seen = []
    for chunk in ("The c", "at sat"):
        box.press_sequentially(chunk, delay=40)
        text = box.input_value()
        want = post(client, "/v1/lm/next", inputs=[text], k=5)[1]["outputs"][0]
        page.wait_for_function("([sel, want]) => [...document.querySelectorAll(sel)].map("
                               "b => b.dataset.token).join('\\u0000') === want",
                               arg=["section[data-view='keyboard'] .suggestion",
                                    "\0".join(t for t, _ in want)])
        shown = section.locator(".suggestion")
        got = [float(shown.nth(i).get_attribute("data-p")) for i in range(shown.count())]
        assert got == pytest.approx([p for _, p in want], abs=1e-6)
        seen.append(want)
    assert seen[0] != seen[1]                                     # the suggestions changed
    assert "".join(body["input"] for body in sent) == "The cat sat"     # only what was new
    assert max(len(body["input"]) for body in sent) < len("The cat sat")
    assert sent[0]["session"] is None and all(b["session"] for b in sent[1:])

    section.evaluate("""s => {
        const out = s.querySelector('.streamed');
        window.counts = [];
        new MutationObserver(() => window.counts.push(Number(out.dataset.tokens)))
            .observe(out, {attributes: true, attributeFilter: ['data-tokens']});
    }""")
    section.get_by_role("button", name="Continue").click()
    page.wait_for_function("() => document.querySelector(\"section[data-view='keyboard'] "
                           ".streamed\").dataset.tokens === '120'")
    counts = page.evaluate("window.counts")         # the count at each repaint: several
    assert len(counts) >= 3 and counts == sorted(set(counts)) and counts[-1] == 120
    assert len(box.input_value()) > len("The cat sat")
    shoot(page, section, shots, "keyboard")


def test_a_word_keyboard_sends_whole_words(page, site):
    runs, client = site
    sent = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)["input"])
            if r.method == "POST" and r.url.endswith("/v1/lm-word/session") else None)
    open_run(page, "lm-word")
    section = view(page, "lm-word", "keyboard")
    section.locator("textarea").press_sequentially("The cat sat on the", delay=30)
    want = post(client, "/v1/lm-word/next", inputs=["The cat sat on"], k=50)[1]["outputs"][0]
    starting = [t for t, _ in want if t.lower().startswith("the")][:5]
    page.wait_for_function("want => [...document.querySelectorAll(\"section[data-view="
                           "'keyboard'] .suggestion\")].map(b => b.dataset.token).join(' ') "
                           "=== want", arg=" ".join(starting))
    assert "".join(sent) == "The cat sat on " and all(s.endswith(" ") for s in sent)


def test_labels_tags_and_translation_draw_the_routes_answers(page, site, shots):
    runs, client = site
    open_run(page, "classify")
    section = view(page, "classify", "classify")
    want = post(client, "/v1/classify/classify", inputs=["a good film with a bad ending"])[1]
    rows = section.locator("tr[data-label]")
    got = {rows.nth(i).get_attribute("data-label"): float(rows.nth(i).get_attribute("data-p"))
           for i in range(rows.count())}
    assert got == pytest.approx(want["outputs"][0]["probabilities"])
    shoot(page, section, shots, "classify")

    open_run(page, "tag")
    section = view(page, "tag", "tag")
    want = post(client, "/v1/tag/tag", inputs=[["the", "cat", "sat", "on", "the", "mat"]])[1]
    assert section.locator(".tag").all_text_contents() == want["outputs"][0]
    shoot(page, section, shots, "tag")

    open_run(page, "translate")
    section = view(page, "translate", "translate")
    want = post(client, "/v1/translate/translate", inputs=["i am cold ."])[1]["outputs"][0]
    assert section.locator(".output").text_content() == want["translation"]
    cells = section.locator("svg.heatmap rect")
    flat = [v for row in want["attention"] for v in row]
    assert cells.count() == len(flat)
    assert [float(cells.nth(i).get_attribute("data-value")) for i in (0, len(flat) - 1)] == \
        pytest.approx([flat[0], flat[-1]])
    shoot(page, section, shots, "translate")


def test_a_wav_upload_and_the_microphone_are_transcribed(page, site, shots):
    runs, client = site
    wav = sorted((FIXTURES / "data" / "wavs").glob("*.wav"))[0]
    open_run(page, "digits")
    section = view(page, "digits", "transcribe")
    section.locator("input[type=file]").set_input_files(str(wav))
    heard = section.locator(".heard li")
    heard.first.wait_for()
    want = client.post("/v1/digits/transcribe", files=[("file", (wav.name, wav.read_bytes()))])
    assert json.loads(heard.first.get_attribute("data-output")) == want.json()["outputs"][0]
    shoot(page, section, shots, "transcribe")
    section.get_by_role("button", name="Record 2 s from the microphone").click()
    page.wait_for_function("() => document.querySelector(\"section[data-view='transcribe'] "
                           ".file\")?.textContent === 'microphone.wav'", timeout=20_000)


def test_forecast_and_music_draw_the_routes_answers(page, site, shots):
    runs, client = site
    open_run(page, "forecast")
    section = view(page, "forecast", "backtest")
    want = post(client, "/v1/forecast/backtest", inputs=["valid"], steps=24)[1]["outputs"][0]
    names = section.locator("path.line").evaluate_all("ps => ps.map(p => p.dataset.name)")
    assert names == ["value (history)", "truth"] + [f["name"] for f in want["forecasters"]]
    rows = section.locator("tr[data-rmse]")
    assert [float(rows.nth(i).get_attribute("data-rmse")) for i in range(rows.count())] == \
        pytest.approx([f["rmse"] for f in want["forecasters"]])
    shoot(page, section, shots, "forecast")

    open_run(page, "music")
    section = view(page, "music", "music")
    piece = post(client, "/v1/music/generate", inputs=[[60, 64, 67]], length=48,
                 temperature=0.8, seed=1)[1]["outputs"][0]
    notes = sum(1 for t, step in enumerate(piece) for p in step
                if t == 0 or p not in piece[t - 1])
    assert int(section.locator("svg.roll").get_attribute("data-notes")) == notes
    duration = section.locator("audio").evaluate(
        "a => a.readyState >= 1 ? a.duration : new Promise(r => a.addEventListener("
        "'loadedmetadata', () => r(a.duration)))")
    assert duration == pytest.approx(48 * 60 / 180, abs=0.01)
    shoot(page, section, shots, "music")


def test_inside_views_draw_the_routes_answers(page, site, shots):
    runs, client = site
    open_run(page, "lm")
    section = view(page, "lm", "architecture")
    arch = client.get("/v1/lm/architecture").json()
    rows = section.locator("table.sizes tr[data-layer]")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.layer)") == \
        [r["layer"] for r in arch["rows"]]
    assert section.locator("tr.total").get_attribute("data-total") == str(arch["total"])
    assert section.locator("svg.unrolled circle.unit").count() == 3 * 4       # 3 steps, H=4
    shoot(page, section, shots, "architecture")

    section = view(page, "lm", "activations")
    text = section.locator("textarea").input_value()
    out = post(client, "/v1/lm/activations", inputs=[text])[1]["outputs"][0]
    button = section.locator("button.unit").nth(1)
    unit = int(button.get_attribute("data-unit"))
    button.click()
    assert section.locator("select").nth(1).input_value() == str(unit)
    got = section.locator(".tok").evaluate_all("ts => ts.map(t => Number(t.dataset.a))")
    assert got == pytest.approx([a[unit] for a in out["activations"]])
    shoot(page, section, shots, "activations")

    section = view(page, "lm", "gradients")
    text = section.locator("textarea").input_value()
    out = post(client, "/v1/lm/gradients", inputs=[text])[1]["outputs"][0]
    path = section.locator("path.line")
    assert path.get_attribute("data-points") == str(len(out["norms"][0]))
    ratio = float(section.locator(".verdict").get_attribute("data-ratio"))
    assert ratio == pytest.approx(out["norms"][0][0] / out["norms"][0][-1])
    shoot(page, section, shots, "gradients")


def test_the_keyboard_reaches_every_run_and_a_phone_reads_the_page(browser, page, site,
                                                                   shots):
    open_run(page, "lm")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.run") == "tag":
            break
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('run-title').textContent === 'tag'")
    assert page.evaluate("document.activeElement.id") == "run-title"

    page.set_viewport_size({"width": 390, "height": 844})
    open_run(page, "lm")
    view(page, "lm", "keyboard")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "phone.png"))
