// The `hinm` tool end to end: runs the binary on inputs written here and
// checks its output, exit codes (0 / 1 / 2) and the files it writes (read
// back through the C API, independently of the tool).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "cpp/hinm/serialize.h"
#include "cpp/hinm/tensor_io.h"
#include "hinm/hinm.h"

namespace {

const char* kTool = "cli/hinm";  // runfiles-relative

std::string Tmp(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Result {
  int code = -1;
  std::string out, err;
};

// Runs `hinm <args>` (args are shell words; paths here have no spaces).
Result RunTool(const std::string& args) {
  const std::string out = Tmp("stdout.txt"), err = Tmp("stderr.txt");
  const std::string cmd = std::string(kTool) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

bool Contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

// A random M x K weight as .npy.
std::string WriteWeight(const std::string& name, int64_t rows, int64_t cols, uint32_t seed) {
  hinm::Tensor t;
  t.shape = {rows, cols};
  t.data.resize(static_cast<size_t>(rows * cols));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (float& v : t.data) v = normal(rng);
  const std::string path = Tmp(name);
  hinm::SaveNpy(path, t);
  return path;
}

hinmDescriptorInfo_t InfoOf(const std::string& path) {
  hinmHandle_t h = nullptr;
  hinmDescriptor_t d = nullptr;
  hinmDescriptorInfo_t info;
  std::memset(&info, 0, sizeof(info));
  EXPECT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS);
  EXPECT_EQ(hinmLoadDescriptor(h, &d, path.c_str()), HINM_STATUS_SUCCESS)
      << hinmGetLastErrorMessage();
  if (d != nullptr) {
    EXPECT_EQ(hinmGetDescriptorInfo(d, &info, sizeof(info)), HINM_STATUS_SUCCESS);
    hinmDestroyDescriptor(d);
  }
  hinmDestroy(h);
  return info;
}

// ------------------------------------------------------------- help/version

TEST(Cli, HelpAndVersion) {
  Result r = RunTool("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* cmd : {"prune", "info", "spmm"}) EXPECT_TRUE(Contains(r.out, cmd)) << cmd;
  r = RunTool("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(Contains(r.out, std::to_string(HINM_VERSION_MAJOR) + "." +
                                  std::to_string(HINM_VERSION_MINOR) + "." +
                                  std::to_string(HINM_VERSION_PATCH)))
      << r.out;
  for (const char* cmd : {"prune", "info", "spmm"}) {
    r = RunTool(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_TRUE(Contains(r.out, std::string("Usage: hinm ") + cmd)) << r.out;
  }
  r = RunTool("");
  EXPECT_EQ(r.code, 2);  // no command
}

// ------------------------------------------------------------------- prune

TEST(Cli, PruneNpyDefaultIs75Percent) {
  const std::string in = WriteWeight("w.npy", 64, 128, 1);
  const std::string out = Tmp("w.hinm");
  const Result r = RunTool("prune " + in + " --tile 16 -o " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "shape 64 x 128")) << r.out;
  EXPECT_TRUE(Contains(r.out, "V 16")) << r.out;
  EXPECT_TRUE(Contains(r.out, "K_keep 64")) << r.out;
  EXPECT_TRUE(Contains(r.out, "sparsity 0.7500")) << r.out;
  EXPECT_TRUE(Contains(r.out, "ratio ")) << r.out;
  // The file, read back through the C API.
  const hinmDescriptorInfo_t info = InfoOf(out);
  EXPECT_EQ(info.rows, 64);
  EXPECT_EQ(info.cols, 128);
  EXPECT_EQ(info.tile_rows, 16);
  EXPECT_EQ(info.kept_cols, 64);
  EXPECT_DOUBLE_EQ(info.sparsity, 0.75);
  EXPECT_EQ(info.value_type, HINM_R_16F);
  EXPECT_TRUE(Contains(r.out, "bytes " + std::to_string(info.compressed_bytes))) << r.out;
}

TEST(Cli, PruneSparsityFlagsMapToKeptColumns) {
  const std::string in = WriteWeight("s.npy", 32, 64, 2);
  struct Case {
    std::string flag;
    int64_t kept;
    double sparsity;
  };
  for (const Case& c : {Case{"--sparsity 0.875", 16, 0.875}, Case{"--sparsity 0.5", 64, 0.5},
                        Case{"--vector-sparsity 0.75", 16, 0.875},
                        Case{"--kept-cols 48", 48, 0.625}}) {
    const std::string out = Tmp("s.hinm");
    const Result r = RunTool("prune " + in + " " + c.flag + " --tile 32 --dtype bf16 -o " + out);
    ASSERT_EQ(r.code, 0) << c.flag << ": " << r.err;
    const hinmDescriptorInfo_t info = InfoOf(out);
    EXPECT_EQ(info.kept_cols, c.kept) << c.flag;
    EXPECT_DOUBLE_EQ(info.sparsity, c.sparsity) << c.flag;
    EXPECT_EQ(info.value_type, HINM_R_16BF) << c.flag;
  }
}

TEST(Cli, PrunePermuteShowsProgressAndRecordsPermutation) {
  const std::string in = WriteWeight("p.npy", 64, 64, 3);
  const std::string out = Tmp("p.hinm");
  const Result r = RunTool("prune " + in + " --tile 16 --permute both --seed 3 -o " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "permuting")) << r.err;
  EXPECT_TRUE(Contains(r.err, "100%")) << r.err;
  const hinmDescriptorInfo_t info = InfoOf(out);
  EXPECT_EQ(info.rows, 64);
}

TEST(Cli, PruneWithSaliency) {
  const std::string in = WriteWeight("ws.npy", 32, 32, 4);
  hinm::Tensor s;
  s.shape = {32, 32};
  s.data.assign(32 * 32, 1.0f);
  hinm::SaveNpy(Tmp("sal.npy"), s);
  const Result r =
      RunTool("prune " + in + " --tile 16 --saliency " + Tmp("sal.npy") + " -o " + Tmp("ws.hinm"));
  ASSERT_EQ(r.code, 0) << r.err;
  // All-equal scores: exactly kept / total = 0.25 of the saliency remains.
  EXPECT_NEAR(InfoOf(Tmp("ws.hinm")).retained_saliency, 0.25, 1e-9);
  s.shape = {16, 64};
  hinm::SaveNpy(Tmp("sal_bad.npy"), s);
  const Result bad =
      RunTool("prune " + in + " --saliency " + Tmp("sal_bad.npy") + " -o " + Tmp("x.hinm"));
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Contains(bad.err, "--saliency has shape 16 x 64")) << bad.err;
}

