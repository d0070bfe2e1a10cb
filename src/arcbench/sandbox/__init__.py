"""Run untrusted `transform(grid)` programs isolated, bounded and fast.

`Sandbox` keeps a pool of warm worker processes (numpy already imported) and forks one confined child per program.
"""

from arcbench.data.validate import is_grid  # re-exported: the harness re-checks every output grid with it
from arcbench.sandbox.pool import Sandbox
from arcbench.sandbox.types import ErrorKind, GridResult, ProgramResult, SandboxLimits

__all__ = ["ErrorKind", "GridResult", "ProgramResult", "Sandbox", "SandboxLimits", "is_grid"]
