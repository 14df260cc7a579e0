# What `cmake --install` adds beside the targets' own rules (core/, native/cli, native/gateway, web/):
# the CMake package config (find_package(latchkey CONFIG) -> latchkey::core, latchkey::core_static),
# the pkg-config file for the C ABI (pkg-config --cflags --libs latchkey), and the license.
include(CMakePackageConfigHelpers)

set(LATCHKEY_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/latchkey")
install(EXPORT latchkeyTargets NAMESPACE latchkey:: DESTINATION "${LATCHKEY_CMAKE_DIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/latchkeyConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/latchkeyConfig.cmake" INSTALL_DESTINATION "${LATCHKEY_CMAKE_DIR}")
# 0.x: a minor release may change the API, so only the same minor version is compatible.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/latchkeyConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/latchkeyConfig.cmake" "${PROJECT_BINARY_DIR}/latchkeyConfigVersion.cmake"
  DESTINATION "${LATCHKEY_CMAKE_DIR}")

# The .pc names its prefix relative to where it lies (${pcfiledir}), so the same file is right
# for `cmake --install --prefix ANY` and for the Debian package's /usr.
set(_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "latchkey.pc needs CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR relative to the prefix")
endif()
file(RELATIVE_PATH LATCHKEY_PC_TO_PREFIX "/prefix/${_pc_dir}" "/prefix")
string(REGEX REPLACE "/$" "" LATCHKEY_PC_TO_PREFIX "${LATCHKEY_PC_TO_PREFIX}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/latchkey.pc.in" "${PROJECT_BINARY_DIR}/latchkey.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/latchkey.pc" DESTINATION "${_pc_dir}")

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/docs/deploy.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
