// A main for a fuzz target without libFuzzer: feeds it every file under the
// directories given on the command line (the committed seed corpus and the
// crash reproducers in tests/fuzz/regression/), so `bazel test` (and
// --config=asan) replays them with gcc's sanitizers on every run. A failed
// invariant aborts, which fails the test.
#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::string> names;
    if (DIR* dir = opendir(argv[i])) {
      while (dirent* e = readdir(dir)) {
        if (e->d_name[0] != '.') names.push_back(std::string(argv[i]) + "/" + e->d_name);
      }
      closedir(dir);
    } else {  // git keeps no empty directory: no reproducers yet
      std::printf("%s: none\n", argv[i]);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::ifstream f(name, std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
      std::printf("%s (%zu bytes)\n", name.c_str(), bytes.size());
      std::fflush(stdout);
      // libFuzzer never passes a null pointer, even for an empty input.
      const uint8_t empty = 0;
      LLVMFuzzerTestOneInput(bytes.empty() ? &empty : bytes.data(), bytes.size());
      ++files;
    }
  }
  std::printf("%d inputs replayed\n", files);
  return files > 0 ? 0 : 1;
}
