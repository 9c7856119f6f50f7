"""Micro-batching: the inputs of concurrent requests to one route, gathered for a few
milliseconds and answered by one call of the task's method.

Requests wait in a bounded queue; a full queue is refused at once (``Busy``, HTTP 503 with
Retry-After) instead of growing. One worker per route takes the first waiting request and
every other one already waiting, up to ``max_batch`` inputs; when the previous call had
company (requests are arriving together) it also waits up to ``max_wait`` seconds for more, so
a lone request is not delayed. It groups them by their params (only equal params share a
call) and runs each group on the model thread; what arrives meanwhile forms the next batch.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field


class Busy(Exception):
    """The queue is full: the request is refused, not queued."""


@dataclass
class Job:
    inputs: list
    params: dict
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Batcher:
    """Gathers jobs for ``run(inputs, **params) -> outputs`` (one output per input)."""

    def __init__(self, run: Callable[..., list], executor: Executor, *, max_batch: int = 64,
                 max_wait: float = 0.005, max_queue: int = 256):
        self.run, self.executor = run, executor
        self.max_batch, self.max_wait = max_batch, max_wait
        self.queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=max_queue)
        self.worker: asyncio.Task | None = None
        self.calls = self.answered = 0           # model calls, inputs answered
        self.company = False                     # did the last batch have several jobs

    def stats(self) -> dict:
        return {"calls": self.calls, "inputs": self.answered, "waiting": self.queue.qsize()}

    async def submit(self, inputs: list, params: dict) -> list:
        """The outputs for ``inputs``, answered with whatever else arrives meanwhile."""
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self.work())
        job = Job(inputs, params)
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            raise Busy() from None
        return await job.done

    async def work(self):
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self.queue.get()]
            size = len(jobs[0].inputs)
            deadline = loop.time() + (self.max_wait if self.company else 0.0)
            while size < self.max_batch:
                if not self.queue.empty():
                    job = self.queue.get_nowait()
                elif loop.time() < deadline:
                    try:
                        job = await asyncio.wait_for(self.queue.get(), deadline - loop.time())
                    except TimeoutError:
                        break
                else:
                    break
                jobs.append(job)
                size += len(job.inputs)
            self.company = len(jobs) > 1
            for group in grouped(jobs):
                await self.answer(group)

    async def answer(self, jobs: list[Job]):
        inputs = [x for job in jobs for x in job.inputs]
        loop = asyncio.get_running_loop()
        try:
            outputs = await loop.run_in_executor(
                self.executor, lambda: self.run(inputs, **jobs[0].params))
        except Exception as e:                    # each job alone, to blame the right one
            if len(jobs) == 1:
                settle(jobs[0], error=e)
                return
            for job in jobs:
                await self.answer([job])
            return
        self.calls += 1
        self.answered += len(inputs)
        start = 0
        for job in jobs:
            settle(job, result=outputs[start:start + len(job.inputs)])
            start += len(job.inputs)


def grouped(jobs: list[Job]) -> list[list[Job]]:
    """Jobs with equal params together, in arrival order of each group's first job."""
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(repr(sorted(job.params.items())), []).append(job)
    return list(groups.values())


def settle(job: Job, *, result=None, error: Exception | None = None):
    if job.done.done():                          # the client gave up (request timeout)
        return
    if error is not None:
        job.done.set_exception(error)
    else:
        job.done.set_result(result)
