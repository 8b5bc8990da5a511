/* netns/nerdctl_names: nerdctl's name store. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "netns/nerdctl_names.h"

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* [A-Za-z0-9]+([._-][A-Za-z0-9]+)*: a separator only between two
 * alphanumerics. */
static bool identifier(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NETNS_NERDCTL_NAME_MAX || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i < n; i++) {
		bool sep = s[i] == '.' || s[i] == '_' || s[i] == '-';

		if (!alnum(s[i]) && !(sep && alnum(s[i - 1])))
			return false;
	}
	return true;
}

int netns_nerdctl_name_match(const char *name, const char *content, size_t len, const char *id)
{
	size_t idlen = strlen(id);

	while (len > 0 && space(content[0])) {
		content++;
		len--;
	}
	while (len > 0 && space(content[len - 1]))
		len--;
	if (len != idlen || memcmp(content, id, len) != 0 || !identifier(name))
		return -ENOENT;
	return 0;
}
