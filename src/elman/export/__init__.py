"""Exporting a trained model for inference without elman (``elman export``).

- ``graph``, ``rnn``, ``pieces``, ``models``, ``seq2seq``: ONNX graphs built with onnx.helper
  from elman's weights: native RNN/LSTM/GRU nodes for the stack (``rnn``), the heads around
  it (``pieces``) and each architecture's graphs (``models``, ``seq2seq``). Every batch and
  time dimension is named, so a graph runs at any batch size and length.
- ``bundle``: the export folder (ONNX files or the NumPy runtime's arrays, with the JSON a
  caller needs).

Nothing here is imported by ``import elman``; the ONNX modules need the ``export`` extra.
"""
