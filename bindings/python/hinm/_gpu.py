"""GPU arrays (torch, cupy, anything with __cuda_array_interface__ or CUDA
DLPack) as raw device pointers for the C API, and the GPU calls.

Stream rule: hinm runs on the stream the framework is currently using for the
array -- torch.cuda.current_stream(device) for torch, cupy's current stream
for cupy, the CAI "stream" field for other CAI producers (None: the legacy
default stream), and the legacy default stream for other DLPack producers
(asked to make the data ready there). Calls are asynchronous on that stream,
like any framework kernel. Outputs and workspace are allocated through the
framework of B (torch.empty / cupy.empty on B's device); for other producers
pass out=, and the library takes the workspace from CUDA's stream-ordered
allocator.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Set, Tuple

from . import _handle, _hinm
from ._errors import Error, invalid_dtype, invalid_value
from ._handle import handle

_CUDA_LEGACY_STREAM = 1  # cudaStreamLegacy, as in the CAI and DLPack specs
_IO_TYPES = {"float16": _hinm.R_16F, "bfloat16": _hinm.R_16BF, "float32": _hinm.R_32F}
_CAI_TYPES = {"<f2": "float16", "<f4": "float32", "<V2": "bfloat16"}


@dataclass
class DeviceArray:
    """A GPU array seen as the C API needs it."""

    ptr: int
    shape: Tuple[int, ...]
    strides: Optional[Tuple[int, ...]]  # elements; None = C-contiguous
    dtype: str
    device: Optional[int]  # CUDA ordinal, None if unknown (current device)
    stream: int
    framework: Optional[str]  # "torch", "cupy" or None
    obj: Any
    keepalive: Any = field(default=None, repr=False)


def _torch_tensor(x: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def as_device_array(name: str, x: Any) -> DeviceArray:
    """Describe GPU array `x`; TypeError if it is not one."""
    if _torch_tensor(x):
        import torch
        if not x.is_cuda:
            raise invalid_dtype(f"{name} is a CPU tensor; pass a CUDA tensor "
                                "(or a numpy array for the CPU path)")
        return DeviceArray(x.data_ptr(), tuple(x.shape), tuple(x.stride()),
                           str(x.dtype).replace("torch.", ""), x.device.index,
                           torch.cuda.current_stream(x.device).cuda_stream,
                           "torch", x)
    cai = getattr(x, "__cuda_array_interface__", None)
    if cai is not None:
        typestr = cai["typestr"]
        dtype = _CAI_TYPES.get(typestr, typestr)
        item = int(typestr[2:]) if typestr[2:].isdigit() else 1
        strides = cai.get("strides")
        if strides is not None:
            strides = tuple(s // item for s in strides)
        module = type(x).__module__.split(".")[0]
        if module == "cupy":
            import cupy
            return DeviceArray(cai["data"][0], tuple(cai["shape"]), strides, dtype,
                               x.device.id, cupy.cuda.get_current_stream().ptr,
                               "cupy", x)
        stream = cai.get("stream")
        return DeviceArray(cai["data"][0], tuple(cai["shape"]), strides, dtype,
                           None, _CUDA_LEGACY_STREAM if stream is None else stream,
                           None, x)
    if hasattr(x, "__dlpack__"):
        dev_type, dev_id = x.__dlpack_device__()
        if dev_type not in (2, 13):
            raise invalid_dtype(f"{name}: DLPack device type {dev_type} is not CUDA")
        t = _hinm.DLPackTensor(x.__dlpack__(stream=_CUDA_LEGACY_STREAM))
        return DeviceArray(t.data_ptr, tuple(t.shape), t.strides, t.dtype, dev_id,
                           _CUDA_LEGACY_STREAM, None, x, keepalive=t)
    raise invalid_dtype(f"{name} is not a GPU array (torch, cupy, "
                        "__cuda_array_interface__ or CUDA __dlpack__)")


def _ld(name: str, a: DeviceArray) -> int:
    """Leading dimension of a 2-D device array with unit stride along rows."""
    rows, cols = a.shape
    if a.strides is None:
        return cols
    s0, s1 = a.strides
    if cols > 1 and s1 != 1:
        raise invalid_value(f"{name} must have unit stride along its last axis "
                            f"(strides {a.strides}); make it contiguous")
    if rows <= 1:
        return cols
    if s0 < cols:
        raise invalid_value(f"{name} has row stride {s0} < {cols} columns")
    return s0


def _io_type(name: str, a: DeviceArray) -> int:
    if a.dtype not in _IO_TYPES:
        raise invalid_dtype(f"{name}: dtype {a.dtype} is not accepted on the GPU; "
                            "use float16 or bfloat16")
    return _IO_TYPES[a.dtype]


def _same_device(name: str, a: DeviceArray, ref: DeviceArray) -> None:
    if a.device is not None and ref.device is not None and a.device != ref.device:
        raise invalid_value(f"{name} is on cuda:{a.device}, B on cuda:{ref.device}")
    if a.dtype != ref.dtype:
        raise invalid_dtype(f"{name} has dtype {a.dtype}, B has {ref.dtype}")


def _device_context(ref: DeviceArray):
    """Make B's device current for the C API call."""
    if ref.device is None:
        return contextlib.nullcontext()
    if ref.framework == "torch":
        import torch
        return torch.cuda.device(ref.device)
    if ref.framework == "cupy":
        import cupy
        return cupy.cuda.Device(ref.device)
    return contextlib.nullcontext()


