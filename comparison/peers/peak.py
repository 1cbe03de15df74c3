"""Runs a command and reports its wall time and peak resident memory, measured the same way for
every tool: this process has exactly one child, so RUSAGE_CHILDREN's ru_maxrss is that child's
peak. The command's output passes through; the last line is one JSON object.
usage: peak.py COMMAND [ARG ...]"""
import json, resource, subprocess, sys, time

start = time.perf_counter()
code = subprocess.run(sys.argv[1:]).returncode
wall = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(json.dumps({"exit": code, "wall_s": round(wall, 3), "peak_rss_kib": peak_kib}), flush=True)
sys.exit(code)
