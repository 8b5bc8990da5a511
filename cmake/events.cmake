# The events collector's BPF programs (src/events/bpf/events.bpf.c): compiled
# with clang for the BPF target against a vmlinux.h that bpftool generates at
# build time from NETSTAT_VMLINUX_BTF (the build machine's kernel BTF by
# default). The programs are CO-RE: libbpf relocates them against the running
# kernel's BTF at load, so the build machine's kernel only has to have BTF,
# not to match the one the exporter runs on. The object is embedded in the
# exporter through a `bpftool gen skeleton` header.
#
# Sets NETSTAT_HAVE_EVENTS, and NETSTAT_EVENTS_SKEL (the generated header)
# and LIBBPF (pkg-config) when on. (The commands redirect with ">": not
# VERBATIM, so the generator's shell does it.) Without one of clang, bpftool, libbpf or
# the BTF file the build goes on with the collector left out, and says so.
option(NETSTAT_EVENTS "Build the events collector (BPF; needs clang, bpftool, libbpf, kernel BTF)" ON)
set(NETSTAT_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH
  "Kernel BTF the BPF programs' vmlinux.h is generated from")
set(NETSTAT_HAVE_EVENTS OFF CACHE INTERNAL "the events collector is built")
if(NOT NETSTAT_EVENTS)
  message(STATUS "events collector left out: NETSTAT_EVENTS is OFF")
  return()
endif()

find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14)
find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin /usr/local/sbin)
pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf>=0.7)
set(missing "")
if(NOT BPF_CLANG)
  list(APPEND missing "clang (Debian: clang)")
endif()
if(NOT BPFTOOL)
  list(APPEND missing "bpftool (Debian: bpftool)")
endif()
if(NOT LIBBPF_FOUND)
  list(APPEND missing "libbpf (Debian: libbpf-dev)")
endif()
if(NOT EXISTS ${NETSTAT_VMLINUX_BTF})
  list(APPEND missing "kernel BTF ${NETSTAT_VMLINUX_BTF} (set NETSTAT_VMLINUX_BTF)")
endif()
if(missing)
  string(REPLACE ";" ", " missing "${missing}")
  message(WARNING "events collector left out: ${missing} not found "
    "(or configure with -DNETSTAT_EVENTS=OFF to silence this)")
  return()
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  set(bpf_arch x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(bpf_arch arm64)
else()
  set(bpf_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()
set(gen ${CMAKE_BINARY_DIR}/generated/events)
set(bpf_src ${CMAKE_SOURCE_DIR}/src/events/bpf/events.bpf.c)
add_custom_command(OUTPUT ${gen}/vmlinux.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
  COMMAND ${BPFTOOL} btf dump file ${NETSTAT_VMLINUX_BTF} format c > ${gen}/vmlinux.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${gen}/vmlinux.h.tmp ${gen}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${NETSTAT_VMLINUX_BTF}")
add_custom_command(OUTPUT ${gen}/events.bpf.o
  COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${bpf_arch}
    -I${gen} -I${CMAKE_SOURCE_DIR}/include -Wall -Werror
    -c ${bpf_src} -o ${gen}/events.bpf.o
  DEPENDS ${bpf_src} ${gen}/vmlinux.h ${CMAKE_SOURCE_DIR}/include/events/abi.h
  COMMENT "Compiling the BPF programs")
add_custom_command(OUTPUT ${gen}/events.skel.h
  COMMAND ${BPFTOOL} gen skeleton ${gen}/events.bpf.o name events_bpf > ${gen}/events.skel.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${gen}/events.skel.h.tmp ${gen}/events.skel.h
  DEPENDS ${gen}/events.bpf.o
  COMMENT "Embedding the BPF programs (bpftool gen skeleton)")
set(NETSTAT_EVENTS_SKEL ${gen}/events.skel.h)
set(NETSTAT_EVENTS_GEN ${gen})
set(NETSTAT_HAVE_EVENTS ON CACHE INTERNAL "the events collector is built")
message(STATUS "events collector: on (clang ${BPF_CLANG}, bpftool ${BPFTOOL}, libbpf ${LIBBPF_VERSION})")
