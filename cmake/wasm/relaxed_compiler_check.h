/* Included first by every file of the wasm-relaxed preset (CMakeLists.txt). Its objects must come
 * from the clang that the preset's environment names (EM_LLVM_ROOT): Emscripten 3.1.6's own clang
 * 14 compiles them too, without a word, into objects that do not link (main is named differently)
 * or run another code generator — and ccache, which keys on em++ and the flags, not on the clang
 * behind them, then hands those objects to every later build. So refuse, before anything is
 * cached. */
#if defined(__clang_major__) && __clang_major__ < 15
#error "the wasm-relaxed build needs the clang of its preset (EM_LLVM_ROOT): build it with 'make site', 'make wasm-relaxed' or 'cmake --build --preset wasm-relaxed', not 'cmake --build build/wasm-relaxed'"
#endif
