// Packed GEMM written once against a small vector interface `O` (T, V, L,
// load, store, set1, fma) and compiled per instruction set. Included inside
// each ISA's namespace after its Ops structs and block sizes are defined.
//
// Every c_ij sees c <- fma(a_ik, b_kj, c) for k ascending and nothing else,
// in every path: the micro-kernel loads C into its accumulators and stores
// them back, k-chunks are processed in order, and edge tiles run through a
// zero-padded local tile. Packing only copies (and, for subtraction, negates
// A exactly), so the blocking constants below may differ between ISAs.

template <class O, int MV, int NR, int KC, int MC, int NC>
struct Gemm {
  using T = typename O::T;
  using V = typename O::V;
  static constexpr int L = O::L;
  static constexpr int MR = MV * L;
  // Packed buffers are padded to whole micro-panels (see pack_a / pack_b).
  static_assert(MC % MR == 0 && NC % NR == 0, "cache blocks must hold whole micro-panels");

  // C (MR x NR, column stride ldc, unit row stride) += A~ (MR x kc) B~ (kc x NR).
  static void ukernel(std::int64_t kc, const T* a, const T* b, T* c, std::int64_t ldc) {
    V acc[NR][MV];
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
      for (int v = 0; v < MV; ++v) acc[j][v] = O::load(c + j * ldc + v * L);
    for (std::int64_t k = 0; k < kc; ++k) {
      V av[MV];
#pragma GCC unroll 4
      for (int v = 0; v < MV; ++v) av[v] = O::load(a + k * MR + v * L);
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) {
        const V bj = O::set1(b[k * NR + j]);
#pragma GCC unroll 4
        for (int v = 0; v < MV; ++v) acc[j][v] = O::fma(av[v], bj, acc[j][v]);
      }
    }
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
      for (int v = 0; v < MV; ++v) O::store(c + j * ldc + v * L, acc[j][v]);
  }

  // mc x kc block of A into MR-row micro-panels: dst[p][k][i], zero-padded.
  static void pack_a(std::int64_t mc, std::int64_t kc, const T* a, std::int64_t rs, std::int64_t cs,
                     bool negate, T* dst) {
    for (std::int64_t ip = 0; ip < mc; ip += MR) {
      const std::int64_t rows = std::min<std::int64_t>(MR, mc - ip);
      const T* src = a + ip * rs;
      if (rs == 1 && rows == MR) {
        for (std::int64_t k = 0; k < kc; ++k, dst += MR) {
          const T* s = src + k * cs;
          if (negate)
            for (int i = 0; i < MR; ++i) dst[i] = -s[i];
          else
            for (int i = 0; i < MR; ++i) dst[i] = s[i];
        }
      } else if (cs == 1) {
        // Rows of A contiguous in k (A = V^T): read each row once, write strided.
        for (std::int64_t i = 0; i < rows; ++i) {
          const T* s = src + i * rs;
          for (std::int64_t k = 0; k < kc; ++k) dst[k * MR + i] = negate ? -s[k] : s[k];
        }
        for (std::int64_t k = 0; k < kc; ++k)
          for (std::int64_t i = rows; i < MR; ++i) dst[k * MR + i] = T(0);
        dst += kc * MR;
      } else {
        for (std::int64_t k = 0; k < kc; ++k, dst += MR) {
          for (std::int64_t i = 0; i < rows; ++i) {
            const T x = src[i * rs + k * cs];
            dst[i] = negate ? -x : x;
          }
          for (std::int64_t i = rows; i < MR; ++i) dst[i] = T(0);
        }
      }
    }
  }

  // kc x nc block of B into NR-column micro-panels: dst[q][k][j], zero-padded.
  static void pack_b(std::int64_t kc, std::int64_t nc, const T* b, std::int64_t rs, std::int64_t cs,
                     T* dst) {
    for (std::int64_t jp = 0; jp < nc; jp += NR) {
      const std::int64_t cols = std::min<std::int64_t>(NR, nc - jp);
      const T* src = b + jp * cs;
      if (cs == 1 && cols == NR) {
        for (std::int64_t k = 0; k < kc; ++k, dst += NR) {
          const T* s = src + k * rs;
          for (int j = 0; j < NR; ++j) dst[j] = s[j];
        }
      } else if (rs == 1) {
        // Columns of B contiguous in k: read each column once, write strided.
        for (std::int64_t j = 0; j < cols; ++j) {
          const T* s = src + j * cs;
          for (std::int64_t k = 0; k < kc; ++k) dst[k * NR + j] = s[k];
        }
        for (std::int64_t k = 0; k < kc; ++k)
          for (std::int64_t j = cols; j < NR; ++j) dst[k * NR + j] = T(0);
        dst += kc * NR;
      } else {
        for (std::int64_t k = 0; k < kc; ++k, dst += NR) {
          for (std::int64_t j = 0; j < cols; ++j) dst[j] = src[k * rs + j * cs];
          for (std::int64_t j = cols; j < NR; ++j) dst[j] = T(0);
        }
      }
    }
  }

  // C (mc x cols, at cp with c's strides) += A~ (mc x kc) B~ micro-panel
  // (kc x cols): the micro-kernels down one column panel.
  static void block(std::int64_t mc, std::int64_t cols, std::int64_t kc, const T* ap,
                    const T* bpanel, T* cp0, MatRef<T> c, T* tile) {
    for (std::int64_t ir = 0; ir < mc; ir += MR) {
      const std::int64_t rows = std::min<std::int64_t>(MR, mc - ir);
      const T* apanel = ap + ir * kc;
      T* cp = cp0 + ir * c.rs;
      if (c.rs == 1 && rows == MR && cols == NR) {
        ukernel(kc, apanel, bpanel, cp, c.cs);
      } else {
        for (std::int64_t j = 0; j < NR; ++j)
          for (std::int64_t i = 0; i < MR; ++i)
            tile[j * MR + i] = (i < rows && j < cols) ? cp[i * c.rs + j * c.cs] : T(0);
        ukernel(kc, apanel, bpanel, tile, MR);
        for (std::int64_t j = 0; j < cols; ++j)
          for (std::int64_t i = 0; i < rows; ++i) cp[i * c.rs + j * c.cs] = tile[j * MR + i];
      }
    }
  }

  static T* buffer(std::vector<T>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
  }

  static void run(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const T> a,
                  MatRef<const T> b, MatRef<T> c, bool subtract) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    if (c.rs != 1 && c.cs == 1) {
      // Row-major C: solve C^T += B^T A^T so the micro-kernel stores unit-stride.
      // fma(-b, a, c) == fma(-a, b, c) exactly, so the bits do not change.
      run(n, m, k, MatRef<const T>{b.data, b.cs, b.rs}, MatRef<const T>{a.data, a.cs, a.rs},
          MatRef<T>{c.data, c.cs, c.rs}, subtract);
      return;
    }
    thread_local std::vector<T> abuf, bbuf;
    T* ap = buffer(abuf, static_cast<std::size_t>(MC) * KC);
    T* bp = buffer(bbuf, static_cast<std::size_t>(NC) * KC);
    alignas(64) T tile[MR * NR];
    if (m <= MC) {
      // Few rows (W = V^T C in larfb, m = nb): all of A~ stays in L2 and B
      // is packed a few micro-panels (>= 48 columns, whole cache lines of a
      // row-major B) at a time, just before the micro-kernels that use them,
      // so the packed B never round-trips through L3. Same chains, same
      // order: only the packing schedule differs.
      constexpr std::int64_t JB = NR * ((48 + NR - 1) / NR);
      static_assert(JB <= NC, "B chunk must fit the B buffer");
      for (std::int64_t pc = 0; pc < k; pc += KC) {
        const std::int64_t kc = std::min<std::int64_t>(KC, k - pc);
        pack_a(m, kc, a.data + pc * a.cs, a.rs, a.cs, subtract, ap);
        for (std::int64_t jb = 0; jb < n; jb += JB) {
          const std::int64_t nb = std::min<std::int64_t>(JB, n - jb);
          pack_b(kc, nb, b.data + pc * b.rs + jb * b.cs, b.rs, b.cs, bp);
          for (std::int64_t jr = 0; jr < nb; jr += NR)
            block(m, std::min<std::int64_t>(NR, nb - jr), kc, ap, bp + jr * kc,
                  c.data + (jb + jr) * c.cs, c, tile);
        }
      }
      return;
    }
    for (std::int64_t jc = 0; jc < n; jc += NC) {
      const std::int64_t nc = std::min<std::int64_t>(NC, n - jc);
      for (std::int64_t pc = 0; pc < k; pc += KC) {
        const std::int64_t kc = std::min<std::int64_t>(KC, k - pc);
        pack_b(kc, nc, b.data + pc * b.rs + jc * b.cs, b.rs, b.cs, bp);
        for (std::int64_t ic = 0; ic < m; ic += MC) {
          const std::int64_t mc = std::min<std::int64_t>(MC, m - ic);
          pack_a(mc, kc, a.data + ic * a.rs + pc * a.cs, a.rs, a.cs, subtract, ap);
          for (std::int64_t jr = 0; jr < nc; jr += NR) {
            const std::int64_t cols = std::min<std::int64_t>(NR, nc - jr);
            block(mc, cols, kc, ap, bp + jr * kc, c.data + ic * c.rs + (jc + jr) * c.cs, c, tile);
          }
        }
      }
    }
  }
};
