"""elman serve: a real uvicorn server on 127.0.0.1 serving the committed fixture runs of every
task, asked by a real HTTP client; answers compared with the tasks' own in-process results."""

import asyncio
import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import torch

pytest.importorskip("fastapi")
import uvicorn  # noqa: E402

from elman.cli import load_run, main  # noqa: E402
from elman.serve.app import Served, build_app  # noqa: E402
from elman.serve.batching import Batcher, Busy  # noqa: E402
from elman.serve.limits import Limits  # noqa: E402
from elman.serve.sessions import Sessions  # noqa: E402
from elman.tasks.lm import generate, next_words  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "v0"
RUNS = ["lm", "lm-word", "classify", "tag", "sort", "translate", "forecast", "music", "digits",
        "digit-sequences"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving ``app`` on a free loopback port in a thread."""

    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def served(names, limits=Limits()):
    runs = []
    for name in names:
        run, task = load_run(FIXTURES / "runs" / name)
        runs.append(Served(name, run, task))
    return runs, build_app(runs, limits)


@pytest.fixture(scope="module")
def fleet():
    runs, app = served(RUNS, Limits(max_wait_ms=20, max_sessions=3))
    with Server(app) as client:
        yield {s.name: s for s in runs}, client


def post(client, path, **body):
    r = client.post(path, json=body)
    assert r.headers["content-type"].startswith("application/json"), r.text
    return r.status_code, r.json()


def test_health_and_the_models_listed_with_their_routes(fleet):
    runs, client = fleet
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["runs"] == RUNS
    listed = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert list(listed) == RUNS
    lm = listed["lm"]
    assert lm["task"] == "lm" and lm["config"]["task"]["name"] == "lm"
    assert lm["parameters"] == sum(p.numel() for p in runs["lm"].run.model.parameters())
    assert {r["path"] for r in lm["routes"]} == {"/v1/lm/next", "/v1/lm/generate",
                                                 "/v1/lm/session", "/v1/lm/activations",
                                                 "/v1/lm/gradients"}
    assert [r["path"] for r in listed["digits"]["routes"]] == ["/v1/digits/transcribe"]
    assert client.get("/openapi.json").json()["paths"]["/v1/classify/classify"]


def test_next_tokens_match_the_single_prompt_function(fleet):
    runs, client = fleet
    s = runs["lm"]
    prompts = ["the", "a longer prompt than the others", "x"]
    status, body = post(client, "/v1/lm/next", inputs=prompts, k=4)
    assert status == 200
    for prompt, got in zip(prompts, body["outputs"]):
        want = next_words(s.run.model, s.task.vocab, prompt, 4)
        assert [t for t, _ in got] == [t for t, _ in want]
        assert [p for _, p in got] == pytest.approx([p for _, p in want], abs=1e-6)


def test_concurrent_requests_share_model_calls_and_answer_as_alone(fleet):
    runs, client = fleet
    prompts = [f"prompt number {i} " * (1 + i % 4) for i in range(24)]
    alone = [post(client, "/v1/lm/next", inputs=[p], k=3)[1]["outputs"][0] for p in prompts]
    before = client.get("/health").json()["routes"]["/v1/lm/next"]

    async def together():
        async with httpx.AsyncClient(base_url=str(client.base_url), timeout=30) as c:
            replies = await asyncio.gather(*(c.post("/v1/lm/next", json={"inputs": [p], "k": 3})
                                             for p in prompts))
        return [r.json()["outputs"][0] for r in replies]
    batched = asyncio.run(together())
    after = client.get("/health").json()["routes"]["/v1/lm/next"]
    assert after["inputs"] - before["inputs"] == len(prompts)
    assert after["calls"] - before["calls"] < len(prompts)          # gathered
    for a, b in zip(alone, batched):
        assert [t for t, _ in a] == [t for t, _ in b]
        assert [p for _, p in a] == pytest.approx([p for _, p in b], abs=1e-5)


def test_generate_streams_events_as_the_cli_samples(fleet):
    runs, client = fleet
    s = runs["lm"]
    want = "".join(generate(s.run.model, s.task.vocab, "the ", 12, 0.8, None, 7))
    with client.stream("POST", "/v1/lm/generate",
                       json={"input": "the ", "length": 12, "seed": 7}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    data = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert "".join(d["token"] for d in data[:-1]) == want
    assert lines[-2:] == ["event: end", 'data: {"events": 12}']
    status, body = post(client, "/v1/lm/generate", input="the ", length=12, seed=7,
                        stream=False)
    assert status == 200 and "".join(e["token"] for e in body["events"]) == want


def test_a_session_carries_the_state_across_requests(fleet):
    runs, client = fleet
    s = runs["lm"]
    status, first = post(client, "/v1/lm/session", input="to be or ", k=3)
    assert status == 200 and first["output"]["tokens"] == 9
    status, second = post(client, "/v1/lm/session", input="not", k=3, session=first["session"])
    assert status == 200 and second["session"] == first["session"]
    want = next_words(s.run.model, s.task.vocab, "to be or not", 3)
    assert [t for t, _ in second["output"]["next"]] == [t for t, _ in want]
    assert [p for _, p in second["output"]["next"]] == pytest.approx([p for _, p in want],
                                                                     abs=1e-5)
    assert client.delete(f"/v1/lm/session/{first['session']}").status_code == 200
    status, gone = post(client, "/v1/lm/session", input="x", session=first["session"])
    assert status == 422 and gone["field"] == "session"


def test_open_sessions_stay_bounded(fleet):
    runs, client = fleet
    ids = [post(client, "/v1/lm/session", input="a")[1] for _ in range(5)]
    assert max(r["open_sessions"] for r in ids) == 3                 # max_sessions
    status, oldest = post(client, "/v1/lm/session", input="b", session=ids[0]["session"])
    assert status == 422 and "session" in oldest["error"]
    assert post(client, "/v1/lm/session", input="b", session=ids[-1]["session"])[0] == 200


@pytest.mark.parametrize("name, route, inputs, params", [
    ("classify", "classify", ["a good film", "bad"], {}),
    ("tag", "tag", ["the cat sat", ["a", "dog"]], {}),
    ("sort", "predict", ["5 3 9 1", "2 1"], {"beam": 2}),
    ("translate", "translate", ["i am cold ."], {}),
    ("forecast", "forecast", [[float(i % 7) for i in range(30)]], {}),
    ("music", "generate", [[60, 64, 67]], {"length": 8, "seed": 3}),
])
def test_every_task_answers_as_its_predict(fleet, name, route, inputs, params):
    runs, client = fleet
    s = runs[name]
    status, body = post(client, f"/v1/{name}/{route}", inputs=inputs, **params)
    assert status == 200, body
    method = getattr(s.task, {r.name: r for r in s.task.routes}[route].method)
    want = json.loads(json.dumps(method([s.run.model], inputs, **params)))
    assert body["outputs"] == want


@pytest.mark.parametrize("name", ["digits", "digit-sequences"])
def test_transcribe_an_uploaded_wav(fleet, name):
    runs, client = fleet
    s = runs[name]
    wav = sorted((FIXTURES / "data" / "wavs").glob("*.wav"))[0]
    r = client.post(f"/v1/{name}/transcribe", files=[("file", (wav.name, wav.read_bytes()))])
    assert r.status_code == 200, r.text
    from elman.data.audio import read_wav
    want = s.task.predict([s.run.model], [read_wav(wav, s.task.settings.sample_rate)])
    assert r.json()["outputs"] == json.loads(json.dumps(want))
    r = client.post(f"/v1/{name}/transcribe", files=[("file", ("x.wav", b"not a wav"))])
    assert r.status_code == 422 and r.json()["field"] == "wav"


@pytest.mark.parametrize("path, body, status, field", [
    ("/v1/lm/next", {"inputs": ["a"], "k": 51}, 422, "k"),
    ("/v1/lm/next", {"inputs": ["a"], "k": "many"}, 422, "k"),
    ("/v1/lm/next", {"inputs": [""]}, 422, "inputs[0]"),
    ("/v1/lm/next", {"inputs": []}, 422, "inputs"),
    ("/v1/lm/next", {"inputs": ["a"] * 65}, 422, "inputs"),
    ("/v1/lm/next", {"inputs": ["a" * 10_001]}, 422, "inputs[0]"),
    ("/v1/lm/next", {"inputs": ["a"], "bogus": 1}, 422, "bogus"),
    ("/v1/lm/next", {"prompt": "a"}, 422, "inputs"),
    ("/v1/lm/generate", {"input": "a", "length": 100_000}, 422, "length"),
    ("/v1/lm/generate", {"input": "a", "temperature": 0}, 422, "temperature"),
    ("/v1/lm/generate", {"input": 5}, 422, "input"),
    ("/v1/sort/predict", {"inputs": ["5 x 1"]}, 422, "input"),
    ("/v1/sort/predict", {"inputs": ["5 1"], "beam": 0}, 422, "beam"),
    ("/v1/forecast/forecast", {"inputs": [[1, 2]]}, 422, "history"),
    ("/v1/music/generate", {"inputs": [[60]], "length": 0}, 422, "length"),
])
def test_bad_input_is_a_4xx_json_error_naming_the_field(fleet, path, body, status, field):
    runs, client = fleet
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and r.json()["error"].startswith(field)
    assert "Traceback" not in r.text and "File \"" not in r.text


def test_unreadable_and_oversized_bodies(fleet):
    runs, client = fleet
    r = client.post("/v1/lm/next", content=b"{not json", headers={"content-type":
                                                                    "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body"
    r = client.post("/v1/lm/next", content=b"x" * 1_000_001,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["field"] == "body"
    r = client.get("/v1/nothing/here")
    assert r.status_code == 404 and r.json()["error"]


def test_a_full_queue_refuses_at_once():
    from concurrent.futures import ThreadPoolExecutor
    gate = threading.Event()

    def run(inputs):
        gate.wait(10)
        return inputs

    async def scenario():
        b = Batcher(run, ThreadPoolExecutor(1), max_batch=1, max_wait=0, max_queue=2)
        first = asyncio.create_task(b.submit([1], {}))
        await asyncio.sleep(0.05)                   # taken by the worker, blocked in run
        waiting = [asyncio.create_task(b.submit([i], {})) for i in (2, 3)]
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):
            await b.submit([4], {})
        gate.set()
        return await first, [await w for w in waiting]
    assert asyncio.run(scenario()) == ([1], [[2], [3]])


def test_sessions_expire_when_idle():
    now = [0.0]
    store = Sessions(max_sessions=10, idle_seconds=5, clock=lambda: now[0])
    a, _ = store.open()
    now[0] = 3.0
    b, _ = store.open()
    now[0] = 6.0
    assert len(store) == 1 and store.get(b)
    with pytest.raises(Exception, match="session"):
        store.get(a)


def test_serve_flag_errors_are_one_line(capsys):
    assert main(["serve", str(FIXTURES / "runs" / "lm"), str(FIXTURES / "runs" / "lm"),
                 "--port", "1"]) == 2
    assert "twice" in capsys.readouterr().err
    assert main(["serve", str(FIXTURES / "runs" / "lm"), "--max-batch", "0"]) == 2
    assert "max_batch: expected an integer >= 1" in capsys.readouterr().err


def test_model_threads_are_not_raced(fleet):
    """Sessions, streams and batches at once: every answer still matches alone."""
    runs, client = fleet
    torch.manual_seed(0)
    alone = post(client, "/v1/lm/next", inputs=["abc"], k=2)[1]

    async def mixed():
        async with httpx.AsyncClient(base_url=str(client.base_url), timeout=30) as c:
            calls = [c.post("/v1/lm/next", json={"inputs": ["abc"], "k": 2}) for _ in range(8)]
            calls += [c.post("/v1/lm/generate", json={"input": "a", "length": 30,
                                                      "stream": False}) for _ in range(3)]
            return await asyncio.gather(*calls)
    replies = asyncio.run(mixed())
    assert all(r.status_code == 200 for r in replies)
    for r in replies[:8]:
        assert [t for t, _ in r.json()["outputs"][0]] == [t for t, _ in alone["outputs"][0]]


def test_a_first_input_that_fails_opens_no_session():
    runs, app = served(["lm"], Limits(max_sessions=1))
    with Server(app) as client:
        status, first = post(client, "/v1/lm/session", input="to be")
        assert status == 200
        status, bad = post(client, "/v1/lm/session", input="")
        assert status == 422 and bad["field"] == "input"
        status, again = post(client, "/v1/lm/session", input=" or", session=first["session"])
        assert status == 200 and again["open_sessions"] == 1       # the first one survived
