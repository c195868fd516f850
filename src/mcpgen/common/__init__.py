"""mcpgen.common: the lowest layer, small helpers that several layers share.

Each module imports nothing of mcpgen, so any layer may import it:

- :mod:`~mcpgen.common.masking`: how secret values are shown (config, secrets, CLI);
- :mod:`~mcpgen.common.nodejs`: where Node and the bridge script come from (discovery, runtime);
- :mod:`~mcpgen.common.processes`: describing how a child process ended (the Python loader, the Node pool).
"""
