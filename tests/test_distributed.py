"""Data-parallel training (``elman.training.distributed``): 2 processes on loopback (gloo)
with batch B end with the same weights as 1 process with batch 2B on the same data, for lm
(truncated BPTT: each rank carries its own streams), classify and sort (an encoder-decoder
whose ranks hold different numbers of target tokens); a resumed 2-process run continues
exactly; a SIGINT to ``elman train --nproc 2`` ends every process with a checkpoint; an error
of the data, or of one rank's set-up, stops both ranks and is reported once, by rank 0; each
rank's GPU.

The 2-process runs happen in two fresh interpreters started once for the module (this file
run as a script: ``python tests/test_distributed.py OUT``), as torchrun would start them
(RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT); the 1-process runs here.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
TEXT = "the quick brown fox jumps over the lazy dog. " * 30
REVIEWS = "".join(f"{t}\t{y}\n" for t, y in [
    ("a great and moving film", 1), ("dull , boring and long", 0), ("great fun", 1),
    ("a boring mess", 0), ("moving and fun", 1), ("long and dull", 0),
    ("fun , great acting", 1), ("boring", 0), ("a fun , moving and great story", 1)] * 3)
COMMON = {"dropout": "0", "max_minutes": "none", "quiet": "true", "eval_every": "3",
          "lr": "0.01"}
B, STEPS = 2, 6


def cases(folder: Path) -> dict[str, dict]:
    """{name: the settings of a run but batch_size and out}."""
    return {
        "lm": {**COMMON, "task": "lm", "data": str(folder / "text.txt"), "hidden_sizes": "12",
               "embed_dim": "6", "seq_len": "8", "sample_length": "0"},
        "classify": {**COMMON, "task": "classify", "data": str(folder / "reviews.tsv"),
                     "hidden_sizes": "10", "embed_dim": "6", "valid_fraction": "0.2"},
        "sort": {**COMMON, "task": "sort", "length": "1-6", "valid_size": "8",
                 "hidden_sizes": "10", "embed_dim": "6"},
    }


def train(values: dict, out: Path, batch_size: int, steps: int = STEPS, resume=None):
    from elman.training.config import resolve
    from elman.training.trainer import resume_config
    from elman.training.trainer import train as run
    if resume is not None:
        return run(resume_config(resume, {"max_steps": steps}), resume=resume,
                   log=lambda *a: None)
    config = resolve(None, {**values, "batch_size": str(batch_size), "out": str(out),
                            "max_steps": str(steps)})
    return run(config, log=lambda *a: None)


def worker(folder: Path):
    """One of the 2 processes: every case with batch B, then the lm run resumed to twice its
    steps; then errors (``errors``)."""
    import torch
    torch.set_num_threads(1)
    for name, values in cases(folder).items():
        train(values, folder / f"{name}-2", B)
    train({}, None, B, 2 * STEPS, resume=folder / "lm-2")
    errors(folder)


def errors(folder: Path):
    """``elman train`` of a file that is not UTF-8 (its exit code and stderr saved as
    cli-RANK.json), and a set-up block that fails on rank 1 only (the error each rank raised
    saved as agreed-RANK.txt)."""
    import contextlib
    import io

    from elman.cli import run_command
    from elman.errors import bad
    from elman.training.distributed import Agreed, current
    (folder / "latin1.txt").write_bytes(b"caf\xe9 au lait\n" * 20)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_command(["train", "--data", str(folder / "latin1.txt"), "--quiet",
                            "--out", str(folder / "bad")])
    rank = int(os.environ["RANK"])
    (folder / f"cli-{rank}.json").write_text(json.dumps({"code": code, "stderr": err.getvalue()}))
    try:
        with current("cpu").together():
            if rank == 1:
                raise bad("data", "a file rank 1 can read", "rank 1's")
    except Agreed as e:
        (folder / f"agreed-{rank}.txt").write_text(str(e))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", **extra}


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """The folder of the 2-process runs (and the resumed lm run, lm-2 at 2 x STEPS)."""
    folder = tmp_path_factory.mktemp("ddp")
    (folder / "text.txt").write_text(TEXT, encoding="utf-8")
    (folder / "reviews.tsv").write_text(REVIEWS, encoding="utf-8")
    port = str(free_port())
    procs = [subprocess.Popen(
        [sys.executable, __file__, str(folder)], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
        env=env(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                MASTER_PORT=port)) for r in range(2)]
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    return folder


def weights(run: Path) -> dict:
    import safetensors.torch
    return safetensors.torch.load_file(str(run / "checkpoint" / "model.safetensors"))


def same(a: dict, b: dict):
    import torch
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=2e-6, msg=k)


@pytest.mark.parametrize("name", ["lm", "classify", "sort"])
def test_two_processes_of_batch_b_step_as_one_of_batch_2b(ranks, tmp_path, name):
    values = cases(ranks)[name]
    one = train(values, tmp_path / "one", 2 * B)
    if name == "lm":                  # the 2-process run was resumed to 2 x STEPS
        one = train(values, tmp_path / "whole", 2 * B, 2 * STEPS)
    same(weights(ranks / f"{name}-2"), weights(one.run))
    rows = [json.loads(line) for line in (ranks / f"{name}-2" / "metrics.jsonl").open()]
    assert [r["step"] for r in rows] == list(range(3, 2 * STEPS + 1 if name == "lm" else
                                                   STEPS + 1, 3))


def test_only_rank_0_writes_and_the_checkpoint_keeps_every_stream(ranks):
    state = json.loads((ranks / "lm-2" / "checkpoint" / "trainer_state.json").read_text())
    assert state["world_size"] == 2 and len(state["rank_rng"]) == 2
    assert state["rank_rng"][0] != state["rank_rng"][1]
    import safetensors.torch
    stream = safetensors.torch.load_file(str(ranks / "lm-2" / "checkpoint" /
                                             "stream_state.safetensors"))
    assert {t.shape[0] for t in stream.values()} == {2 * B}          # both ranks' streams
    assert sorted(p.name for p in (ranks / "lm-2").iterdir()) == [
        "best", "checkpoint", "config.json", "loss.png", "metrics.jsonl", "tensorboard"]


def test_resuming_with_another_number_of_processes_is_refused(ranks, tmp_path):
    from elman.errors import ElmanError
    with pytest.raises(ElmanError, match=r"nproc: expected 2 \(the run in .* was trained "
                       r"with 2 processes; resume it with as many\), got 1"):
        train({}, None, B, 3 * STEPS, resume=ranks / "lm-2")


def test_sigint_to_the_launcher_stops_every_process_with_a_checkpoint(tmp_path):
    (tmp_path / "text.txt").write_text(TEXT * 4, encoding="utf-8")
    run = tmp_path / "run"
    p = subprocess.Popen(
        [sys.executable, "-m", "elman", "train", "--nproc", "2", "--data", "text.txt",
         "--out", str(run), "--hidden-sizes", "12", "--embed-dim", "6", "--seq-len", "8",
         "--batch-size", "2", "--dropout", "0", "--max-minutes", "none", "--quiet",
         "--eval-every", "5", "--max-steps", "100000"], cwd=tmp_path, env=env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (run / "metrics.jsonl").is_file() or not (run / "metrics.jsonl").read_text():
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=90)
    assert p.returncode == 130, err
    assert err.count("elman: interrupted by SIGINT at step") == 1, err    # rank 0's line
    assert out.count(f"run: {run}") == 1 and "split over 2 processes" in out
    state = json.loads((run / "checkpoint" / "trainer_state.json").read_text())
    assert state["world_size"] == 2 and state["step"] > 0
    left = subprocess.run(["pgrep", "-f", str(run)], capture_output=True, text=True).stdout
    assert left == ""                                                # no rank outlived it


def test_an_error_every_rank_meets_is_reported_once_by_rank_0(ranks):
    first, second = (json.loads((ranks / f"cli-{r}.json").read_text()) for r in range(2))
    assert (first["code"], second["code"]) == (2, 2)
    assert first["stderr"].startswith("elman: error: data: expected a UTF-8 text file, got ")
    assert first["stderr"].count("\n") == 1 and second["stderr"] == ""
    assert not (ranks / "bad").exists()


def test_an_error_of_one_rank_stops_every_rank_with_its_message(ranks):
    assert [(ranks / f"agreed-{r}.txt").read_text() for r in range(2)] == \
        ["data: expected a file rank 1 can read, got rank 1's"] * 2


@pytest.mark.parametrize("device, rank, size, gpus, chosen", [
    ("cuda", 0, 2, 2, "cuda:0"), ("cuda", 1, 2, 4, "cuda:1"), ("cuda:3", 0, 1, 4, "cuda:3"),
    ("cpu", 1, 2, 0, "cpu"), ("mps", 1, 2, 0, "mps"), ("cuda", 0, 1, 0, "cuda")])
def test_each_rank_trains_on_its_own_gpu(device, rank, size, gpus, chosen):
    from elman.training.launch import rank_device
    assert rank_device(device, rank, size, gpus) == chosen


def test_a_gpu_named_by_index_or_too_few_gpus_are_refused_for_several_processes():
    from elman.errors import ElmanError
    from elman.training.launch import rank_device
    with pytest.raises(ElmanError, match=r"^device: expected cuda with --nproc 2 \(process r "
                       r"trains on cuda:r; pick the GPUs with CUDA_VISIBLE_DEVICES, e\.g\. "
                       r"CUDA_VISIBLE_DEVICES=2,3 elman train --nproc 2 --device cuda\), "
                       r"got 'cuda:1'$"):
        rank_device("cuda:1", 0, 2, 4)
    with pytest.raises(ElmanError, match=r"^nproc: expected at most the 2 CUDA devices "
                       r"visible with --device cuda \(one GPU per process\), got 3$"):
        rank_device("cuda", 2, 3, 2)


def test_bounds_cut_a_batch_into_contiguous_nearly_equal_parts():
    from elman.training.distributed import bounds
    assert bounds(8, 2) == [(0, 4), (4, 8)]
    assert bounds(5, 2) == [(0, 3), (3, 5)]
    assert bounds(1, 2) == [(0, 1), (1, 1)]


def test_a_rank_without_rows_runs_rank_0s_with_weight_0():
    import torch

    from elman.data.batching import Batch
    from elman.data.sequences import Inputs
    from elman.training.distributed import share
    x = Inputs(torch.arange(6).view(3, 2), torch.tensor([2, 1, 2]))
    own, has, sizes = share(Batch(x, torch.tensor([1, 0, 1]), True), 0, 2)
    assert own.x.ids.tolist() == [[0, 1], [2, 3]] and own.x.chars is None and own.carry
    assert has and sizes == [2, 1]
    own, has, sizes = share(Batch(x, torch.tensor([1, 0, 1]), False), 1, 2)
    assert own.x.lengths.tolist() == [2] and own.y.tolist() == [1] and has
    one = Batch(Inputs(x.ids[:1], x.lengths[:1]), torch.tensor([1]), False)
    own, has, sizes = share(one, 1, 2)
    assert own.y.tolist() == [1] and not has and sizes == [1, 0]


@pytest.mark.parametrize("name", ["tag", "sort"])
def test_tasks_count_the_targets_their_loss_averages_over(name):
    import torch

    from elman.data.batching import Batch
    from elman.data.pairs import PairInputs
    from elman.data.sequences import Inputs
    from elman.tasks import get_task
    cls = get_task(name)
    task = cls(cls.Options())
    lengths = torch.tensor([3, 1])
    if name == "tag":
        batch = Batch(Inputs(torch.zeros(2, 3, dtype=torch.long), lengths),
                      torch.zeros(2, 3, dtype=torch.long), False)
    else:
        z = torch.zeros(2, 4, dtype=torch.long)
        batch = Batch(PairInputs(z, lengths, z, lengths + 1), z, False)
    assert task.targets(batch) == (4 if name == "tag" else 6)


if __name__ == "__main__":
    worker(Path(sys.argv[1]))
