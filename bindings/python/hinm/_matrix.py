"""hinm.Matrix: a pruned, compressed HiNM weight, and the functions that make one."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple, Union

import numpy as np

from . import _gpu, _hinm
from ._errors import invalid_dtype, invalid_value
from ._handle import handle
from ._host import HOST_TYPES, host_array, is_device_array, leading_dim, row_major

PermuteArg = Union[bool, str]
PathLike = Union[str, "os.PathLike[str]"]

_PERMUTE = {
    "none": _hinm.PERMUTE_NONE,
    "output": _hinm.PERMUTE_OUTPUT,
    "input": _hinm.PERMUTE_INPUT,
    "both": _hinm.PERMUTE_BOTH,
}
_PERMUTE_ALGO = {
    "default": _hinm.PERMUTE_ALGO_DEFAULT,
    "published": _hinm.PERMUTE_ALGO_PUBLISHED,
}
_VALUE_TYPES = {"float16": _hinm.R_16F, "bfloat16": _hinm.R_16BF}
_VALUE_TYPE_NAMES = {v: k for k, v in _VALUE_TYPES.items()}
_LAYOUTS = {"feature": _hinm.ORDER_FEATURE_MAJOR, "token": _hinm.ORDER_TOKEN_MAJOR}
_LAYOUT_NAMES = {v: k for k, v in _LAYOUTS.items()}
_ROWS = {"original": _hinm.ROWS_ORIGINAL, "permuted": _hinm.ROWS_PERMUTED}
_KERNEL_NAMES = {
    _hinm.KERNEL_AUTO: "auto",
    _hinm.KERNEL_MMA_SP: "mma.sp",
    _hinm.KERNEL_WGMMA_SP: "wgmma.sp",
}


class TunedPlan(NamedTuple):
    """One plan ``matmul(..., search=True)`` stored in a :class:`Matrix` (or
    a loaded file brought): the problem it was timed for and how later GPU
    ``matmul`` calls run that problem (``hinmTunedPlan_t``).

    Attributes:
      device_name: the GPU model (``torch.cuda.get_device_name()``).
      compute_capability: (major, minor) of that GPU.
      sm_count: its SMs (a MIG slice has fewer: another model).
      n: N, the tokens of the product.
      b_layout, c_layout: "feature" or "token", the layouts of B and C
        (``matmul``'s ``layout=`` sets both).
      kernel: "mma.sp", "wgmma.sp", or "auto" (the planner's).
      config: the mma.sp tile config, e.g. "mid_128x64"; "" the planner's.
      splits: the K split of the mma.sp kernel; 0 the planner's.
      cluster: True if the splits are summed in a cluster's shared memory.
    """

    device_name: str
    compute_capability: Tuple[int, int]
    sm_count: int
    n: int
    b_layout: str
    c_layout: str
    kernel: str
    config: str
    splits: int
    cluster: bool


def _choice(name: str, value: Any, table: Dict[str, int]) -> int:
    if not isinstance(value, str) or value not in table:
        raise invalid_value(f"{name} must be one of {sorted(table)}, got {value!r}")
    return table[value]


def _permute_code(permute: PermuteArg) -> int:
    if permute is True:
        return _hinm.PERMUTE_BOTH
    if permute is False or permute is None:
        return _hinm.PERMUTE_NONE
    return _choice("permute", permute, _PERMUTE)


def _value_type_code(dtype: Any) -> int:
    name = dtype if isinstance(dtype, str) else None
    if name is None:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = str(dtype).replace("torch.", "")
    if name not in _VALUE_TYPES:
        raise invalid_dtype(f"dtype must be 'float16' or 'bfloat16' (the stored "
                            f"values), got {dtype!r}")
    return _VALUE_TYPES[name]


def prune(W: Any, sparsity: float = 0.75, vector: int = 128,
          permute: PermuteArg = True, saliency: Any = None, seed: int = 0,
          dtype: Any = "float16", kept_cols: Optional[int] = None, *,
          permute_algo: str = "default", max_failures: int = 0,
          threads: int = 0,
          progress: Optional[Callable[[float], Any]] = None) -> "Matrix":
    """Prune a dense weight to HiNM and compress it.

    Args:
      W: host weight, M x K (output x input channels), numpy float16/float32.
      sparsity: total fraction of zero weights, in [0.5, 1). Every row keeps
        2 of each 4 kept columns, so the vector level prunes 1 - 2(1 - s) of
        the columns of each tile: 0.5 is plain 2:4, 0.75 the paper's default.
        K_keep is then rounded to a multiple of 4; ``.sparsity`` has the exact
        value.
      vector: V, rows per tile (multiple of 16 in [16, 256]).
      permute: two-axis channel permutation (2CP) before pruning: True (both
        axes), False, "output" (rows into tiles), "input" (columns into 2:4
        groups) or "both".
      saliency: host M x K non-negative scores (e.g. Wanda's |W|*||X||) or
        None for |W|; converted to float32.
      seed: seed of 2CP's random choices.
      dtype: stored value type, "float16" or "bfloat16".
      kept_cols: explicit K_keep (multiple of 4); overrides `sparsity`.
      permute_algo: "default" (hinm's search) or "published" (the paper's 2CP).
      max_failures: 2CP stops after this many rejected moves (0: default).
      threads: CPU threads (0: all cores).
      progress: optional callable(fraction in [0, 1], increasing); return
        True to cancel (raises hinm.Error with status HINM_STATUS_CANCELLED);
        an exception it raises is re-raised. It may be called from hinm's
        worker threads, one call at a time. Ctrl-C also cancels (noticed when
        progress is reported on the calling thread).

    Returns:
      A :class:`Matrix`.

    Raises:
      TypeError (hinm.InvalidDtypeError) for an unaccepted dtype, ValueError
      (hinm.InvalidValueError) for bad shapes/values (including NaN or Inf
      weights), hinm.Error for other failures.
    """
    w = host_array("W", W)
    rows, cols = w.shape
    w, ldw = row_major(w)
    if kept_cols is None:
        if not isinstance(sparsity, (int, float)) or isinstance(sparsity, bool) \
                or not 0.5 <= sparsity < 1.0:
            raise invalid_value(
                f"sparsity must be in [0.5, 1) (2:4 alone is 0.5), got {sparsity!r}")
        vector_sparsity = 1.0 - 2.0 * (1.0 - float(sparsity))
        kept = 0
    else:
        if not isinstance(kept_cols, (int, np.integer)) or kept_cols <= 0:
            raise invalid_value(f"kept_cols must be a positive int, got {kept_cols!r}")
        vector_sparsity, kept = 0.5, int(kept_cols)
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise invalid_value(f"seed must be an int in [0, 2**64), got {seed!r}")
    sal, lds = None, 0
    if saliency is not None:
        if is_device_array(saliency):
            raise invalid_dtype("saliency: pass a host (numpy) array")
        s = np.asarray(saliency)
        if s.dtype.kind != "f":
            raise invalid_dtype(f"saliency: dtype {s.dtype} is not a float type")
        if s.shape != w.shape:
            raise invalid_value(f"saliency has shape {s.shape}, W has {w.shape}")
        sal, lds = row_major(s.astype(np.float32, copy=False))
    desc = _hinm.create_descriptor(
        handle(), w, HOST_TYPES[w.dtype], rows, cols, ldw, sal, lds,
        int(vector), vector_sparsity, kept, _value_type_code(dtype),
        _permute_code(permute), _choice("permute_algo", permute_algo, _PERMUTE_ALGO),
        int(seed), int(max_failures), int(threads), progress)
    return Matrix._wrap(desc)


def load(path: PathLike) -> "Matrix":
    """Read a matrix written by :meth:`Matrix.save`."""
    return Matrix._wrap(_hinm.load_descriptor(handle(), os.fspath(path)))


def from_bytes(data: bytes) -> "Matrix":
    """Rebuild a matrix from :meth:`Matrix.to_bytes` (same format as files)."""
    return Matrix._wrap(_hinm.deserialize_descriptor(handle(), bytes(data)))


class Matrix:
    """A pruned and compressed HiNM weight (M x K), immutable.

    Made by :func:`hinm.prune`, :func:`hinm.load` or unpickling. ``M @ B`` and
    :meth:`matmul` multiply it with numpy arrays on the CPU (the reference) or
    with torch/cupy GPU arrays on the GPU.
    """

    __slots__ = ("_desc", "_info", "_autotuned")

    def __init__(self) -> None:
        raise TypeError("use hinm.prune, hinm.load or hinm.from_bytes")

    @classmethod
    def _wrap(cls, desc: _hinm.Descriptor) -> "Matrix":
        self = object.__new__(cls)
        self._desc = desc
        self._info = desc.info()  # read-only after creation: cache it
        # (device, N, layout) of the GPU products run with autotuning on,
        # outside a capture: hinmSpMM has searched them or found them
        # tuned (see _gpu.spmm).
        self._autotuned: Set[Tuple[Any, int, int]] = set()
        return self

    # ---------------------------------------------------------- properties
    @property
    def shape(self) -> Tuple[int, int]:
        """(M, K): output x input channels."""
        return (self._info["rows"], self._info["cols"])

    @property
    def tile_rows(self) -> int:
        """V, rows per tile."""
        return self._info["tile_rows"]

    @property
    def kept_cols(self) -> int:
        """K_keep, kept input columns per tile."""
        return self._info["kept_cols"]

    @property
    def num_tiles(self) -> int:
        """ceil(M / V)."""
        return self._info["num_tiles"]

    @property
    def sparsity(self) -> float:
        """Fraction of the M*K weights that are zero by construction."""
        return self._info["sparsity"]

    @property
    def vector_sparsity(self) -> float:
        """1 - K_keep / K."""
        return self._info["vector_sparsity"]

    @property
    def retained_saliency(self) -> float:
        """Kept saliency / total saliency, in [0, 1]."""
        return self._info["retained_saliency"]

    @property
    def nbytes(self) -> int:
        """Compressed bytes: values + metadata + indices + permutation."""
        return self._info["compressed_bytes"]

    @property
    def dense_nbytes(self) -> int:
        """M * K * sizeof(dtype)."""
        return self._info["dense_bytes"]

    @property
    def compression_ratio(self) -> float:
        """dense_nbytes / nbytes."""
        return self._info["compression_ratio"]

    @property
    def dtype(self) -> str:
        """Stored value type: "float16" or "bfloat16"."""
        return _VALUE_TYPE_NAMES[self._info["value_type"]]

    @property
    def has_row_permutation(self) -> bool:
        """True if 2CP permuted the output channels."""
        return self._info["has_row_permutation"]

    @property
    def has_column_permutation(self) -> bool:
        """True if 2CP reordered kept columns inside tiles."""
        return self._info["has_column_permutation"]

    @property
    def row_permutation(self) -> np.ndarray:
        """int32 [M]: compressed row p holds original row perm[p]."""
        return self._desc.row_permutation()

    @property
    def column_indices(self) -> np.ndarray:
        """int32 [num_tiles, K_keep]: each tile's kept input columns, in the
        tile's order (its 2:4 groups are 4 consecutive entries); -1 pads."""
        return self._desc.column_indices()

    @property
    def tuned_plans(self) -> List[TunedPlan]:
        """The plans ``matmul(..., search=True)`` stored (or :func:`hinm.load`
        brought), one :class:`TunedPlan` per (GPU model, N, layouts), in
        ascending order of those; ``[]`` until a search. A snapshot: a later
        search adds to the matrix, not to this list."""
        return [TunedPlan(
            device_name=p["device_name"],
            compute_capability=(p["cc_major"], p["cc_minor"]),
            sm_count=p["sm_count"], n=p["n"],
            b_layout=_LAYOUT_NAMES[p["b_order"]], c_layout=_LAYOUT_NAMES[p["c_order"]],
            kernel=_KERNEL_NAMES[p["kernel"]], config=p["config"],
            splits=p["splits"], cluster=p["cluster"]) for p in self._desc.tuned_plans()]

    # ------------------------------------------------------------- methods
    def fold_input_permutation(self, perm: Any) -> "Matrix":
        """The same weights, reading their input in another channel order.

        For chaining layers: when the previous layer ran ``matmul(...,
        rows="permuted")``, row p of its output is channel ``perm[p]`` with
        ``perm = previous.row_permutation``. The returned Matrix multiplies
        that output directly and gives what this one gives on the output in
        original order -- only the column indices change (once, here), so the
        permutation costs nothing at run time. ``self`` is unchanged.

        Args:
          perm: K integers, a permutation of range(K).
        Raises:
          ValueError: perm is not 1-D integers of length K in [0, K), or
            repeats an entry.
        """
        p = np.asarray(perm)
        k = self.shape[1]
        if p.ndim != 1 or not np.issubdtype(p.dtype, np.integer):
            raise ValueError(f"perm must be 1-D integers, got shape {p.shape} "
                             f"of {p.dtype}")
        if p.size != k:
            raise ValueError(f"perm has {p.size} entries, the matrix has K = {k}")
        if p.size and (p.min() < 0 or p.max() >= k):
            raise ValueError(f"perm entries must lie in [0, {k})")
        return Matrix._wrap(_hinm.fold_input_permutation(
            handle(), self._desc, np.ascontiguousarray(p, dtype=np.int32)))

    def to_dense(self, dtype: Any = np.float32) -> np.ndarray:
        """The pruned matrix, M x K, original row order (float32 or float16)."""
        dt = np.dtype(dtype)
        if dt not in HOST_TYPES:
            raise invalid_dtype(f"to_dense: dtype must be float32 or float16, got {dt}")
        return self._desc.decompress(HOST_TYPES[dt])

    def save(self, path: PathLike) -> None:
        """Write the versioned, checksummed hinm file format."""
        self._desc.save(os.fspath(path))

    def to_bytes(self) -> bytes:
        """The file format in memory (see :func:`hinm.from_bytes`)."""
        return self._desc.serialize()

    def __reduce__(self):
        return (from_bytes, (self.to_bytes(),))

    def matmul(self, B: Any, layout: str = "feature", alpha: float = 1.0,
               beta: float = 0.0, out: Any = None, bias: Any = None,
               rows: str = "original", *, search: bool = False) -> Any:
        """C = alpha * W @ B + beta * C (+ bias per output channel).

        Args:
          B: activations. layout="feature": K x N (each feature a row, the
            fast path); layout="token": N x K (tokens x features, what
            frameworks hold), and C is then N x M. A 1-D B of length K is one
            token. numpy float16/float32 run the CPU reference
            (fp32 accumulation); torch/cupy CUDA arrays (float16 / bfloat16,
            the matrix's dtype) run hinm's GPU kernel on the array's current
            stream, asynchronously.
          alpha, beta: scalars; beta != 0 needs `out` (its old contents).
          out: C, written in place and returned; allocated (same framework,
            dtype and device as B) when None.
          bias: M values (B's dtype and device) added to every token.
          rows: "original" (row i of C is output channel i) or "permuted"
            (row p is channel row_permutation[p], to fold into the next layer).
          search: GPU arrays: first time the plans (kernel, tile config, K
            split) the library could use for this problem (hinmSpMMSearch, a
            few ms at decode sizes, synchronous) and keep the fastest in the
            matrix, which later GPU calls with the same N and layout on the
            same GPU model then run, and which save/to_bytes keep; C is what
            it would be without. Do it once per layer shape before a decode loop or a
            CUDA graph capture: it cannot run while the stream is being
            captured (hinm.Error, HINM_STATUS_NOT_SUPPORTED). numpy arrays
            have nothing to tune: accepted and ignored. With
            :func:`hinm.set_autotune` on, a plain GPU call searches by itself
            the first time it meets a problem the matrix holds no plan for.
        """
        order = _choice("layout", layout, _LAYOUTS)
        row_order = _choice("rows", rows, _ROWS)
        if not isinstance(search, (bool, np.bool_)):
            raise invalid_value(f"search must be a bool, got {search!r}")
        if is_device_array(B):
            return _gpu.spmm(self._desc, self._info, B, order, float(alpha),
                             float(beta), out, bias, row_order, bool(search),
                             self._autotuned)
        return self._matmul_host(B, order, float(alpha), float(beta), out, bias,
                                 row_order)

    def __matmul__(self, B: Any) -> Any:
        return self.matmul(B)

    def _matmul_host(self, B: Any, order: int, alpha: float, beta: float,
                     out: Any, bias: Any, row_order: int) -> np.ndarray:
        m, k = self.shape
        feature = order == _hinm.ORDER_FEATURE_MAJOR
        b = host_array("B", B, ndims=(1, 2))
        vector = b.ndim == 1
        if vector:
            b = b.reshape((b.shape[0], 1) if feature else (1, b.shape[0]))
        k_got = b.shape[0] if feature else b.shape[1]
        if k_got != k:
            axis = "rows" if feature else "columns"
            raise invalid_value(
                f"B has {k_got} {axis} but the matrix has K = {k} input channels "
                f"(layout={'feature' if feature else 'token'}: B is "
                f"{'K x N' if feature else 'N x K'})")
        n = b.shape[1] if feature else b.shape[0]
        c_shape = (m, n) if feature else (n, m)
        b, ldb = row_major(b)

        if out is None:
            if beta != 0.0:
                raise invalid_value("beta != 0 needs out= (the C it scales)")
            result = np.zeros((m,) if vector else c_shape, dtype=b.dtype)
        else:
            if not isinstance(out, np.ndarray):
                raise invalid_dtype("out must be a numpy array for numpy B")
            result = out
            if out.dtype != b.dtype:
                raise invalid_dtype(f"out has dtype {out.dtype}, B has {b.dtype}")
            want = (m,) if vector else c_shape
            if out.shape != want:
                raise invalid_value(f"out has shape {out.shape}, expected {want}")
            if not out.flags.writeable:
                raise invalid_value("out is read-only")
        # C as a 2-D view in place; a strided `out` is computed in a copy.
        view = result.reshape(c_shape)  # a view when one exists, else a copy
        ldc = leading_dim(view) if np.may_share_memory(view, result) else None
        if ldc is None:
            work, ldc = np.ascontiguousarray(result.reshape(c_shape)), c_shape[1]
        else:
            work = view

        bias_arr = None
        if bias is not None:
            bias_arr = host_array("bias", bias, ndims=(1,))
            if bias_arr.dtype != b.dtype:
                raise invalid_dtype(f"bias has dtype {bias_arr.dtype}, B has {b.dtype}")
            if bias_arr.shape != (m,):
                raise invalid_value(f"bias has shape {bias_arr.shape}, expected ({m},)")
            bias_arr = np.ascontiguousarray(bias_arr)
        if n == 0:
            return result
        self._desc.spmm_host(handle(), n, alpha, b, order, ldb, beta, work, order,
                             ldc, bias_arr, HOST_TYPES[b.dtype], row_order)
        if work is not view:
            result[...] = work.reshape(result.shape)
        return result

    def __repr__(self) -> str:
        m, k = self.shape
        return (f"hinm.Matrix(shape=({m}, {k}), tile_rows={self.tile_rows}, "
                f"kept_cols={self.kept_cols}, sparsity={self.sparsity:.4f}, "
                f"dtype={self.dtype}, nbytes={self.nbytes})")
