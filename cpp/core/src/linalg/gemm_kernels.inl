// Packed GEMM written once against a small vector interface `O` (T, V, L,
// load, store, store_first, set1, neg, fma, and transpose of L x L values)
// and compiled per instruction set. Included inside
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

  // One P-wide micro-panel from `lines` <= P lines of X that are contiguous
  // along k (line j at x + j * stride): dst[k * P + j] = +-x[j * stride + k],
  // zero for j >= lines. L lines by L values of k at a time through the
  // path's in-register transpose, instead of a strided store per element;
  // the last kc % L values of k one at a time.
  template <int P>
  static void pack_transposed(std::int64_t kc, std::int64_t lines, const T* x, std::int64_t stride,
                              bool negate, T* dst) {
    std::int64_t k = 0;
    for (; k + L <= kc; k += L) {
      for (int g = 0; g < P; g += L) {
        V r[L];
        for (int j = 0; j < L; ++j) {
          if (g + j < lines) {
            const V v = O::load(x + (g + j) * stride + k);
            r[j] = negate ? O::neg(v) : v;
          } else {
            r[j] = O::set1(T(0));
          }
        }
        O::transpose(r);
        for (int kk = 0; kk < L; ++kk)
          O::store_first(dst + (k + kk) * P + g, r[kk], std::min(L, P - g));
      }
    }
    for (; k < kc; ++k)
      for (std::int64_t j = 0; j < P; ++j)
        dst[k * P + j] = j >= lines ? T(0) : negate ? -x[j * stride + k] : x[j * stride + k];
  }

  // X (mn x kc, element (i, k) at x[i * si + k * sk]) into P-wide
  // micro-panels dst[p][k][i], zero-padded, negated if asked: A~ is X = A
  // with P = MR, B~ is X = B^T with P = NR.
  template <int P>
  static void pack(std::int64_t mn, std::int64_t kc, const T* x, std::int64_t si, std::int64_t sk,
                   bool negate, T* dst) {
    for (std::int64_t ip = 0; ip < mn; ip += P, dst += kc * P) {
      const std::int64_t lines = std::min<std::int64_t>(P, mn - ip);
      const T* src = x + ip * si;
      if (si == 1 && lines == P) {
        for (std::int64_t k = 0; k < kc; ++k) {
          const T* s = src + k * sk;
          T* d = dst + k * P;
          if (negate)
            for (int i = 0; i < P; ++i) d[i] = -s[i];
          else
            for (int i = 0; i < P; ++i) d[i] = s[i];
        }
      } else if (sk == 1) {
        // Lines contiguous in k (A = V^T, a column-major B): a transpose.
        pack_transposed<P>(kc, lines, src, si, negate, dst);
      } else {
        for (std::int64_t k = 0; k < kc; ++k) {
          T* d = dst + k * P;
          for (std::int64_t i = 0; i < lines; ++i) {
            const T v = src[i * si + k * sk];
            d[i] = negate ? -v : v;
          }
          for (std::int64_t i = lines; i < P; ++i) d[i] = T(0);
        }
      }
    }
  }

  // mc x kc block of A into MR-row micro-panels.
  static void pack_a(std::int64_t mc, std::int64_t kc, const T* a, std::int64_t rs, std::int64_t cs,
                     bool negate, T* dst) {
    pack<MR>(mc, kc, a, rs, cs, negate, dst);
  }

  // kc x nc block of B into NR-column micro-panels.
  static void pack_b(std::int64_t kc, std::int64_t nc, const T* b, std::int64_t rs, std::int64_t cs,
                     bool negate, T* dst) {
    pack<NR>(nc, kc, b, cs, rs, negate, dst);
  }

  // C (mc x cols, at cp with c's strides) += A~ (mc x kc) B~ micro-panel
  // (kc x cols): the micro-kernels down one column panel. A~'s micro-panels
  // are ka >= kc long (a pre-packed A may hold more of k than is used).
  static void block(std::int64_t mc, std::int64_t cols, std::int64_t kc, const T* ap,
                    std::int64_t ka, const T* bpanel, T* cp0, MatRef<T> c, T* tile) {
    for (std::int64_t ir = 0; ir < mc; ir += MR) {
      const std::int64_t rows = std::min<std::int64_t>(MR, mc - ir);
      const T* apanel = ap + ir * ka;
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

  // Grow-only packing buffer. Not std::vector<T>: its out-of-line members,
  // compiled in an AVX file, would be weak symbols the linker could also bind
  // to baseline callers (tools/check-isa-isolation.py). This type is ISA-local.
  struct Scratch {
    T* data = nullptr;
    std::size_t size = 0;
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { delete[] data; }
    T* get(std::size_t n) {
      if (size < n) {
        delete[] data;
        data = nullptr;  // stays valid if new throws
        size = 0;
        data = new T[n]();  // zeroed, as std::vector::resize did
        size = n;
      }
      return data;
    }
  };

  // An operand packed once for many calls (gemm.hpp, Packed): k in chunks
  // of KC, each chunk holding all of the other dimension (mn) in micro-panels
  // (MR rows of a left operand, NR columns of a right one) of that chunk's
  // length, zero-padded; the chunk at k offset pc starts at pc * padded(mn).
  // Packing runs in tiles (a k chunk times a group of micro-panels) that
  // threads may share.
  static std::int64_t panel(bool left) { return left ? MR : NR; }
  static std::int64_t padded(bool left, std::int64_t mn) {
    return (mn + panel(left) - 1) / panel(left) * panel(left);
  }
  static std::int64_t group(bool left) {
    return panel(left) * ((128 + panel(left) - 1) / panel(left));
  }
  static std::int64_t packed_size(bool left, std::int64_t mn, std::int64_t k) {
    return padded(left, mn) * k;
  }
  static std::int64_t pack_tiles(bool left, std::int64_t mn, std::int64_t k) {
    return (k + KC - 1) / KC * ((mn + group(left) - 1) / group(left));
  }
  static void pack_tile(bool left, std::int64_t mn, std::int64_t k, MatRef<const T> x, bool negate,
                        T* dst, std::int64_t tile) {
    const std::int64_t groups = (mn + group(left) - 1) / group(left);
    const std::int64_t pc = tile / groups * KC, kc = std::min<std::int64_t>(KC, k - pc);
    const std::int64_t r0 = tile % groups * group(left), r1 = std::min(mn, r0 + group(left));
    T* d = dst + pc * padded(left, mn) + r0 * kc;
    if (left)
      pack_a(r1 - r0, kc, x.data + r0 * x.rs + pc * x.cs, x.rs, x.cs, negate, d);
    else
      pack_b(kc, r1 - r0, x.data + pc * x.rs + r0 * x.cs, x.rs, x.cs, negate, d);
  }

  // Where one of A~, B~ comes from when it was packed in advance: the
  // packed data and the k it was packed with (>= the k used).
  struct Prepacked {
    const T* a = nullptr;
    const T* b = nullptr;
    std::int64_t k = 0;
  };

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
    run_blocked(m, n, k, a, b, c, subtract, Prepacked{});
  }

  // C += A~ B (left) or A B~ (right) with the packed operand `packed` (its mn
  // is m or n, packed with k_packed >= k; the first k used). C may have any
  // strides: the caller chooses the side that gives C a unit row stride.
  static void run_packed(bool left, std::int64_t m, std::int64_t n, std::int64_t k, const T* packed,
                         std::int64_t k_packed, MatRef<const T> other, MatRef<T> c) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    Prepacked pre;
    (left ? pre.a : pre.b) = packed;
    pre.k = k_packed;
    run_blocked(m, n, k, left ? MatRef<const T>{nullptr, 0, 0} : other,
                left ? other : MatRef<const T>{nullptr, 0, 0}, c, false, pre);
  }

  static void run_blocked(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const T> a,
                          MatRef<const T> b, MatRef<T> c, bool subtract, const Prepacked& pre) {
    thread_local Scratch abuf, bbuf;
    T* ap = pre.a ? nullptr : abuf.get(static_cast<std::size_t>(MC) * KC);
    T* bp = pre.b ? nullptr : bbuf.get(static_cast<std::size_t>(NC) * KC);
    alignas(64) T tile[MR * NR];
    // A~ (rows [ic, ic + mc), k chunk pc) and B~ (columns [jc, jc + nc)):
    // packed here, or found in the pre-packed operand, whose micro-panels are
    // that chunk's packed length long.
    const auto a_block = [&](std::int64_t ic, std::int64_t mc, std::int64_t pc, std::int64_t kc,
                             std::int64_t& ka) -> const T* {
      if (pre.a) {
        ka = std::min<std::int64_t>(KC, pre.k - pc);
        return pre.a + pc * padded(true, m) + ic * ka;
      }
      ka = kc;
      pack_a(mc, kc, a.data + ic * a.rs + pc * a.cs, a.rs, a.cs, subtract, ap);
      return ap;
    };
    const auto b_block = [&](std::int64_t jc, std::int64_t nc, std::int64_t pc, std::int64_t kc,
                             std::int64_t& kb) -> const T* {
      if (pre.b) {
        kb = std::min<std::int64_t>(KC, pre.k - pc);
        return pre.b + pc * padded(false, n) + jc * kb;
      }
      kb = kc;
      pack_b(kc, nc, b.data + pc * b.rs + jc * b.cs, b.rs, b.cs, false, bp);
      return bp;
    };
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
        std::int64_t ka, kb;
        const T* ablock = a_block(0, m, pc, kc, ka);
        for (std::int64_t jb = 0; jb < n; jb += JB) {
          const std::int64_t nb = std::min<std::int64_t>(JB, n - jb);
          const T* bblock = b_block(jb, nb, pc, kc, kb);
          for (std::int64_t jr = 0; jr < nb; jr += NR)
            block(m, std::min<std::int64_t>(NR, nb - jr), kc, ablock, ka, bblock + jr * kb,
                  c.data + (jb + jr) * c.cs, c, tile);
        }
      }
      return;
    }
    for (std::int64_t jc = 0; jc < n; jc += NC) {
      const std::int64_t nc = std::min<std::int64_t>(NC, n - jc);
      for (std::int64_t pc = 0; pc < k; pc += KC) {
        const std::int64_t kc = std::min<std::int64_t>(KC, k - pc);
        std::int64_t ka, kb;
        const T* bblock = b_block(jc, nc, pc, kc, kb);
        for (std::int64_t ic = 0; ic < m; ic += MC) {
          const std::int64_t mc = std::min<std::int64_t>(MC, m - ic);
          const T* ablock = a_block(ic, mc, pc, kc, ka);
          for (std::int64_t jr = 0; jr < nc; jr += NR) {
            const std::int64_t cols = std::min<std::int64_t>(NR, nc - jr);
            block(mc, cols, kc, ablock, ka, bblock + jr * kb, c.data + ic * c.rs + (jc + jr) * c.cs,
                  c, tile);
          }
        }
      }
    }
  }
};

template <class G>
GemmFns<typename G::T> gemm_fns() {
  return {&G::run, &G::packed_size, &G::pack_tiles, &G::pack_tile, &G::run_packed};
}