def _empty(ref: DeviceArray, shape: Tuple[int, ...], dtype: Optional[str] = None) -> Any:
    """A new array like B (framework, device) of `shape`."""
    if ref.framework == "torch":
        import torch
        dt = getattr(torch, dtype) if dtype else ref.obj.dtype
        return torch.empty(shape, dtype=dt, device=ref.obj.device)
    if ref.framework == "cupy":
        import cupy
        with cupy.cuda.Device(ref.device):
            return cupy.empty(shape, dtype=dtype or ref.obj.dtype)
    return None


def _capturing(ref: DeviceArray) -> bool:
    """Whether B's stream (the framework's current one, on the current
    device) is being captured into a CUDA graph."""
    if ref.framework == "torch":
        import torch
        return bool(torch.cuda.is_current_stream_capturing())
    if ref.framework == "cupy":
        import cupy
        return bool(cupy.cuda.get_current_stream().is_capturing())
    return False


def _autotune_first(ref: DeviceArray, key: Tuple[Any, ...], seen: Set[Any]) -> bool:
    """With autotuning on: whether this call may be the one in which
    hinmSpMM searches the problem `key` (its first on the matrix outside a
    capture; the caller marks it in `seen` once the call has run). It then
    gets no workspace of ours, as search=True: hinmSpMM would time only the
    plans that fit one sized for the planner's plan."""
    if ref.framework is None or key in seen:
        return False  # not torch/cupy: hinm allocates every workspace anyway
    return not _capturing(ref)  # a capture runs the planner's plan: as usual


def _output(ref: DeviceArray, out: Any, shape: Tuple[int, ...], beta: float
            ) -> Tuple[Any, DeviceArray]:
    if out is None:
        if beta != 0.0:
            raise invalid_value("beta != 0 needs out= (the C it scales)")
        out = _empty(ref, shape)
        if out is None:
            raise invalid_value("out= is required for GPU arrays that are "
                                "neither torch tensors nor cupy arrays")
    c = as_device_array("out", out)
    _same_device("out", c, ref)
    if c.shape != shape:
        raise invalid_value(f"out has shape {c.shape}, expected {shape}")
    return out, c


def _as_2d(a: DeviceArray, shape2: Tuple[int, int]) -> DeviceArray:
    """A 1-D array of n elements seen as 2-D (n x 1 or 1 x n)."""
    stride = 1 if a.strides is None else a.strides[0]
    strides = (stride, 1) if shape2[1] == 1 else (shape2[1], stride)
    return DeviceArray(a.ptr, shape2, strides, a.dtype, a.device, a.stream,
                       a.framework, a.obj, a.keepalive)


