"""Training: run configuration, the loop, checkpoints and metrics."""

from .checkpoint import Checkpoint, load, save
from .config import ModelConfig, TrainConfig, resolve
from .trainer import RunResult, Trainer, train

__all__ = ["Checkpoint", "ModelConfig", "RunResult", "TrainConfig", "Trainer", "load", "resolve",
           "save", "train"]
