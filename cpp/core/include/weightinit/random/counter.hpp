// The element -> counter mapping: the reproducibility contract itself
// (docs/design.md contract 1). This header is its single definition; the kernels
// of every instruction set, sparse.cpp and the orthogonal sampler take their
// counters and words from here, and tests/cpp/test_counter.cpp checks every
// path element by element against word32/word64 below. The Python reference
// in tests/test_philox_reference.py is the independent check.
//
// A draw is a function of (key, stream, element index) alone, so any slice,
// chunk, stride or thread partition of a tensor reproduces the same bits.
#pragma once

#include <cstdint>

#include "weightinit/random/philox.hpp"

namespace weightinit::random {

// ------------------------------------------------------------- counter ----
// Words 0-1 of the counter hold the 64-bit block index, words 2-3 the 64-bit
// stream id (low word first); the Philox key is the 64-bit key derived from
// the user's seed.
constexpr Block counter(std::uint64_t stream, std::uint64_t block) {
  return {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
          static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
}
constexpr PhiloxKey philox_key(std::uint64_t key) {
  return {static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)};
}
inline Block counter_block(std::uint64_t key, std::uint64_t stream, std::uint64_t block) {
  return philox4x32(counter(stream, block), philox_key(key));
}

// ----------------------------------------------------- element -> words ----
// A 32-bit draw e (float16/bfloat16/float32 output) is word e % 4 of block e / 4.
constexpr std::uint64_t block_of_word32(std::uint64_t e) { return e / 4; }
constexpr std::uint32_t word32_in(const Block& b, std::uint64_t e) { return b[e % 4]; }
inline std::uint32_t word32(std::uint64_t key, std::uint64_t stream, std::uint64_t e) {
  return word32_in(counter_block(key, stream, block_of_word32(e)), e);
}

// A 64-bit draw e (float64 output, index draws) is words 2(e % 2) (low) and
// 2(e % 2) + 1 (high) of block e / 2.
constexpr std::uint64_t block_of_word64(std::uint64_t e) { return e / 2; }
constexpr std::uint64_t word64_in(const Block& b, std::uint64_t e) {
  return std::uint64_t{b[2 * (e % 2)]} | (std::uint64_t{b[2 * (e % 2) + 1]} << 32);
}
inline std::uint64_t word64(std::uint64_t key, std::uint64_t stream, std::uint64_t e) {
  return word64_in(counter_block(key, stream, block_of_word64(e)), e);
}

// Element e of a uniform or truncated normal tensor is a function of draw e
// alone. Box-Muller (docs/algorithms.md 3.1) pairs elements (2t, 2t+1): both come
// from draws 2t and 2t+1, element 2t is the cosine-side value z1, 2t+1 the
// sine-side z2. One draw is one word of the output's width above.
constexpr std::uint64_t pair_first_draw(std::uint64_t e) { return e - e % 2; }
constexpr int pair_slot(std::uint64_t e) { return static_cast<int>(e % 2); }

// ---------------------------------------------------------- sub-streams ----
// SplitMix64 finalizer (Steele, Lea, Flood 2014): turns seeds and
// (stream, tag, unit) triples into well-mixed 64-bit keys and sub-stream ids.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Sub-stream for draws that need a variable number of words per unit (sparse
// index sets, orthogonal reflectors): every unit can be regenerated alone.
constexpr std::uint64_t substream(std::uint64_t stream, std::uint64_t tag, std::uint64_t unit) {
  return splitmix64(splitmix64(splitmix64(stream) ^ tag) ^ unit);
}

// Sparse: index draw t of unit j is word64(key, sparse_index_stream(stream, j), t);
// the unit's non-zero values are float64 normal elements 0, 1, ... of
// sparse_value_stream(stream, j), value t in slot t. Tags "SPIDX", "SPVAL".
inline constexpr std::uint64_t kSparseIndexTag = 0x5350'4944'5800'0001ull;
inline constexpr std::uint64_t kSparseValueTag = 0x5350'5641'4C00'0001ull;
constexpr std::uint64_t sparse_index_stream(std::uint64_t stream, std::uint64_t unit) {
  return substream(stream, kSparseIndexTag, unit);
}
constexpr std::uint64_t sparse_value_stream(std::uint64_t stream, std::uint64_t unit) {
  return substream(stream, kSparseValueTag, unit);
}

// Orthogonal: reflector i of an m-row matrix is float64 normal elements
// [0, m - i) of reflector_stream(stream, i). Tag "ORTHO".
inline constexpr std::uint64_t kOrthogonalTag = 0x4F52544830000001ull;
constexpr std::uint64_t reflector_stream(std::uint64_t stream, std::uint64_t i) {
  return substream(stream, kOrthogonalTag, i);
}

}  // namespace weightinit::random
