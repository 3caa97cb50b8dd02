"""A synthetic estate with known truth: inventory, mirrored capture, and the edges and clusters.

``python -m bench.estate generate`` writes the three files; ``python -m bench.estate accuracy``
runs the capture through the same in-process path as ``meeseeks analyze`` and scores the
edges and data-store clusters found against the truth.
"""
