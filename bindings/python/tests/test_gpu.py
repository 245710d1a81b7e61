"""GPU arrays: torch and cupy tensors (skipped without a GPU), and the GPU
argument plumbing (CUDA array interface, DLPack) checked on machines without
one, where the C API must answer HINM_STATUS_NO_DEVICE."""

from __future__ import annotations

import numpy as np
import pytest

import hinm
from conftest import FakeCudaArray, fp16_exact, import_optional

GPU = hinm.has_gpu()
needs_gpu = pytest.mark.skipif(not GPU, reason="no CUDA device")
needs_no_gpu = pytest.mark.skipif(GPU, reason="fake device pointers: only without a GPU")

M, K, N = 256, 512, 64


# ------------------------------------------------------- plumbing (no GPU)

def test_dlpack_capsule_is_read_and_consumed():
    from hinm import _hinm
    a = np.arange(12, dtype=np.float16).reshape(3, 4)[:, 1:]
    cap = a.__dlpack__()
    t = _hinm.DLPackTensor(cap)
    assert t.data_ptr == a.ctypes.data
    assert t.shape == (3, 3)
    assert t.strides in ((4, 1),)
    assert t.dtype == "float16"
    assert t.device_type == 1  # kDLCPU
    with pytest.raises(ValueError):  # a consumed capsule cannot be used twice
        _hinm.DLPackTensor(cap)
    del t  # runs numpy's deleter; must not crash


def test_host_dlpack_is_not_a_gpu_array():
    from hinm import _gpu
    with pytest.raises(TypeError, match="not CUDA"):
        _gpu.as_device_array("B", np.zeros((2, 2), np.float16))


def test_cuda_array_interface_is_read():
    from hinm import _gpu
    d = _gpu.as_device_array("B", FakeCudaArray((8, 16), strides=(64, 2), stream=7))
    assert (d.ptr, d.shape, d.strides, d.dtype, d.stream) == (
        0x7F0000000000, (8, 16), (32, 1), "float16", 7)
    d = _gpu.as_device_array("B", FakeCudaArray((8, 16), typestr="<f4"))
    assert d.strides is None and d.dtype == "float32" and d.stream == 1  # legacy default


@needs_no_gpu
def test_matmul_on_gpu_arrays_without_gpu_reports_no_device(rng):
    A = hinm.prune(fp16_exact(rng, (64, 64)), vector=32, permute=False)
    B = FakeCudaArray((64, 8))
    out = FakeCudaArray((64, 8), ptr=0x7F0000100000)
    with pytest.raises(hinm.Error) as e:
        A.matmul(B, out=out)
    assert e.value.status == "HINM_STATUS_NO_DEVICE"
    assert e.value.message.startswith("hinmSpMM:"), e.value.message
    with pytest.raises(hinm.Error) as e:  # search=True reaches hinmSpMMSearch
        A.matmul(B, out=out, search=True)
    assert e.value.status == "HINM_STATUS_NO_DEVICE"
    assert e.value.message.startswith("hinmSpMMSearch:"), e.value.message
    with pytest.raises(hinm.Error) as e:
        hinm.dense_gemm(FakeCudaArray((64, 64), ptr=0x7F0000200000), B, out=out)
    assert e.value.status == "HINM_STATUS_NO_DEVICE"