// A safetensors file with two 2-D F32 tensors and a 1-D one.
std::string WriteSafetensors() {
  const std::string header =
      "{\"enc/q.weight\":{\"dtype\":\"F32\",\"shape\":[16,32],\"data_offsets\":[0,2048]},"
      "\"enc/k.weight\":{\"dtype\":\"F32\",\"shape\":[32,16],\"data_offsets\":[2048,4096]},"
      "\"enc/q.bias\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[4096,4160]}}";
  std::vector<float> data(4160 / 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::sin(static_cast<float>(i)) * 3.0f;
  const std::string path = Tmp("model.safetensors");
  std::ofstream f(path, std::ios::binary);
  const uint64_t n = header.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(4160));
  return path;
}

TEST(Cli, PruneSafetensorsOneOrAll) {
  const std::string in = WriteSafetensors();
  // Two candidates: the tool asks which.
  Result r = RunTool("prune " + in + " -o " + Tmp("x.hinm"));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Contains(r.err, "--tensor")) << r.err;
  EXPECT_TRUE(Contains(r.err, "enc/q.weight")) << r.err;

  r = RunTool("prune " + in + " --tensor enc/k.weight --tile 16 -o " + Tmp("k.hinm"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(InfoOf(Tmp("k.hinm")).rows, 32);

  r = RunTool("prune " + in + " --tensor enc/q.bias -o " + Tmp("b.hinm"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "2-D")) << r.err;

  r = RunTool("prune " + in + " --tensor nope -o " + Tmp("b.hinm"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "no tensor named")) << r.err;

  const std::string dir = Tmp("all");
  r = RunTool("prune " + in + " --all-2d --tile 16 -o " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "enc/q.weight")) << r.out;
  EXPECT_TRUE(Contains(r.out, "enc/k.weight")) << r.out;
  EXPECT_EQ(InfoOf(dir + "/enc_q.weight.hinm").cols, 32);
  EXPECT_EQ(InfoOf(dir + "/enc_k.weight.hinm").cols, 16);
}

