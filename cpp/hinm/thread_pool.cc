#include "cpp/hinm/thread_pool.h"

#include <algorithm>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cpp/hinm/error.h"

namespace hinm {

int ResolveNumThreads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void ParallelFor(int64_t n, int num_threads,
                 const std::function<void(int64_t begin, int64_t end)>& fn) {
  if (n <= 0) return;
  const int64_t chunks = std::min<int64_t>(ResolveNumThreads(num_threads), n);
  if (chunks == 1) {
    fn(0, n);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(chunks));
  auto run = [&](int64_t i) {
    try {
      fn(n * i / chunks, n * (i + 1) / chunks);
    } catch (...) {
      errors[static_cast<size_t>(i)] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(chunks - 1));
  try {
    for (int64_t i = 1; i < chunks; ++i) threads.emplace_back(run, i);
  } catch (const std::system_error& e) {
    // Could not start a thread: finish what started, then report.
    for (auto& t : threads) t.join();
    throw Error(Status::kAllocFailed,
                std::string("ParallelFor: cannot start a thread: ") + e.what());
  }
  run(0);
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace hinm
