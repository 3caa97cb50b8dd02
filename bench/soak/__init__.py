"""`make bench-soak`: a steady load at half the measured maximum, worker memory and lag sampled."""
