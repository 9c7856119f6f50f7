"""The Elman network in plain NumPy: the specification the PyTorch engine is tested against.

    z[l][t] = W_F[l] a[l-1][t] + W_R[l] a[l][t-1] + b[l],    a[l][t] = f_l(z[l][t])

Read top to bottom: ``activations`` (f, f'), ``forward`` (the stack and the output layer),
``losses`` (value and gradient pairs), ``bptt`` (backpropagation through time by hand),
``gradcheck`` (finite differences). NumPy only; this package never imports torch.
"""

from .activations import NAMES as ACTIVATIONS
from .bptt import Gradients, output_backward, rnn_backward
from .forward import ForwardCache, output_forward, rnn_forward, step_mask
from .gradcheck import check_gradients, loss_and_gradients, numerical_gradient, relative_error
from .losses import binary_cross_entropy, cross_entropy, log_softmax, mse, softmax

__all__ = [
    "ACTIVATIONS",
    "ForwardCache",
    "Gradients",
    "binary_cross_entropy",
    "check_gradients",
    "cross_entropy",
    "log_softmax",
    "loss_and_gradients",
    "mse",
    "numerical_gradient",
    "output_backward",
    "output_forward",
    "relative_error",
    "rnn_backward",
    "rnn_forward",
    "softmax",
    "step_mask",
]