def test_gpu_argument_errors_before_any_device_call(rng):
    A = hinm.prune(fp16_exact(rng, (64, 64)), vector=32, permute=False)
    with pytest.raises(ValueError, match="out="):  # no framework to allocate C
        A.matmul(FakeCudaArray((64, 8)))
    with pytest.raises(ValueError, match="K = 64"):
        A.matmul(FakeCudaArray((32, 8)), out=FakeCudaArray((64, 8)))
    with pytest.raises(ValueError, match="shape"):
        A.matmul(FakeCudaArray((64, 8)), out=FakeCudaArray((64, 9)))
    with pytest.raises(TypeError, match="dtype"):
        A.matmul(FakeCudaArray((64, 8), typestr="<i4"), out=FakeCudaArray((64, 8)))
    with pytest.raises(TypeError, match="dtype"):
        A.matmul(FakeCudaArray((64, 8)), out=FakeCudaArray((64, 8), typestr="<f4"))
    with pytest.raises(ValueError, match="unit stride"):
        A.matmul(FakeCudaArray((64, 8), strides=(2, 128)), out=FakeCudaArray((64, 8)))
    with pytest.raises(ValueError, match="bias"):
        A.matmul(FakeCudaArray((64, 8)), out=FakeCudaArray((64, 8)),
                 bias=FakeCudaArray((63,)))
    with pytest.raises(ValueError, match="search must be a bool"):
        A.matmul(FakeCudaArray((64, 8)), out=FakeCudaArray((64, 8)), search="yes")
    with pytest.raises(TypeError):  # numpy weights only
        hinm.prune(FakeCudaArray((64, 64)))
    with pytest.raises(TypeError):  # dense_gemm is GPU only
        hinm.dense_gemm(np.zeros((4, 4), np.float16), np.zeros((4, 4), np.float16))


# ------------------------------------------------------------ torch (GPU)

def _torch():
    torch = import_optional("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    return torch


def _check(got, D, Bref, rel=2e-3):
    """got (a GPU array) vs the float64 product of the pruned matrix."""
    ref = D @ Bref
    bound = np.abs(D) @ np.abs(Bref)
    err = np.abs(np.asarray(got, dtype=np.float64) - ref)
    assert np.all(err <= rel * np.abs(ref) + 1e-3 * bound + 1e-3), err.max()


@needs_gpu
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_torch_feature_and_token(rng, dtype):
    torch = _torch()
    tdt = getattr(torch, dtype)
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=128, permute=True, dtype=dtype)
    D = A.to_dense().astype(np.float64)
    rel = 2e-3 if dtype == "float16" else 8e-3  # output rounding: 2^-11 / 2^-8
    B = torch.randn(K, N, device="cuda").to(tdt)
    C = A @ B
    assert isinstance(C, torch.Tensor) and C.is_cuda and C.dtype == tdt and C.shape == (M, N)
    _check(C.float().cpu().numpy(), D, B.float().cpu().numpy().astype(np.float64), rel)
    X = torch.randn(N, K, device="cuda").to(tdt)
    Y = A.matmul(X, layout="token")
    assert Y.shape == (N, M)
    _check(Y.float().cpu().numpy().T, D, X.float().cpu().numpy().T.astype(np.float64), rel)
    # The CPU reference agrees with the GPU kernel.
    if dtype == "float16":
        host = A.matmul(X.cpu().numpy(), layout="token")
        np.testing.assert_allclose(Y.cpu().numpy().astype(np.float32),
                                   host.astype(np.float32), rtol=2e-3, atol=2e-2)


@needs_gpu
def test_torch_alpha_beta_bias_rows_and_stream(rng):
    torch = _torch()
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=64, permute=True, seed=1)
    D = A.to_dense().astype(np.float64)
    B = torch.randn(K, N, device="cuda", dtype=torch.float16)
    C0 = torch.randn(M, N, device="cuda", dtype=torch.float16)
    bias = torch.randn(M, device="cuda", dtype=torch.float16)
    s = torch.cuda.Stream()
    out = C0.clone()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        got = A.matmul(B, alpha=0.5, beta=2.0, out=out, bias=bias)
    s.synchronize()
    assert got is out
    Bn = B.float().cpu().numpy().astype(np.float64)
    ref = 0.5 * (D @ Bn) + 2.0 * C0.float().cpu().numpy() + bias.float().cpu().numpy()[:, None]
    err = np.abs(out.float().cpu().numpy() - ref)
    assert np.all(err <= 2e-3 * np.abs(ref) + 1e-3 * (np.abs(D) @ np.abs(Bn)) + 1e-2)
    C = A @ B
    Cp = A.matmul(B, rows="permuted")
    perm = torch.as_tensor(A.row_permutation, device="cuda").long()
    torch.testing.assert_close(Cp, C[perm], rtol=2e-3, atol=1e-2)
    x = torch.randn(K, device="cuda", dtype=torch.float16)
    y = A @ x
    assert y.shape == (M,)
    _check(y.float().cpu().numpy()[:, None], D, x.float().cpu().numpy()[:, None].astype(np.float64))


