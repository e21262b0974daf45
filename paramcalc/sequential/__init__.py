"""Nets written layer by layer (``architecture: sequential``): the language (spec.py), the layer
kinds (kinds.py) and the built net with its shapes and counts (net.py). See the README section
"Beyond transformers: layer-by-layer nets"."""
