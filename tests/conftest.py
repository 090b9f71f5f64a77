"""Python tests of the package from this source tree (the wheel need not be installed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