@needs_gpu
@pytest.mark.parametrize("layout", ["feature", "token"])
def test_torch_search(rng, layout):
    """search=True (hinmSpMMSearch) computes what matmul computes, and plain
    calls afterwards, which run the split it stored, still do."""
    torch = _torch()
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=64, permute=True, seed=2)
    D = A.to_dense().astype(np.float64)
    n = 16  # decode-sized: several K splits to time
    feature = layout == "feature"
    B = torch.randn((K, n) if feature else (n, K), device="cuda", dtype=torch.float16)
    C0 = torch.randn((M, n) if feature else (n, M), device="cuda", dtype=torch.float16)
    bias = torch.randn(M, device="cuda", dtype=torch.float16)
    Bn = B.float().cpu().numpy().astype(np.float64)
    Bn = Bn if feature else Bn.T
    C0n = C0.float().cpu().numpy()
    C0n = C0n if feature else C0n.T
    ref = 0.5 * (D @ Bn) + 2.0 * C0n + bias.float().cpu().numpy()[:, None]
    bound = 0.5 * (np.abs(D) @ np.abs(Bn)) + 2.0 * np.abs(C0n) + 1e-2

    def check(got):
        g = got.float().cpu().numpy()
        err = np.abs((g if feature else g.T) - ref)
        assert np.all(err <= 2e-3 * np.abs(ref) + 1e-3 * bound), err.max()

    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        out = C0.clone()
        got = A.matmul(B, layout=layout, alpha=0.5, beta=2.0, out=out, bias=bias,
                       search=True)
        assert got is out
        check(out)  # .cpu() orders the copy after the product on s
        out = C0.clone()
        A.matmul(B, layout=layout, alpha=0.5, beta=2.0, out=out, bias=bias)
        check(out)
        # The plain product agrees with the searched one's result (beta = 0).
        torch.testing.assert_close(A.matmul(B, layout=layout),
                                   A.matmul(B, layout=layout, search=True),
                                   rtol=2e-3, atol=1e-2)
    s.synchronize()


@needs_gpu
@pytest.mark.parametrize("layout", ["feature", "token"])
def test_torch_search_stores_a_tuned_plan(rng, layout):
    """After a search the matrix lists the plan it stored: this GPU's model,
    N and the layout; a second search of the same problem replaces it."""
    torch = _torch()
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=64, permute=True, seed=4)
    assert A.tuned_plans == []
    n = 16
    B = torch.randn((K, n) if layout == "feature" else (n, K), device="cuda",
                    dtype=torch.float16)
    A.matmul(B, layout=layout, search=True)
    plans = A.tuned_plans
    assert len(plans) == 1, plans
    (plan,) = plans
    device = torch.cuda.current_device()
    props = torch.cuda.get_device_properties(device)
    assert plan.device_name == torch.cuda.get_device_name(device)
    assert plan.compute_capability == torch.cuda.get_device_capability(device)
    assert plan.sm_count == props.multi_processor_count
    assert (plan.n, plan.b_layout, plan.c_layout) == (n, layout, layout)
    assert plan.kernel in ("mma.sp", "wgmma.sp")  # the search stores explicit plans
    assert plan.splits >= 0 and isinstance(plan.cluster, bool)
    A.matmul(B, layout=layout, search=True)
    assert len(A.tuned_plans) == 1
    assert hinm.from_bytes(A.to_bytes()).tuned_plans == A.tuned_plans


