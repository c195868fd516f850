"""mcpgen.runtime"""