TEST(Cli, PruneUsageErrorsExitTwo) {
  const std::string in = WriteWeight("u.npy", 32, 32, 5);
  const std::string o = " -o " + Tmp("u.hinm");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"prune " + in + o + " --bogus", "unknown option '--bogus'"},
      {"prune " + in + o + " --tile", "needs a value"},
      {"prune " + in + o + " --tile abc", "expects an integer, got 'abc'"},
      {"prune " + in + o + " --tile 12x", "expects an integer"},
      {"prune " + in + o + " --sparsity 0.3", "[0.5, 1)"},
      {"prune " + in + o + " --sparsity 1", "[0.5, 1)"},
      {"prune " + in + o + " --sparsity nan", "expects a number"},
      {"prune " + in + o + " --vector-sparsity 1.5", "[0, 1)"},
      {"prune " + in + o + " --sparsity 0.75 --kept-cols 8", "at most one"},
      {"prune " + in + o + " --dtype fp8", "fp16 or bf16"},
      {"prune " + in + o + " --permute sideways", "none, output, input or both"},
      {"prune " + in + o + " --seed -1", "non-negative"},
      {"prune " + in + o + " --tile 16 --tile 32", "given twice"},
      {"prune " + in, "missing -o"},
      {"prune" + o, "missing INPUT"},
      {"prune " + in + " " + in + o, "one INPUT"},
      {"prune " + in + o + " --tensor w", ".safetensors"},
      {"prune " + in + o + " --all-2d=yes", "takes no value"},
      {"frobnicate", "unknown command"},
      {"info", "FILE.hinm"},
      {"spmm " + Tmp("u.hinm") + " --order diagonal", "feature or token"},
      {"spmm " + Tmp("u.hinm") + " --n 0", "--n"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = RunTool(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_TRUE(Contains(r.err, needle)) << args << "\n" << r.err;
    EXPECT_TRUE(Contains(r.err, "--help")) << args << "\n" << r.err;
  }
}

TEST(Cli, RuntimeErrorsExitOne) {
  const std::string in = WriteWeight("e.npy", 32, 32, 6);
  // Tile 24 parses but the library rejects it, naming the field.
  Result r = RunTool("prune " + in + " --tile 24 -o " + Tmp("e.hinm"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "tile_rows = 24")) << r.err;
  EXPECT_TRUE(Contains(r.err, "HINM_STATUS_INVALID_VALUE")) << r.err;
  r = RunTool("prune " + Tmp("missing.npy") + " -o " + Tmp("e.hinm"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "does not exist")) << r.err;
  r = RunTool("info " + Tmp("missing.hinm"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "HINM_STATUS_IO_ERROR")) << r.err;
  std::ofstream(Tmp("junk.hinm")) << "definitely not a hinm file";
  r = RunTool("info " + Tmp("junk.hinm"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "HINM_STATUS_CORRUPT_FILE")) << r.err;
  r = RunTool("spmm " + Tmp("junk.hinm"));
  EXPECT_EQ(r.code, 1);
}

// ------------------------------------------------------------- info, spmm

TEST(Cli, InfoPrintsTheFile) {
  const std::string in = WriteWeight("i.npy", 48, 40, 7);
  ASSERT_EQ(RunTool("prune " + in + " --tile 16 --permute output -o " + Tmp("i.hinm")).code, 0);
  const Result r = RunTool("info " + Tmp("i.hinm"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "48 x 40")) << r.out;
  EXPECT_TRUE(Contains(r.out, "tile rows (V):      16")) << r.out;
  EXPECT_TRUE(Contains(r.out, "tiles:              3")) << r.out;
  EXPECT_TRUE(Contains(r.out, "kept cols (K_keep): 20")) << r.out;
  EXPECT_TRUE(Contains(r.out, "sparsity:           0.7500")) << r.out;
  const hinmDescriptorInfo_t info = InfoOf(Tmp("i.hinm"));
  EXPECT_TRUE(Contains(r.out, std::string("row permutation:    ") +
                                  (info.has_row_permutation ? "yes" : "no")))
      << r.out;
}

