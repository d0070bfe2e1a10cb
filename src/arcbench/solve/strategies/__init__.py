"""The strategies `--mode` can name. Adding one: a module beside these (a class with `name` and `solve(ctx)`), and
its line in STRATEGIES."""

from __future__ import annotations

from arcbench.solve.strategies.feedback import Feedback
from arcbench.solve.strategies.hybrid import Hybrid
from arcbench.solve.strategies.independent import Independent
from arcbench.solve.strategies.refine import Refine
from arcbench.solve.strategies.tools import Tools
from arcbench.solve.strategy import Strategy

STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    Feedback(),
    Independent(),
    Hybrid(),
    Tools(),
    Refine(),
)}
