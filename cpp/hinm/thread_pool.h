// A minimal deterministic parallel-for for the host core (reference SpMM,
// pruning, 2CP). No persistent pool: work items here are large (whole
// tiles), so spawning a few threads per call costs nothing measurable.
#ifndef HINM_THREAD_POOL_H_
#define HINM_THREAD_POOL_H_

#include <cstdint>
#include <functional>

namespace hinm {

// Number of threads for a request: `requested` if > 0, else the hardware
// concurrency (at least 1).
int ResolveNumThreads(int requested);

// Calls fn(begin, end) on disjoint ranges covering [0, n). The partition is
// static: range i of T = min(threads, n) chunks is [n*i/T, n*(i+1)/T), so
// which items share a call never depends on timing. Chunk 0 runs on the
// calling thread. If any call throws, the exception of the lowest-numbered
// failing chunk is rethrown after all threads have joined.
void ParallelFor(int64_t n, int num_threads,
                 const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace hinm

#endif  // HINM_THREAD_POOL_H_
