"""mcpgen.config"""
