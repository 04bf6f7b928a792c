// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC'11). A stateless keyed
// bijection (counter, key) -> 4 words: element e of a tensor needs only e, so
// any slice, chunk or thread partition reproduces the same bits.
#pragma once

#include <array>
#include <cstdint>

namespace weightinit::random {

// Round multipliers and Weyl key increments from Random123's philox.h.
inline constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr std::uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
inline constexpr std::uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1
inline constexpr int kPhiloxRounds = 10;

using Block = std::array<std::uint32_t, 4>;
using PhiloxKey = std::array<std::uint32_t, 2>;

// One (counter, key) -> block evaluation with a given number of rounds (the
// known-answer tests also pin the 7-round variant).
inline Block philox4x32(Block c, PhiloxKey k, int rounds = kPhiloxRounds) {
  for (int r = 0; r < rounds; ++r) {
    const std::uint64_t p0 = std::uint64_t{kPhiloxM0} * c[0];
    const std::uint64_t p1 = std::uint64_t{kPhiloxM1} * c[2];
    c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
    k[0] += kPhiloxW0;
    k[1] += kPhiloxW1;
  }
  return c;
}

// The library's counter layout (DESIGN.md contract 1): words 0-1 hold the
// 64-bit block index, words 2-3 the 64-bit stream id; the key is 64 bits
// derived from the user's seed.
inline Block philox_block(std::uint64_t key, std::uint64_t stream, std::uint64_t block) {
  return philox4x32({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                     static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                    {static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)});
}

// SplitMix64 finalizer (Steele, Lea, Flood 2014): turns seeds and
// (stream, tag, unit) triples into well-mixed 64-bit keys and sub-stream ids.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Sub-stream for draws that need a variable number of words per unit (sparse
// index sets, orthogonal reflectors): every unit can be regenerated alone.
inline std::uint64_t substream(std::uint64_t stream, std::uint64_t tag, std::uint64_t unit) {
  return splitmix64(splitmix64(splitmix64(stream) ^ tag) ^ unit);
}

}  // namespace weightinit::random
