"""cuda_library: compile .cu files with the system nvcc inside a genrule.

Bazel 4.2.3 has no CUDA rules offline, and rules_cuda cannot be downloaded, so
each .cu file becomes one genrule (one nvcc process: instantiations compile in
parallel) and the objects are wrapped in a cc_library.

Architectures are set once, here: SASS for sm_80 (A100, and by binary
compatibility sm_86/sm_89) and sm_90a (H100/H200; the `a` target is what
`wgmma` and `setmaxnreg` need), plus compute_80 PTX so newer GPUs can JIT.
"""

NVCC = "/usr/local/cuda/bin/nvcc"

CUDA_ARCH_FLAGS = [
    "-gencode=arch=compute_80,code=sm_80",
    "-gencode=arch=compute_90a,code=sm_90a",
    "-gencode=arch=compute_80,code=compute_80",
]

CUDA_COPTS = [
    "-std=c++17",
    "-O3",
    "-lineinfo",
    "--expt-relaxed-constexpr",
    "-Xcompiler=-fPIC",
    "-Xcompiler=-Wall",
    "-Werror=all-warnings",
]

def cuda_library(name, srcs, hdrs = [], textual_hdrs = [], deps = [], copts = [], arch_flags = None, **kwargs):
    """A cc_library whose sources are CUDA files compiled by nvcc.

    Args:
      name: target name.
      srcs: .cu files; each is one nvcc invocation (one genrule).
      hdrs: public headers (host-visible declarations of the launchers).
      textual_hdrs: headers the .cu files include (device code, configs).
      deps: cc_library deps of the resulting library.
      copts: extra nvcc flags.
      arch_flags: overrides CUDA_ARCH_FLAGS (e.g. an sm_90a-only kernel).
    """
    arch = arch_flags if arch_flags != None else CUDA_ARCH_FLAGS
    objs = []
    for src in srcs:
        stem = src.replace("/", "_").replace(".cu", "")
        obj = "_objs_cuda/%s/%s.o" % (name, stem)
        # nvcc names its temporaries in $TMPDIR (default /tmp) after its PID;
        # in Bazel's sandbox every action is PID 2 and /tmp is shared, so
        # parallel nvcc actions overwrote each other's files ("cannot open
        # source file /tmp/tmpxft_00000002_..."). Each action gets its own.
        native.genrule(
            name = "%s_%s_nvcc" % (name, stem),
            srcs = [src] + hdrs + textual_hdrs,
            outs = [obj],
            cmd = "export TMPDIR=$$(mktemp -d) && " + " ".join([NVCC] + CUDA_COPTS + arch + copts + [
                "-I.",
                "-I$(GENDIR)",
                "-c $(location %s)" % src,
                "-o $@",
            ]) + "; rc=$$?; rm -rf $$TMPDIR; exit $$rc",
            message = "nvcc %s" % src,
        )
        objs.append(obj)
    native.cc_library(
        name = name,
        srcs = objs,
        hdrs = hdrs,
        textual_hdrs = textual_hdrs,
        deps = deps + ["@cuda//:cudart"],
        linkstatic = 1,
        alwayslink = 1,
        **kwargs
    )