@needs_gpu
def test_to_bytes_while_another_thread_searches(rng):
    """Searches on another thread store plans while this one serializes: the
    file grows between hinmSerializedSize and hinmSerialize, which then
    refuses the copy; to_bytes measures again and retries, so every call
    gives a loadable file, and the last one holds every plan."""
    import threading
    torch = _torch()
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=64, permute=True, seed=5)
    ns = list(range(1, 17))  # 16 problems: 16 plans stored one by one
    done = threading.Event()
    errors = []

    def search():
        try:
            for n in ns:
                A.matmul(torch.randn(K, n, device="cuda", dtype=torch.float16), search=True)
        except Exception as e:  # reported below, on the test's thread
            errors.append(e)
        finally:
            done.set()

    t = threading.Thread(target=search)
    t.start()
    calls = 0
    while not done.is_set():
        loaded = hinm.from_bytes(A.to_bytes())
        assert loaded.shape == A.shape
        calls += 1
    t.join()
    assert not errors, errors
    assert calls > 0
    assert len(A.tuned_plans) == len(ns)
    assert hinm.from_bytes(A.to_bytes()).tuned_plans == A.tuned_plans


@needs_gpu
# The refused capture records nothing, and torch warns that its graph is empty.
@pytest.mark.filterwarnings("ignore:The CUDA Graph is empty")
def test_torch_search_then_graph_capture(rng):
    """The search cannot run inside a CUDA graph capture (NOT_SUPPORTED);
    searched first, the plain call captures and replays correctly."""
    torch = _torch()
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=128, permute=False)
    D = A.to_dense().astype(np.float64)
    B = torch.randn(K, 4, device="cuda", dtype=torch.float16)
    out = torch.empty(M, 4, device="cuda", dtype=torch.float16)
    A.matmul(B, out=out)  # uploads the weights: no first-use copy inside a capture
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with pytest.raises(hinm.Error) as e:
        with torch.cuda.graph(graph):
            A.matmul(B, out=out, search=True)
    assert e.value.status == "HINM_STATUS_NOT_SUPPORTED", e.value
    A.matmul(B, out=out, search=True)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        A.matmul(B, out=out)
    B.copy_(torch.randn(K, 4, device="cuda", dtype=torch.float16))
    out.zero_()
    graph.replay()
    torch.cuda.synchronize()
    _check(out.float().cpu().numpy(), D, B.float().cpu().numpy().astype(np.float64))


@needs_gpu
def test_torch_autotune_searches_each_problem_once_outside_captures(rng, autotune_on):
    """The first A @ x of a problem stores one plan (this GPU, its N, the
    layout); a second call stores none; a call captured into a CUDA graph for
    a new N stores none and replays right; outside the capture that N is then
    searched."""
    torch = _torch()
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=64, permute=True, seed=6)
    D = A.to_dense().astype(np.float64)
    assert A.tuned_plans == []
    n = 16
    x = torch.randn(K, n, device="cuda", dtype=torch.float16)
    xn = x.float().cpu().numpy().astype(np.float64)
    y = A @ x
    plans = A.tuned_plans
    assert [(p.n, p.b_layout, p.c_layout) for p in plans] == [(n, "feature", "feature")]
    device = torch.cuda.current_device()
    assert plans[0].device_name == torch.cuda.get_device_name(device)
    assert plans[0].kernel in ("mma.sp", "wgmma.sp")  # a search stores explicit plans
    _check(y.float().cpu().numpy(), D, xn)
    y = A @ x  # tuned: runs the stored plan, searches no more
    assert A.tuned_plans == plans
    _check(y.float().cpu().numpy(), D, xn)

    n2 = 4
    b = torch.randn(K, n2, device="cuda", dtype=torch.float16)
    out = torch.empty(M, n2, device="cuda", dtype=torch.float16)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        A.matmul(b, out=out)  # untuned, captured: the planner's plan, no search
    assert A.tuned_plans == plans
    b.copy_(torch.randn(K, n2, device="cuda", dtype=torch.float16))
    out.zero_()
    graph.replay()
    torch.cuda.synchronize()
    _check(out.float().cpu().numpy(), D, b.float().cpu().numpy().astype(np.float64))
    A.matmul(b, out=out)  # outside the capture: searched now
    assert sorted(p.n for p in A.tuned_plans) == [n2, n]
    _check(out.float().cpu().numpy(), D, b.float().cpu().numpy().astype(np.float64))


