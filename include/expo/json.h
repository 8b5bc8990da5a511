/* expo/json: JSON string escaping onto a strbuf, for the JSON API.
 *
 * The caller writes the punctuation; json_str() writes one string value,
 * quoted: '"' and '\\' escaped, control characters as \u00XX, '<', '>' and
 * '&' as \u003c, \u003e, \u0026 (so a value can never close a script or
 * markup context if someone embeds the output), and bytes that are not valid
 * UTF-8 replaced by U+FFFD. */
#ifndef NETSTAT_EXPO_JSON_H
#define NETSTAT_EXPO_JSON_H

#include <stddef.h>

#include "util/strbuf.h"

void json_str(struct strbuf *sb, const char *s);
void json_strn(struct strbuf *sb, const char *s, size_t n);
/* "key": */
void json_key(struct strbuf *sb, const char *key);

#endif
