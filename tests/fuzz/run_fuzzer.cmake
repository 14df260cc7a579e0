# ctest's driver for one harness: a fresh work corpus in the build tree (libFuzzer writes new
# inputs only into its first corpus directory), the seed directories after it, read only; any
# crash, leak, timeout or out-of-memory fails the test, and its input is kept in WORK/artifacts.
# The seed is fixed, so the suite walks the same inputs on every run (a finding there is a
# regression, not luck); bench/fuzz.sh runs random seeds for long.
set(_work "${WORK}/${NAME}")
file(REMOVE_RECURSE "${_work}")
file(MAKE_DIRECTORY "${_work}/corpus" "${WORK}/artifacts")
set(_dirs "${_work}/corpus")
foreach(_d "${SEEDS}" "${HAND_SEEDS}" "${REGRESSIONS}")
  if(IS_DIRECTORY "${_d}")
    list(APPEND _dirs "${_d}")
  endif()
endforeach()
execute_process(
  COMMAND "${PROGRAM}" -seed=1 -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=${RSS_MB} -max_len=65536
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/${NAME}- ${_dirs}
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "fuzz_${NAME} failed (exit ${_rc}); the input is in ${WORK}/artifacts/")
endif()
