"""Training: run configuration in sections, the loop and its metrics."""

from .config import ModelConfig, RunConfig, TrainConfig, resolve
from .trainer import RunResult, Trainer, train

__all__ = ["ModelConfig", "RunConfig", "RunResult", "TrainConfig", "Trainer", "resolve", "train"]
