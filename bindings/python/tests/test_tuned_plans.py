"""Matrix.tuned_plans (hinmGetTunedPlans) on the CPU: no GPU can search here,
so the plans come from bytes built by `with_tuned_plans`, which appends a
tuned plans section to Matrix.to_bytes() exactly as docs/format.md (section 5
and 5.1, format version 2) describes it. The GPU case (a real search) is in
test_gpu.py."""

from __future__ import annotations

import pickle
import struct

import pytest

import hinm
from conftest import fp16_exact

HEADER_SIZE = 144
FLAGS_AT = 20
HEADER_CHECKSUM_AT = 136
FLAG_TUNED_PLANS = 1 << 2
CONFIG_FIELD = 32
LAYOUT_CODE = {"feature": 0, "token": 1}
KERNEL_CODE = {"auto": 0, "mma.sp": 1, "wgmma.sp": 2}


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def encode_plan(p: hinm.TunedPlan) -> bytes:
    """One entry of section 5.1: 76 bytes plus the device name."""
    name = p.device_name.encode()
    config = p.config.encode()
    assert len(config) < CONFIG_FIELD
    entry = (struct.pack("<I", len(name)) + name
             + struct.pack("<iiiqiiI", p.compute_capability[0], p.compute_capability[1],
                           p.sm_count, p.n, LAYOUT_CODE[p.b_layout],
                           LAYOUT_CODE[p.c_layout], KERNEL_CODE[p.kernel])
             + config.ljust(CONFIG_FIELD, b"\0")
             + struct.pack("<iI", p.splits, int(p.cluster)))
    assert len(entry) == 76 + len(name)
    return entry


def with_tuned_plans(data: bytes, plans) -> bytes:
    """`data` (a version 2 file without plans) with `plans` (in ascending
    problem order) appended: flag bit 2 set, header checksum resealed."""
    assert data[:8] == b"HINMFMT\0"
    version, marker, header_size, flags = struct.unpack_from("<IIII", data, 8)
    assert (version, marker, header_size) == (2, 0x01020304, HEADER_SIZE)
    assert flags & FLAG_TUNED_PLANS == 0, "already has a tuned plans section"
    header = bytearray(data[:HEADER_CHECKSUM_AT])
    struct.pack_into("<I", header, FLAGS_AT, flags | FLAG_TUNED_PLANS)
    header += struct.pack("<Q", fnv1a64(header))
    section = struct.pack("<I", len(plans)) + b"".join(encode_plan(p) for p in plans)
    section += struct.pack("<Q", fnv1a64(section))
    return bytes(header) + data[HEADER_SIZE:] + section


H100 = dict(device_name="NVIDIA H100 80GB HBM3", compute_capability=(9, 0), sm_count=132)
# Ascending problem order (name bytes, cc, SM count, N, b_order, c_order), and
# every pair of fields that could be swapped holds different values.
PLANS = [
    hinm.TunedPlan(device_name="NVIDIA A100-SXM4-80GB", compute_capability=(8, 0),
                   sm_count=108, n=64, b_layout="token", c_layout="feature",
                   kernel="mma.sp", config="mid_128x64", splits=4, cluster=False),
    hinm.TunedPlan(**H100, n=1, b_layout="feature", c_layout="feature",
                   kernel="wgmma.sp", config="", splits=0, cluster=False),
    hinm.TunedPlan(**H100, n=16, b_layout="feature", c_layout="token",
                   kernel="auto", config="", splits=8, cluster=True),
]


@pytest.fixture
def mat(rng):
    return hinm.prune(fp16_exact(rng, (80, 96)), sparsity=0.75, vector=32, permute=True,
                      seed=3)


def test_a_fresh_matrix_has_none(mat):
    assert mat.tuned_plans == []
    assert hinm.from_bytes(mat.to_bytes()).tuned_plans == []


def test_plans_from_bytes(mat):
    data = with_tuned_plans(mat.to_bytes(), PLANS)
    loaded = hinm.from_bytes(data)
    got = loaded.tuned_plans
    assert got == PLANS
    for plan in got:
        assert type(plan) is hinm.TunedPlan
        assert [type(v) for v in plan] == [str, tuple, int, int, str, str, str, str, int, bool]
        assert all(type(v) is int for v in plan.compute_capability)
    # One encoding per set of plans: the library writes back exactly these bytes.
    assert loaded.to_bytes() == data
    # The matrix itself is the one that was saved.
    assert loaded.shape == mat.shape
    assert (loaded.to_dense() == mat.to_dense()).all()


def test_plans_survive_save_load_and_pickle(tmp_path, mat):
    loaded = hinm.from_bytes(with_tuned_plans(mat.to_bytes(), PLANS))
    path = tmp_path / "tuned.hinm"
    loaded.save(path)
    assert hinm.load(path).tuned_plans == PLANS
    assert pickle.loads(pickle.dumps(loaded)).tuned_plans == PLANS


def test_one_plan_and_folding_drops_plans(mat):
    loaded = hinm.from_bytes(with_tuned_plans(mat.to_bytes(), PLANS[1:2]))
    assert loaded.tuned_plans == PLANS[1:2]
    # hinmFoldInputPermutation does not carry plans over (docs/c_api.md).
    folded = loaded.fold_input_permutation(list(range(mat.shape[1]))[::-1])
    assert folded.tuned_plans == []


def test_tuned_plan_is_an_immutable_record():
    plan = PLANS[0]
    with pytest.raises(AttributeError):
        plan.n = 2  # type: ignore[misc]
    assert plan._fields == ("device_name", "compute_capability", "sm_count", "n",
                            "b_layout", "c_layout", "kernel", "config", "splits", "cluster")
    assert "TunedPlan" in hinm.__all__
    assert hash(plan) == hash(hinm.TunedPlan(*plan))


def test_the_helper_writes_what_the_library_checks(mat):
    """The section's checksum and the header's are both checked: bytes the
    helper got wrong would not load (so test_plans_from_bytes tests the
    binding, not a lenient reader)."""
    data = bytearray(with_tuned_plans(mat.to_bytes(), PLANS))
    for pos in (FLAGS_AT, len(data) - 9, len(data) - 1):
        bad = bytearray(data)
        bad[pos] ^= 0x01
        with pytest.raises(hinm.Error) as e:
            hinm.from_bytes(bytes(bad))
        assert e.value.status == "HINM_STATUS_CORRUPT_FILE", (pos, e.value)
