import gc
import sys

try:
    from gen.cli import main
except ModuleNotFoundError as exc:  # installed without the compiler's extra (e.g. the relay's image)
    if exc.name and exc.name.split(".")[0] in ("promql_parser", "grafanalib", "requests", "jsonschema",
                                                "fastjsonschema", "msgspec", "yaml"):
        sys.exit(f"error: python -m gen needs the compiler's dependencies ({exc.name} is missing): "
                 "pip install 'k8s-monitoring-as-code[compiler]'")
    raise

code = main()
# Everything the command built is about to be freed at exit, where Python runs one last full
# cyclic collection over it: 50-80 ms after a build, a tenth of its time. Frozen objects are
# left out of that pass; reference counting still frees them (bench/README.md).
gc.freeze()
sys.exit(code)
