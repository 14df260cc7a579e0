#include "process_hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace latchkey::native {

Result<Ok> harden_process(bool allow_core_dumps) {
  if (allow_core_dumps) return Ok{};
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return make_error(ErrorCode::internal, std::string("could not turn core dumps off (setrlimit RLIMIT_CORE): ") +
                                               std::strerror(errno) + "; or run with --allow-core-dumps");
  }
  // RLIMIT_CORE does not stop a core_pattern pipe (systemd-coredump, apport): this does.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return make_error(ErrorCode::internal, std::string("could not mark the process not dumpable (prctl): ") +
                                               std::strerror(errno) + "; or run with --allow-core-dumps");
  }
  return Ok{};
}

}  // namespace latchkey::native
