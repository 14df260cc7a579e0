# The Debian package: `cpack -G DEB` in the native build directory makes latchkey_<version>_<arch>.deb
# with everything `cmake --install` puts in place (under /usr) plus latchkeyd's system files from
# packaging/: the systemd unit, its sysusers.d entry, the default config and environment file,
# and the maintainer scripts. Those files name fixed paths (/usr/bin/latchkeyd, /etc/latchkeyd,
# /var/lib/latchkeyd), so they are a component of their own (deb) that only the package installs.
set(_pk "${PROJECT_SOURCE_DIR}/packaging")
install(FILES "${_pk}/latchkeyd.service" DESTINATION /lib/systemd/system COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES "${_pk}/latchkeyd.sysusers" DESTINATION /usr/lib/sysusers.d RENAME latchkeyd.conf
  COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES "${_pk}/latchkeyd.toml" DESTINATION /etc/latchkeyd COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES "${_pk}/latchkeyd.default" DESTINATION /etc/default RENAME latchkeyd COMPONENT deb EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME latchkey)
set(CPACK_PACKAGE_VENDOR "latchkey")
set(CPACK_PACKAGE_CONTACT "latchkey maintainers <maintainers@users.noreply.b-seed-ddca46f9.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OAuth connection broker: the latchkey CLI, the latchkeyd gateway and the core library")
set(CPACK_PACKAGE_DESCRIPTION "latchkey lets software act on behalf of its users in third-party services that speak
OAuth: providers, app credentials, connections and always-valid tokens, sealed with
AES-256-GCM in a SQLite or PostgreSQL store. This package holds the latchkey CLI, the latchkeyd gateway
(a systemd service, with the vault page), and liblatchkey with its C and C++ headers,
pkg-config file and CMake package config.")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# One package with both components: what `cmake --install` installs, and the deb-only files.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL latchkey deb)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_LICENSE "Apache-2.0")
# dpkg-shlibdeps names the runtime libraries (libmbedtls14, libsqlite3-0, libstdc++6, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# The user is made by systemd-sysusers, or by adduser where systemd is absent (postinst); the
# unit's ExecReload is procps's /bin/kill.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | adduser, procps")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx | apache2, sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${_pk}/postinst;${_pk}/prerm;${_pk}/postrm;${_pk}/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