TEST(Cli, SpmmChecksBothOrders) {
  const std::string in = WriteWeight("m.npy", 64, 96, 8);
  ASSERT_EQ(RunTool("prune " + in + " --tile 32 --permute both -o " + Tmp("m.hinm")).code, 0);
  hinmHandle_t h = nullptr;
  int32_t has_device = 0;
  ASSERT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS);
  ASSERT_EQ(hinmHasDevice(h, &has_device), HINM_STATUS_SUCCESS);
  hinmDestroy(h);
  for (const char* order : {"feature", "token"}) {
    const Result r = RunTool("spmm " + Tmp("m.hinm") + " --n 24 --seed 9 --order " + order);
    EXPECT_EQ(r.code, 0) << order << "\n" << r.out << r.err;
    // --search: hinmSpMMSearch first on a GPU (said so), nothing to tune without.
    const Result rs =
        RunTool("spmm " + Tmp("m.hinm") + " --n 24 --seed 9 --search --order " + order);
    EXPECT_EQ(rs.code, 0) << order << "\n" << rs.out << rs.err;
    EXPECT_TRUE(Contains(rs.out, "PASS")) << rs.out;
    EXPECT_EQ(Contains(rs.out, "hinmSpMMSearch: done"), has_device != 0) << rs.out;
    EXPECT_TRUE(Contains(r.out, "PASS")) << r.out;
    EXPECT_TRUE(Contains(r.out, "relative error")) << r.out;
    EXPECT_TRUE(Contains(r.out, std::string(order) + "-major")) << r.out;
    if (!has_device) {
      EXPECT_TRUE(Contains(r.out, "no CUDA device")) << r.out;
    }
  }
}


// ------------------------------------------------------------------- tune

bool HasDevice() {
  hinmHandle_t h = nullptr;
  int32_t has_device = 0;
  EXPECT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS);
  EXPECT_EQ(hinmHasDevice(h, &has_device), HINM_STATUS_SUCCESS);
  hinmDestroy(h);
  return has_device != 0;
}

// The plans a .hinm file holds, read back through the C API.
std::vector<hinmTunedPlan_t> PlansOf(const std::string& path) {
  hinmHandle_t h = nullptr;
  hinmDescriptor_t d = nullptr;
  std::vector<hinmTunedPlan_t> plans(8);
  int64_t count = 0;
  EXPECT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS);
  EXPECT_EQ(hinmLoadDescriptor(h, &d, path.c_str()), HINM_STATUS_SUCCESS)
      << hinmGetLastErrorMessage();
  if (d != nullptr) {
    EXPECT_EQ(hinmGetTunedPlans(d, plans.data(), 8, sizeof(hinmTunedPlan_t), &count),
              HINM_STATUS_SUCCESS);
    hinmDestroyDescriptor(d);
  }
  hinmDestroy(h);
  plans.resize(static_cast<size_t>(std::min<int64_t>(count, 8)));
  return plans;
}

