"""mcpgen.workflows"""
