"""Benchmarks: run each as ``python -m benchmarks.<name>``; they print their own figures."""
