"""cusparselt_repository: the OPTIONAL cuSPARSELt header for the benchmark.

cuSPARSELt is a second baseline in benchmarks/spmm_bench, never a dependency of
the library. This rule looks for `include/cusparseLt.h` (pure Starlark, offline):

  1. under $HINM_CUSPARSELT_ROOT, if set (either the unpacked wheel's root or
     its nvidia/cusparselt folder);
  2. under <workspace>/.cusparselt (ignored by git), where
     `pip download nvidia-cusparselt-cu13==<ver> --no-deps` + unzip puts it.

Found: @cusparselt//:cusparselt exports the header and the define
HINM_HAVE_CUSPARSELT (the benchmark then dlopens libcusparseLt.so.0 at run
time, so nothing links against the 230 MB library). Not found: an empty
library, and the benchmark says "cuSPARSELt: not built". CI has no copy, so
it always takes the second branch.

The rule is `local`, so Bazel re-runs it when its server restarts; after
unpacking the wheel run `bazel sync --configure` (or `bazel shutdown`).
"""

def _candidates(rctx):
    roots = []
    env = rctx.os.environ.get("HINM_CUSPARSELT_ROOT", "")
    if env:
        roots.append(env)
    workspace = rctx.path(Label("@//:WORKSPACE")).dirname
    roots.append(str(workspace) + "/.cusparselt")
    out = []
    for r in roots:
        out.append(r)
        out.append(r + "/nvidia/cusparselt")
    return out

def _impl(rctx):
    found = None
    for c in _candidates(rctx):
        if rctx.path(c + "/include/cusparseLt.h").exists:
            found = c
            break
    if found:
        rctx.symlink(found + "/include", "include")
        rctx.file("BUILD", """# Found at {root}
package(default_visibility = ["//visibility:public"])
cc_library(
    name = "cusparselt",
    hdrs = ["include/cusparseLt.h"],
    includes = ["include"],
    defines = ["HINM_HAVE_CUSPARSELT=1"],
    linkopts = ["-ldl"],
    deps = ["@cuda//:cuda_headers"],
)
""".format(root = found))
    else:
        rctx.file("BUILD", """# cuSPARSELt header not found (set HINM_CUSPARSELT_ROOT or unpack the
# wheel into .cusparselt/): the benchmark builds without it.
package(default_visibility = ["//visibility:public"])
cc_library(name = "cusparselt")
""")

cusparselt_repository = repository_rule(
    implementation = _impl,
    environ = ["HINM_CUSPARSELT_ROOT"],
    local = True,
)
