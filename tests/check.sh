# Sourced by the shell tests: `check NAME STATUS` prints "ok: NAME" or "FAIL: NAME" (STATUS is the
# exit code of the condition just tested) and remembers a failure; end a test with `exit $fail`.
fail=0
check() {
  if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi
}
