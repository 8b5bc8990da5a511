/* util/listen_addr: parses a --web.listen-address value.
 *
 * Accepted forms: "host:port" with a numeric IPv4 host or "localhost",
 * ":port" (every address, IPv6 and IPv4), "[v6addr]:port". Pure. */
#ifndef NETSTAT_UTIL_LISTEN_ADDR_H
#define NETSTAT_UTIL_LISTEN_ADDR_H

#include <sys/socket.h>

/* 0 or -EINVAL. out receives an AF_INET or AF_INET6 address. */
int listen_addr_parse(const char *spec, struct sockaddr_storage *out, socklen_t *len);

#endif
