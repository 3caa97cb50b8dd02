"""`make bench-decode`: events per second per core of the fast decoder, a dpkt baseline and
tshark over one synthetic mirrored capture, plus decode-and-publish and peak memory.

Run ``python -m bench.decode --help`` from the repository root.
"""