// `hinm info` lists the plans a file holds, one line each. No search runs
// here, so the file with plans is written by the core's Serialize.
TEST(Cli, InfoListsTunedPlans) {
  const std::string in = WriteWeight("t.npy", 64, 64, 10);
  ASSERT_EQ(RunTool("prune " + in + " -o " + Tmp("t.hinm")).code, 0);
  Result r = RunTool("info " + Tmp("t.hinm"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "tuned plans:        none")) << r.out;
  const std::string bytes = Slurp(Tmp("t.hinm"));
  const hinm::CompressedMatrix m =
      hinm::Deserialize(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  const hinm::Order F = hinm::Order::kFeatureMajor, T = hinm::Order::kTokenMajor;
  const hinm::DeviceIdentity h100{"NVIDIA H100 80GB HBM3", 9, 0, 132};
  hinm::SaveToFile(m, Tmp("t_tuned.hinm"),
                   {{{h100, 16, F, T}, {hinm::GpuKernel::kMmaSp, "mid_128x64", 2, true}},
                    {{h100, 256, F, F}, {hinm::GpuKernel::kWgmmaSp, "", 0, false}},
                    {{h100, 1, F, F}, {hinm::GpuKernel::kMmaSp, "narrow_128x16", 8, false}}});
  r = RunTool("info " + Tmp("t_tuned.hinm"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "tuned plans:        3\n")) << r.out;
  const std::string gpu = "  NVIDIA H100 80GB HBM3 (sm_90, 132 SMs), ";
  EXPECT_TRUE(Contains(r.out, gpu + "N = 1, B feature, C feature: mma.sp narrow_128x16, 8 K "
                                    "splits summed through partials\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, gpu + "N = 16, B feature, C token: mma.sp mid_128x64, 2 K splits "
                                    "summed in a cluster\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, gpu + "N = 256, B feature, C feature: wgmma.sp\n")) << r.out;
  // In problem order (N = 1, 16, 256).
  EXPECT_LT(r.out.find("N = 1,"), r.out.find("N = 16,")) << r.out;
  EXPECT_LT(r.out.find("N = 16,"), r.out.find("N = 256,")) << r.out;
}

// `hinm tune`: with a GPU it searches each N and saves the plans with the
// matrix (the output loads, with one plan per N for this GPU, and keeps the
// plans the input already had); without one it says so and writes nothing.
TEST(Cli, TuneSavesThePlansOrNeedsAGpu) {
  const std::string in = WriteWeight("u.npy", 256, 512, 11);
  ASSERT_EQ(RunTool("prune " + in + " -o " + Tmp("u.hinm")).code, 0);
  std::remove(Tmp("u_tuned.hinm").c_str());
  const Result r = RunTool("tune " + Tmp("u.hinm") + " --n 1,16,128 -o " + Tmp("u_tuned.hinm"));
  if (!HasDevice()) {
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_TRUE(Contains(r.err, "no CUDA device")) << r.err;
    EXPECT_FALSE(std::ifstream(Tmp("u_tuned.hinm")).good()) << "wrote a file without tuning";
    return;
  }
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::vector<hinmTunedPlan_t> plans = PlansOf(Tmp("u_tuned.hinm"));
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_EQ(plans[0].n, 1);
  EXPECT_EQ(plans[1].n, 16);
  EXPECT_EQ(plans[2].n, 128);
  EXPECT_TRUE(Contains(r.out, "tuned plans:        3")) << r.out;
  EXPECT_TRUE(Contains(r.out, std::string(plans[0].device_name))) << r.out;
  // Tuning the tuned file for another N adds to what it holds.
  const Result again =
      RunTool("tune " + Tmp("u_tuned.hinm") + " --n 64 --order token -o " + Tmp("u_tuned.hinm"));
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_EQ(PlansOf(Tmp("u_tuned.hinm")).size(), 4u);
  EXPECT_EQ(RunTool("spmm " + Tmp("u_tuned.hinm") + " --n 16").code, 0);
}

TEST(Cli, TuneUsageErrorsExitTwo) {
  const std::string in = WriteWeight("v.npy", 32, 32, 12);
  ASSERT_EQ(RunTool("prune " + in + " -o " + Tmp("v.hinm")).code, 0);
  const std::string f = Tmp("v.hinm");
  for (const std::string& args :
       {"tune " + f, "tune " + f + " --n 0 -o x.hinm", "tune " + f + " --n 1,x -o x.hinm",
        "tune " + f + " --n 4,4 -o x.hinm", "tune " + f + " --n 1, -o x.hinm",
        "tune " + f + " --order diagonal -o x.hinm", std::string("tune -o x.hinm")}) {
    const Result r = RunTool(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out << r.err;
    EXPECT_TRUE(Contains(r.err, "--help")) << args << "\n" << r.err;
  }
  EXPECT_EQ(RunTool("tune --help").code, 0);
}

}  // namespace
