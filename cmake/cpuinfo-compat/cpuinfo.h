/*
 * cpuinfo.h compat wrapper: Debian 12's libcpuinfo (git 2022-06-17, 082deff) lacks a few
 * predicates that XNNPACK 2024 calls. This header includes the real system header and
 * adds ONLY the missing x86 predicates, implemented by real CPUID/XGETBV queries
 * (same bits upstream cpuinfo checks). Nothing is forced on.
 */
#pragma once
#include_next <cpuinfo.h>

#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#include <stdint.h>

static inline uint64_t xnn_compat_xcr0(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; /* OSXSAVE */
  uint32_t lo, hi;
  __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}
static inline void xnn_compat_cpuid7(unsigned sub, unsigned r[4]) {
  r[0] = r[1] = r[2] = r[3] = 0;
  if (__get_cpuid_max(0, 0) >= 7) __cpuid_count(7, sub, r[0], r[1], r[2], r[3]);
}
/* AVX-VNNI: CPUID.(7,1):EAX[4], OS saves XMM|YMM */
static inline bool cpuinfo_has_x86_avxvnni(void) {
  unsigned r[4];
  xnn_compat_cpuid7(1, r);
  return (r[0] & (1u << 4)) && (xnn_compat_xcr0() & 0x6) == 0x6;
}
/* AVX-VNNI-INT8: CPUID.(7,1):EDX[4], OS saves XMM|YMM */
static inline bool cpuinfo_has_x86_avx_vnni_int8(void) {
  unsigned r[4];
  xnn_compat_cpuid7(1, r);
  return (r[3] & (1u << 4)) && (xnn_compat_xcr0() & 0x6) == 0x6;
}
/* AVX512-FP16: CPUID.(7,0):EDX[23], OS saves XMM|YMM|opmask|ZMM */
static inline bool cpuinfo_has_x86_avx512fp16(void) {
  unsigned r[4];
  xnn_compat_cpuid7(0, r);
  return (r[3] & (1u << 23)) && (xnn_compat_xcr0() & 0xE6) == 0xE6;
}
/* AMX-INT8: CPUID.(7,0):EDX[25], OS supports XTILECFG|XTILEDATA (XCR0 bits 17,18) */
static inline bool cpuinfo_has_x86_amx_int8(void) {
  unsigned r[4];
  xnn_compat_cpuid7(0, r);
  return (r[3] & (1u << 25)) && (xnn_compat_xcr0() & 0x60000) == 0x60000;
}
/* Enum value from newer cpuinfo. The 2022 library never reports it, so on a real Zen 4
 * XNNPACK would not apply its Zen-4 exclusion (only a performance heuristic). */
#ifndef cpuinfo_uarch_zen4
#define cpuinfo_uarch_zen4 ((enum cpuinfo_uarch)0x0020010C)
#endif
#endif
