// libhinm.so, as the Python and Rust bindings see it: loadable on its own,
// every hinm.h function exported, and nothing else (the core's C++ symbols
// stay private, so the library can live next to any other C++ code).
#include <dlfcn.h>
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "hinm/hinm.h"

namespace {

constexpr const char* kLibrary = "c_api/libhinm.so";  // runfiles-relative

// Defined (not undefined) global or weak symbols of an ELF64 shared object.
std::set<std::string> ExportedSymbols(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(f)), {});
  std::set<std::string> out;
  if (bytes.size() < sizeof(Elf64_Ehdr)) return out;
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return out;
  }
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  for (int i = 0; i < eh.e_shnum; ++i) {
    std::memcpy(&sh[i], bytes.data() + eh.e_shoff + i * eh.e_shentsize, sizeof(Elf64_Shdr));
  }
  for (const Elf64_Shdr& s : sh) {
    if (s.sh_type != SHT_DYNSYM) continue;
    const Elf64_Shdr& strtab = sh[s.sh_link];
    for (size_t off = 0; off + sizeof(Elf64_Sym) <= s.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, bytes.data() + s.sh_offset + off, sizeof(sym));
      const int bind = ELF64_ST_BIND(sym.st_info);
      if (sym.st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK)) continue;
      out.insert(std::string(bytes.data() + strtab.sh_offset + sym.st_name));
    }
  }
  return out;
}

TEST(SharedLibrary, ExportsExactlyTheCApi) {
  const std::set<std::string> syms = ExportedSymbols(kLibrary);
  ASSERT_FALSE(syms.empty()) << "could not read " << kLibrary;
  for (const std::string& s : syms) {
    EXPECT_EQ(s.rfind("hinm", 0), 0u) << "unexpected export: " << s;
  }
  for (const char* fn :
       {"hinmGetErrorName", "hinmGetErrorString", "hinmGetLastErrorMessage", "hinmGetVersion",
        "hinmPruneConfigInit", "hinmCreate", "hinmDestroy", "hinmHasDevice",
        "hinmCreateDescriptor", "hinmDestroyDescriptor", "hinmGetDescriptorInfo",
        "hinmGetRowPermutation", "hinmGetColumnIndices", "hinmDecompress",
        "hinmDescriptorToDevice", "hinmSaveDescriptor", "hinmLoadDescriptor",
        "hinmSerializedSize", "hinmSerialize", "hinmDeserialize", "hinmSpMM",
        "hinmSpMMWorkspaceSize", "hinmSpMMSearch", "hinmSpMMHost", "hinmDenseGemm",
        "hinmFoldInputPermutation", "hinmGetTunedPlans", "hinmSetAutotune",
        "hinmGetAutotune"}) {
    EXPECT_EQ(syms.count(fn), 1u) << fn << " is not exported";
  }
}

TEST(SharedLibrary, LoadsAndRunsThroughDlsym) {
  void* lib = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  // The core's C++ symbols are not visible.
  EXPECT_EQ(dlsym(lib, "_ZN4hinm10CheckedMulEllPKc"), nullptr);
  auto version = reinterpret_cast<decltype(&hinmGetVersion)>(dlsym(lib, "hinmGetVersion"));
  auto create = reinterpret_cast<decltype(&hinmCreate)>(dlsym(lib, "hinmCreate"));
  auto destroy = reinterpret_cast<decltype(&hinmDestroy)>(dlsym(lib, "hinmDestroy"));
  auto init = reinterpret_cast<decltype(&hinmPruneConfigInit)>(dlsym(lib, "hinmPruneConfigInit"));
  auto make =
      reinterpret_cast<decltype(&hinmCreateDescriptor)>(dlsym(lib, "hinmCreateDescriptor"));
  auto info =
      reinterpret_cast<decltype(&hinmGetDescriptorInfo)>(dlsym(lib, "hinmGetDescriptorInfo"));
  auto drop =
      reinterpret_cast<decltype(&hinmDestroyDescriptor)>(dlsym(lib, "hinmDestroyDescriptor"));
  auto message =
      reinterpret_cast<decltype(&hinmGetLastErrorMessage)>(dlsym(lib, "hinmGetLastErrorMessage"));
  ASSERT_TRUE(version && create && destroy && init && make && info && drop && message);
  EXPECT_EQ(version(), HINM_VERSION);
  hinmHandle_t h = nullptr;
  ASSERT_EQ(create(&h), HINM_STATUS_SUCCESS) << message();
  hinmPruneConfig_t cfg;
  ASSERT_EQ(init(&cfg), HINM_STATUS_SUCCESS);
  cfg.tile_rows = 16;
  std::vector<float> w(16 * 32);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 13) - 6.0f;
  hinmDescriptor_t d = nullptr;
  ASSERT_EQ(make(h, &d, 16, 32, w.data(), HINM_R_32F, 32, nullptr, 0, &cfg), HINM_STATUS_SUCCESS)
      << message();
  hinmDescriptorInfo_t i;
  ASSERT_EQ(info(d, &i, sizeof(i)), HINM_STATUS_SUCCESS);
  EXPECT_EQ(i.kept_cols, 16);
  EXPECT_EQ(make(h, &d, 0, 32, w.data(), HINM_R_32F, 32, nullptr, 0, &cfg),
            HINM_STATUS_INVALID_VALUE);
  EXPECT_NE(std::string(message()).find("rows"), std::string::npos);
  EXPECT_EQ(drop(d), HINM_STATUS_SUCCESS);
  EXPECT_EQ(destroy(h), HINM_STATUS_SUCCESS);
  dlclose(lib);
}

}  // namespace
