"""mcpgen.cli"""