def spmm(desc: _hinm.Descriptor, info: Dict[str, Any], B: Any, order: int,
         alpha: float, beta: float, out: Any, bias: Any, row_order: int,
         search: bool = False, autotuned: Optional[Set[Any]] = None) -> Any:
    """hinmSpMM on GPU arrays, or hinmSpMMSearch with search=True (see
    Matrix.matmul). `autotuned`: the matrix's problems that have run with
    autotuning on (hinm.set_autotune), outside a capture."""
    m, k = info["rows"], info["cols"]
    feature = order == _hinm.ORDER_FEATURE_MAJOR
    b = as_device_array("B", B)
    if len(b.shape) not in (1, 2):
        raise invalid_value(f"B must be 1-D or 2-D, got shape {b.shape}")
    vector = len(b.shape) == 1
    if vector:
        b = _as_2d(b, (b.shape[0], 1) if feature else (1, b.shape[0]))
    k_got = b.shape[0] if feature else b.shape[1]
    if k_got != k:
        raise invalid_value(f"B has {k_got} {'rows' if feature else 'columns'} "
                            f"but the matrix has K = {k} input channels")
    n = b.shape[1] if feature else b.shape[0]
    c_shape = (m, n) if feature else (n, m)
    io_type = _io_type("B", b)
    ldb = _ld("B", b)
    out, c = _output(b, out, (m,) if vector else c_shape, beta)
    if vector:
        c = _as_2d(c, c_shape)
    ldc = _ld("out", c)
    bias_ptr, bias_arr = 0, None
    if bias is not None:
        bias_arr = as_device_array("bias", bias)
        _same_device("bias", bias_arr, b)
        if bias_arr.shape != (m,):
            raise invalid_value(f"bias has shape {bias_arr.shape}, expected ({m},)")
        if bias_arr.strides not in (None, (1,)):
            raise invalid_value("bias must be contiguous")
        bias_ptr = bias_arr.ptr
    if n == 0:
        return out
    h = handle()
    with _device_context(b):
        # The search gets no workspace: it then allocates what its largest
        # candidate needs, so any plan may win (one of ours would limit it
        # to the plans that fit; hinm.h). So does the call that autotuning
        # may turn into one. Later calls size theirs for the plan it stored:
        # spmm_workspace_size asks for exactly that.
        key = (b.device, n, order)
        first = (not search and autotuned is not None and _handle.handle_autotune()
                 and _autotune_first(b, key, autotuned))
        ws_size = 0 if search or first else desc.spmm_workspace_size(h, n, order, order)
        ws, ws_ptr = None, 0
        if ws_size > 0:
            ws = _empty(b, (ws_size,), "uint8")
            if ws is None:
                ws_size = 0  # not torch/cupy: hinm allocates it, stream-ordered
            else:
                ws_ptr = as_device_array("workspace", ws).ptr
        # The workspace was allocated on b.stream, the stream the kernel runs
        # on, so the frameworks' stream-ordered caching allocators reuse it
        # only after the kernel: dropping `ws` on return is safe.
        desc.spmm_device(h, n, alpha, b.ptr, order, ldb, beta, c.ptr, order, ldc,
                         bias_ptr, io_type, row_order, ws_ptr, ws_size, b.stream,
                         search)
    if autotuned is not None and (first or search):
        autotuned.add(key)  # tuned now: later calls get a workspace of ours
    return out


def dense_gemm(A: Any, B: Any, layout: str = "feature", alpha: float = 1.0,
               beta: float = 0.0, out: Any = None) -> Any:
    """Dense C = alpha * A @ B + beta * C through cuBLAS (for comparison).

    A: GPU M x K row-major; B: K x N (layout="feature") or N x K ("token");
    C: M x N or N x M. float16 or bfloat16, fp32 accumulation, on B's stream.
    """
    if layout not in ("feature", "token"):
        raise invalid_value(f"layout must be 'feature' or 'token', got {layout!r}")
    order = _hinm.ORDER_FEATURE_MAJOR if layout == "feature" else _hinm.ORDER_TOKEN_MAJOR
    a = as_device_array("A", A)
    b = as_device_array("B", B)
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise invalid_value(f"A and B must be 2-D, got {a.shape} and {b.shape}")
    _same_device("A", a, b)
    m, k = a.shape
    k_got = b.shape[0] if order == _hinm.ORDER_FEATURE_MAJOR else b.shape[1]
    if k_got != k:
        raise invalid_value(f"A is {m} x {k} but B has {k_got} input channels "
                            f"(layout={layout})")
    n = b.shape[1] if order == _hinm.ORDER_FEATURE_MAJOR else b.shape[0]
    c_shape = (m, n) if order == _hinm.ORDER_FEATURE_MAJOR else (n, m)
    io_type = _io_type("B", b)
    lda, ldb = _ld("A", a), _ld("B", b)
    out, c = _output(b, out, c_shape, beta)
    ldc = _ld("out", c)
    if n == 0:
        return out
    with _device_context(b):
        _hinm.dense_gemm(handle(), m, n, k, float(alpha), a.ptr, lda, b.ptr, order,
                         ldb, float(beta), c.ptr, order, ldc, io_type, b.stream)
    return out
