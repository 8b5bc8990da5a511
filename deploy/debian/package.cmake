# Installation and the Debian package (included by the top CMakeLists.txt).
#
# One set of install() rules serves `cmake --install` and CPack's DEB
# generator, so the package holds exactly what a from-source install gets.
# Names follow Debian's exporters (prometheus-node-exporter): package, program,
# unit, /etc/default file and man page are all "netstat-exporter". The .deb is
# built by deploy/debian/build-deb.sh (Release, dpkg-buildflags, cpack).
include(GNUInstallDirs)

set(NE_NAME netstat-exporter)
set(NE_OUT ${CMAKE_BINARY_DIR}/${NE_NAME})

# The installed program: the daemon stripped as dh_strip does, named like the
# package. The build tree keeps netstat_exporter for tests and benchmarks.
add_custom_command(OUTPUT ${NE_OUT}
  COMMAND ${CMAKE_OBJCOPY} --strip-unneeded --remove-section=.comment
          --remove-section=.note $<TARGET_FILE:netstat_exporter> ${NE_OUT}
  DEPENDS netstat_exporter VERBATIM)
set(NE_FILES ${NE_OUT})

# The man page comes from --help at build time, so the two cannot drift.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  add_custom_command(OUTPUT ${NE_OUT}.1.gz
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr
            --version-string=${PROJECT_VERSION}
            "--name=Prometheus exporter for sockets, ports, processes and TCP health"
            --include=${CMAKE_SOURCE_DIR}/deploy/debian/${NE_NAME}.h2m
            --output=${NE_OUT}.1 ${NE_OUT}
    COMMAND gzip -9nf ${NE_OUT}.1
    DEPENDS ${NE_OUT} ${CMAKE_SOURCE_DIR}/deploy/debian/${NE_NAME}.h2m VERBATIM)
  list(APPEND NE_FILES ${NE_OUT}.1.gz)
  install(FILES ${NE_OUT}.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: `cmake --install` and the package need it for the man page")
  install(CODE [[message(FATAL_ERROR "the man page needs help2man (apt-get install help2man), then re-run cmake")]])
endif()
add_custom_command(OUTPUT ${NE_OUT}.changelog.gz
  COMMAND gzip -9nc ${CMAKE_SOURCE_DIR}/deploy/debian/changelog > ${NE_OUT}.changelog.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/deploy/debian/changelog)
list(APPEND NE_FILES ${NE_OUT}.changelog.gz)
add_custom_target(package_files ALL DEPENDS ${NE_FILES})

install(PROGRAMS ${NE_OUT} DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit's ExecStart names /usr/bin; other prefixes get their own path.
# Debian 12 keeps units in /lib (as debhelper does); systemd also reads
# /usr/local/lib/systemd/system.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(NE_UNITDIR /lib/systemd/system)
else()
  set(NE_UNITDIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
file(READ ${CMAKE_SOURCE_DIR}/deploy/systemd/${NE_NAME}.service NE_UNIT)
string(REPLACE "ExecStart=/usr/bin/${NE_NAME}" "ExecStart=${CMAKE_INSTALL_FULL_BINDIR}/${NE_NAME}"
  NE_UNIT "${NE_UNIT}")
file(CONFIGURE OUTPUT ${NE_OUT}.service CONTENT "${NE_UNIT}" @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  deploy/systemd/${NE_NAME}.service deploy/debian/changelog)
install(FILES ${NE_OUT}.service DESTINATION ${NE_UNITDIR})
# The unit reads /etc/default/netstat-exporter whatever the prefix. A source
# install keeps an existing one (the administrator's flags); in the package it
# is a conffile, which dpkg keeps.
install(CODE "
  set(f \"\$ENV{DESTDIR}/etc/default/${NE_NAME}\")
  if(EXISTS \"\${f}\")
    message(STATUS \"Keeping: \${f}\")
  else()
    file(INSTALL ${CMAKE_SOURCE_DIR}/deploy/debian/${NE_NAME}.default
      DESTINATION /etc/default RENAME ${NE_NAME})
  endif()")

# Documentation under /usr/share/doc; rules, scrape example and dashboard,
# which Prometheus and Grafana load, under /usr/share/netstat-exporter.
set(NE_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/${NE_NAME})
set(NE_DATADIR ${CMAKE_INSTALL_DATAROOTDIR}/${NE_NAME})
install(FILES README.md DESTINATION ${NE_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${NE_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")
install(FILES deploy/debian/copyright DESTINATION ${NE_DOCDIR})
install(FILES ${NE_OUT}.changelog.gz DESTINATION ${NE_DOCDIR} RENAME changelog.gz)
install(FILES deploy/prometheus/rules.yml deploy/prometheus/prometheus.yml
  DESTINATION ${NE_DATADIR}/prometheus)
install(FILES grafana/netstat_exporter.json DESTINATION ${NE_DATADIR}/grafana)

# The changelog's newest entry must be this version.
file(STRINGS deploy/debian/changelog NE_CHANGELOG_TOP LIMIT_COUNT 1)
if(NOT NE_CHANGELOG_TOP MATCHES "^${NE_NAME} \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "deploy/debian/changelog starts with '${NE_CHANGELOG_TOP}', not version ${PROJECT_VERSION}")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${NE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus exporter for sockets, ports, processes and TCP health")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "netstat_exporter answers the questions people ask netstat and ss by hand:
TCP states per port, listeners and their accept queues, SYN floods,
TIME_WAIT and ephemeral port exhaustion, CLOSE_WAIT leaks per program,
and every netstat -s counter. It reads the kernel's sock_diag netlink
interface and procfs at scrape time and serves them on port 10730.
.
The package includes a hardened systemd unit, Prometheus alerting rules
and a Grafana dashboard.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "netstat_exporter maintainers <maintainers@users.noreply.h-seed-22e6a8e0.example>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends from dpkg-shlibdeps; Pre-Depends for deb-systemd-helper, as
# dh_installsystemd adds it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PREDEPENDS "init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles
  ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
  ${CMAKE_SOURCE_DIR}/deploy/debian/prerm
  ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
include(CPack)
