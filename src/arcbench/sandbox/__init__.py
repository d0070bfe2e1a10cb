"""Run untrusted `transform(grid)` programs isolated, bounded and fast.

`Sandbox` keeps a pool of warm worker processes (numpy already imported) and forks one confined child per program.
"""

from arcbench.sandbox.pool import Sandbox, is_grid
from arcbench.sandbox.types import ErrorKind, GridResult, ProgramResult, SandboxLimits

__all__ = ["ErrorKind", "GridResult", "ProgramResult", "Sandbox", "SandboxLimits", "is_grid"]
