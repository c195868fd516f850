"""Re-export of :mod:`mcpgen.masking` (the one masking rule) for the secrets package."""

from mcpgen.masking import HIDDEN, mask

__all__ = ["HIDDEN", "mask"]
