// Blocked Householder QR (LAPACK dgeqrf) and its reflectors as an orgqr
// source, for weightinit.linalg.qr.
#pragma once

#include <cstdint>

#include "weightinit/linalg/gemm.hpp"
#include "weightinit/linalg/orgqr.hpp"

namespace weightinit::linalg {

// Blocked Householder QR in place (LAPACK dgeqrf): R on and above the
// diagonal, reflectors below it, tau[min(m, n)].
template <class T>
void geqrf(std::int64_t m, std::int64_t n, MatRef<T> a, T* tau);

// Reflectors [0, k) of a geqrf result as a ReflectorSource.
template <class T>
ReflectorSource<T> stored_reflectors(std::int64_t m, MatRef<const T> a, const T* tau);

}  // namespace weightinit::linalg
