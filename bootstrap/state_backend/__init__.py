"""state_backend"""
