"""Architectures over elman.RNN, and a registry that rebuilds any of them from its config."""

from torch import nn

from ..errors import bad
from .captioner import Captioner
from .dual_encoder import DualEncoder
from .encoder_decoder import EncoderDecoder
from .frames import FramesModel
from .language_model import LanguageModel
from .many_to_many import ManyToMany
from .many_to_one import ManyToOne
from .one_to_many import OneToMany
from .tagger import Tagger

MODELS: dict[str, type[nn.Module]] = {
    "many_to_one": ManyToOne,
    "many_to_many": ManyToMany,
    "encoder_decoder": EncoderDecoder,
    "one_to_many": OneToMany,
    "language_model": LanguageModel,
    "tagger": Tagger,
    "frames": FramesModel,
    "dual_encoder": DualEncoder,
    "captioner": Captioner,
}


def build(architecture: str, config: dict) -> nn.Module:
    """Rebuild a model from the name and config recorded in a checkpoint."""
    if not isinstance(architecture, str) or architecture not in MODELS:
        raise bad("architecture", f"one of {sorted(MODELS)}", repr(architecture))
    if not isinstance(config, dict):
        raise bad("config", f"the arguments of {architecture} as an object",
                  type(config).__name__)
    try:
        return MODELS[architecture](**config)
    except TypeError as e:
        raise bad("config", f"the arguments of {architecture}", f"{config} ({e})") from None


def architecture_of(model: nn.Module) -> str:
    """The registry name of a model's class."""
    for name, cls in MODELS.items():
        if type(model) is cls:
            return name
    raise bad("model", f"an instance of one of {sorted(MODELS)}", type(model).__name__)


__all__ = ["MODELS", "Captioner", "DualEncoder", "EncoderDecoder", "FramesModel", "LanguageModel",
           "ManyToMany", "ManyToOne", "OneToMany", "Tagger", "architecture_of", "build"]
