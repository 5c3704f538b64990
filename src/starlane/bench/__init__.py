"""The load benchmark behind ``starlane bench`` and ``benchmarks/bench_api.py``.

``stats`` (latency percentiles), ``rawhttp`` (a minimal keep-alive HTTP/1.1 client so the load
generator is not the bottleneck), ``workload`` (what each simulated client does, over REST and
over the WebSocket), ``runner`` (server subprocess, set-up, client processes, report).
"""
