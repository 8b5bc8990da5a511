#include "util/listen_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util/numbers.h"

static int parse_port(const char *s, in_port_t *port)
{
	uint64_t v;

	if (num_parse_u64(s, strlen(s), &v) < 0 || v > 65535)
		return -EINVAL;
	*port = htons((in_port_t)v);
	return 0;
}

int listen_addr_parse(const char *spec, struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hlen;
	in_port_t port;

	memset(out, 0, sizeof(*out));
	if (!spec)
		return -EINVAL;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - spec - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		if (parse_port(close + 2, &port) ||
		    inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		*len = sizeof(*in6);
		return 0;
	}
	colon = strrchr(spec, ':');
	if (!colon || parse_port(colon + 1, &port))
		return -EINVAL;
	hlen = (size_t)(colon - spec);
	if (hlen == 0) {
		in6->sin6_family = AF_INET6; /* [::], dual-stack */
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = port;
		*len = sizeof(*in6);
		return 0;
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -EINVAL;
	in4->sin_family = AF_INET;
	in4->sin_port = port;
	*len = sizeof(*in4);
	return 0;
}
