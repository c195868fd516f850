"""Find and describe the modules of a workspace."""
