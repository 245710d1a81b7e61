"""Writes the tensor_io test fixtures with NumPy and the safetensors package
(independent writers of both formats). Run from this folder; the outputs are
committed, so tests need neither package. Values: see tensor_io_test.cc."""
import numpy as np
from numpy.lib import format as npf
from safetensors.numpy import save_file

a23 = (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1.0)  # [[-1,-0.5,0],[0.5,1,1.5]]
np.save("f4_2x3.npy", a23)
np.save("f2_4.npy", np.array([1.0, -2.0, 0.5, 65504.0], dtype=np.float16))
np.save("f8_3.npy", np.array([1.0 / 3.0, -1e10, 0.0], dtype=np.float64))
with open("f4_v2.npy", "wb") as f:
    npf.write_array(f, a23, version=(2, 0))
with open("f4_v3.npy", "wb") as f:
    npf.write_array(f, a23, version=(3, 0))
np.save("scalar.npy", np.float32(2.5))
np.save("empty_0x3.npy", np.zeros((0, 3), dtype=np.float32))
np.save("fortran_2x3.npy", np.asfortranarray(a23))
np.save("i4_3.npy", np.array([1, 2, 3], dtype=np.int32))
np.save("be_f4_3.npy", np.array([1, 2, 3], dtype=">f4"))

save_file(
    {
        "layer.weight": a23,
        "layer.half": np.array([1.0, -2.0, 0.5, 65504.0], dtype=np.float16),
        "layer.double": np.array([1.0 / 3.0, -1e10, 0.0], dtype=np.float64),
        "layer.index": np.array([7, 8, 9], dtype=np.int64),
        "empty": np.zeros((0, 4), dtype=np.float32),
    },
    "model.safetensors",
    metadata={"format": "np", "note": "hinm fixture"},
)
