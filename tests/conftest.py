"""Suite-wide settings.

The tests train and run tiny models: one compute thread is as fast as two for them, and on a
shared 2-core machine spinning OpenMP threads can make a step 20x slower. Set before torch is
imported, and inherited by the CLI subprocesses the tests start.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
