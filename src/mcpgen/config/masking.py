"""Re-export of :mod:`mcpgen.masking` (the one masking rule) for the config package."""

from mcpgen.masking import HIDDEN, mask, mask_url, url_has_password

__all__ = ["HIDDEN", "mask", "mask_url", "url_has_password"]