@needs_gpu
def test_torch_dense_gemm_and_errors(rng):
    torch = _torch()
    Wd = torch.randn(M, K, device="cuda", dtype=torch.float16)
    B = torch.randn(K, N, device="cuda", dtype=torch.float16)
    C = hinm.dense_gemm(Wd, B)
    torch.testing.assert_close(C.float(), (Wd.float() @ B.float()), rtol=2e-3, atol=5e-2)
    X = torch.randn(N, K, device="cuda", dtype=torch.float16)
    Y = hinm.dense_gemm(Wd, X, layout="token")
    torch.testing.assert_close(Y.float(), (X.float() @ Wd.float().T), rtol=2e-3, atol=5e-2)
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=128, permute=False)
    with pytest.raises(TypeError):  # the matrix is float16; fp32 tensors are refused
        A @ torch.randn(K, N, device="cuda")
    with pytest.raises(ValueError):
        A @ torch.randn(K + 8, N, device="cuda", dtype=torch.float16)
    with pytest.raises(ValueError, match="unit stride"):
        A @ torch.randn(N, K, device="cuda", dtype=torch.float16).T
    # A CPU tensor takes the CPU path (numpy result).
    host = A @ torch.randn(K, 4, dtype=torch.float16)
    assert isinstance(host, np.ndarray)


@needs_gpu
def test_cuda_array_interface_and_dlpack_wrappers(rng):
    torch = _torch()
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=128, permute=False)
    B = torch.randn(K, N, device="cuda", dtype=torch.float16)
    ref = A @ B
    torch.cuda.synchronize()

    class OnlyCAI:
        def __init__(self, t):
            self.t = t
            self.__cuda_array_interface__ = t.__cuda_array_interface__

    class OnlyDLPack:
        def __init__(self, t):
            self.t = t

        def __dlpack__(self, stream=None):
            return self.t.__dlpack__(stream=stream)

        def __dlpack_device__(self):
            return self.t.__dlpack_device__()

    for wrap in (OnlyCAI, OnlyDLPack):
        out = torch.empty(M, N, device="cuda", dtype=torch.float16)
        got = A.matmul(wrap(B), out=wrap(out))
        torch.cuda.synchronize()
        assert isinstance(got, wrap)
        torch.testing.assert_close(out, ref)


@needs_gpu
def test_cupy(rng):
    cupy = import_optional("cupy")
    A = hinm.prune(fp16_exact(rng, (M, K)), vector=128, permute=True)
    D = A.to_dense().astype(np.float64)
    B = cupy.random.standard_normal((K, N)).astype(cupy.float16)
    s = cupy.cuda.Stream(non_blocking=True)
    with s:
        C = A @ B
        Y = A.matmul(cupy.ascontiguousarray(B.T), layout="token")
    s.synchronize()
    assert isinstance(C, cupy.ndarray) and C.dtype == cupy.float16 and C.shape == (M, N)
    Bn = cupy.asnumpy(B).astype(np.float64)
    _check(cupy.asnumpy(C), D, Bn)
    _check(cupy.asnumpy(Y).T, D, Bn)
    Cd = hinm.dense_gemm(cupy.asarray(A.to_dense(np.float16)), B)
    cupy.cuda.get_current_stream().synchronize()
    _check(cupy.asnumpy(Cd), D, Bn)
