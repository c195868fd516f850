"""mcpgen.validation"""
