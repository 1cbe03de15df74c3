"""The independent side of tests/chain_cas.rs: SymPy differentiates each system of definitions
(substituted into one expression) and evaluates the derivative at the given points.

Reads JSON from stdin: [{"definitions": [[name, expression], ...], "output": name, "wrt": name,
"points": [{var: value, ...}, ...]}, ...]; writes a JSON list with one list of values per system.
Expressions are in backprop's input syntax (explicit *, ^ for powers, function calls)."""
import json
import re
import sys

import sympy
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

x = sympy.Symbol("x")
FUNCTIONS = {
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "tanh": sympy.tanh, "abs": sympy.Abs, "sign": sympy.sign,
    "sigmoid": sympy.Lambda(x, 1 / (1 + sympy.exp(-x))),
    "relu": sympy.Lambda(x, sympy.Max(0, x)),
    "step": sympy.Heaviside,
    "pi": sympy.pi, "e": sympy.E,
}

out = []
for system in json.load(sys.stdin):
    names = [n for n, _ in system["definitions"]]
    # Every variable is real (so |x| and sign(x) differentiate as on the real line).
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join([e for _, e in system["definitions"]] + names)))
    real = {w: sympy.Symbol(w, real=True) for w in words if w not in FUNCTIONS}
    def read(text):
        return parse_expr(text, local_dict={**FUNCTIONS, **real}, transformations=standard_transformations + (convert_xor,))
    defs = {n: read(e) for n, e in system["definitions"]}
    wrt = real[system["wrt"]]
    expr = defs[system["output"]]
    for _ in range(len(names) + 1):
        expr = expr.subs({real[n]: defs[n] for n in names if n != system["wrt"]})
    derivative = sympy.diff(expr, wrt)
    values = []
    for point in system["points"]:
        v = derivative.subs({real[k]: sympy.Float(val, 30) for k, val in point.items()}).evalf(30)
        values.append(float(v))
    out.append(values)
json.dump(out, sys.stdout)
